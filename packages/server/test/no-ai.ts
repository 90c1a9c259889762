import type { AiFields } from '../src/model.js';

/** The AI fields of a span that has none: spread into test rows so a new field is added in one place. */
export const NO_AI: Readonly<AiFields> = {
  operation: null,
  provider: null,
  model: null,
  inputTokens: null,
  outputTokens: null,
  cachedInputTokens: null,
  reasoningTokens: null,
  agentName: null,
  toolName: null,
  costUsd: null,
};
