/**
 * Maps the AI attribute dialects to one set of fields (`AiFields`), keeping nothing but the mapping:
 * the raw attributes stay on the span. Pure; numbers may arrive as numeric strings.
 *
 * Dialects, and where each field comes from (first match wins):
 * - operation: `gen_ai.operation.name` (OpenTelemetry GenAI) → Sentry op `gen_ai.<operation>` →
 *   Vercel AI SDK operation id (`ai.operationId`, Sentry's `vercel.ai.operationId`, or a span name
 *   such as `ai.generateText.doGenerate`) → OpenInference `openinference.span.kind` → OpenLLMetry
 *   `llm.request.type`, then `traceloop.span.kind` → Sentry's older ops (`ai.chat_completions.*`, …).
 *   Then aliases are folded to the GenAI names (`generate_text`/`stream_text` → `generate_content`,
 *   `embed` → `embeddings`, `completion` → `text_completion`, …); unknown values pass through in lower case.
 * - provider: `gen_ai.provider.name` → `gen_ai.system` → `ai.model.provider` → `llm.provider` →
 *   `llm.system`; lower case; a Vercel provider id (`openai.chat`, `anthropic.messages`) is cut to
 *   its first segment, but the dotted GenAI values (`aws.bedrock`, `gcp.vertex_ai`, `az.ai.inference`…)
 *   are kept whole.
 * - model: the response model when known, else the request model.
 * - tokens: GenAI names, Sentry's (`prompt_tokens`, `input_tokens.cached`, `output_tokens.reasoning`),
 *   Vercel v4 (`promptTokens`) and v5+ (`inputTokens`), OpenInference `llm.token_count.*`, OpenLLMetry
 *   `llm.usage.*`. With a total and only one side known, the other side is total − known; an
 *   embeddings span with only a total counts it as input.
 *
 * The Vercel double-count rule: the AI SDK records usage on the outer call span (`ai.generateText`,
 * `ai.streamText`, `ai.generateObject`, `ai.streamObject`, `ai.embed`, `ai.embedMany`: the sum over
 * its steps) AND on each inner provider call (`….doGenerate`, `….doStream`, `….doEmbed`), and Sentry's
 * Vercel integration copies the sum onto its `invoke_agent` span the same way. Summing tokens over a
 * trace would count them twice, so tokens are taken only from the inner call spans; the outer span's
 * token fields are null (its raw `ai.usage.*` attributes are kept). A trace whose inner spans were
 * filtered out by the client therefore shows no tokens for that call.
 * Other dialects' agent spans (`invoke_agent` from OpenAI Agents, LangGraph, …) are not changed here:
 * whether their usage is a sum of child calls or a remote agent's own usage cannot be told from one span.
 */
import type { AiFields, PlainAttributes, PlainValue } from '../model.js';
import { lookup } from './values.js';

type Attrs = Readonly<Record<string, PlainValue | undefined>>;

/**
 * Every key read below starts with one of these, or is `agent.name` / `tool.name`. Copying just
 * those into a small object first makes the ~60 lookups of a span cheap (a span's attributes, with
 * OTLP resource attributes merged in, are a large dictionary-mode object), and a span with none of
 * them (most non-AI spans) is done after one pass over its keys.
 */
const AI_PREFIXES = ['gen_ai.', 'ai.', 'vercel.ai.', 'llm.', 'openinference.', 'traceloop.', 'embedding.'];
const EMPTY: Attrs = Object.freeze({});

/** First characters of AI_PREFIXES, `agent.name` and `tool.name`, as char codes (a, e, g, l, o, t, v). */
const AI_FIRST_CHARS = new Set([...AI_PREFIXES, 'agent.name', 'tool.name'].map((key) => key.charCodeAt(0)));

function isAiKey(key: string): boolean {
  // Most keys (http.*, db.*, sentry.*, service.*, url.*, …) are ruled out by their first character.
  if (!AI_FIRST_CHARS.has(key.charCodeAt(0))) return false;
  if (key === 'agent.name' || key === 'tool.name') return true;
  for (const prefix of AI_PREFIXES) if (key.startsWith(prefix)) return true;
  return false;
}

function aiView(attributes: Readonly<PlainAttributes>): Attrs {
  let view: Record<string, PlainValue> | undefined;
  for (const key in attributes) {
    if (isAiKey(key) && Object.hasOwn(attributes, key)) {
      view ??= Object.create(null) as Record<string, PlainValue>;
      view[key] = attributes[key]!;
    }
  }
  return view ?? EMPTY;
}

/**
 * The first non-empty string among `keys`. Callers pass module-level key lists (not rest arguments):
 * ~20 lookups a span would otherwise allocate an array each. On the empty view (most non-AI spans)
 * there is nothing to find.
 */
function str(a: Attrs, keys: readonly string[]): string | null {
  if (a === EMPTY) return null;
  for (const key of keys) {
    const value = a[key];
    if (typeof value === 'string') {
      const text = value.trim();
      if (text !== '') return text;
    }
  }
  return null;
}

/** A non-negative finite count from a number or numeric string; rounded (tokens are integers). */
export function tokenCount(value: unknown): number | null {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && value.trim() !== '') n = Number(value.trim());
  else return null;
  return Number.isFinite(n) && n >= 0 ? Math.round(n) : null;
}

/** A cost in USD: a finite non-negative number (or numeric text), else null. */
function cost(v: PlainValue | undefined): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** The first token count among `keys` (module-level lists, as for `str`). */
function num(a: Attrs, keys: readonly string[]): number | null {
  if (a === EMPTY) return null;
  for (const key of keys) {
    const n = tokenCount(a[key]);
    if (n !== null) return n;
  }
  return null;
}

const VERCEL_OP =
  /^ai\.(generateText|streamText|generateObject|streamObject|embed|embedMany|toolCall)(\.(doGenerate|doStream|doEmbed))?$/;

interface VercelSpan {
  operation: string;
  /** The outer call of a multi-step operation, whose usage is the sum of its inner calls. */
  outer: boolean;
}

/** Key lists read by `str` / `num` below, first match wins (hoisted: no array a call). */
const VERCEL_OPERATION_ID_KEYS: readonly string[] = ['ai.operationId', 'vercel.ai.operationId'];
const OPERATION_NAME_KEYS: readonly string[] = ['gen_ai.operation.name'];
const OPENINFERENCE_KIND_KEYS: readonly string[] = ['openinference.span.kind'];
const LLM_REQUEST_TYPE_KEYS: readonly string[] = ['llm.request.type'];
const TRACELOOP_KIND_KEYS: readonly string[] = ['traceloop.span.kind'];
const GEN_AI_PROVIDER_KEYS: readonly string[] = ['gen_ai.provider.name', 'gen_ai.system'];
const VERCEL_PROVIDER_KEYS: readonly string[] = ['ai.model.provider', 'vercel.ai.model.provider'];
const LLM_PROVIDER_KEYS: readonly string[] = ['llm.provider', 'llm.system', 'llm.vendor'];
const MODEL_KEYS: readonly string[] = [
  'gen_ai.response.model',
  'ai.response.model',
  'llm.response.model',
  'gen_ai.request.model',
  'ai.model.id',
  'llm.model_name',
  'llm.request.model',
  'embedding.model_name',
  'ai.model_id',
];
const INPUT_TOKEN_KEYS: readonly string[] = [
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.prompt_tokens',
  'ai.usage.inputTokens',
  'ai.usage.promptTokens',
  'llm.token_count.prompt',
  'llm.usage.prompt_tokens',
  'ai.prompt_tokens.used',
];
const OUTPUT_TOKEN_KEYS: readonly string[] = [
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.completion_tokens',
  'ai.usage.outputTokens',
  'ai.usage.completionTokens',
  'llm.token_count.completion',
  'llm.usage.completion_tokens',
  'ai.completion_tokens.used',
];
const TOTAL_TOKEN_KEYS: readonly string[] = [
  'gen_ai.usage.total_tokens',
  'ai.usage.totalTokens',
  'llm.usage.total_tokens',
  'llm.token_count.total',
  'ai.total_tokens.used',
];
const VERCEL_EMBED_TOKEN_KEYS: readonly string[] = ['ai.usage.tokens'];
const CACHED_INPUT_TOKEN_KEYS: readonly string[] = [
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_read_input_tokens',
  'gen_ai.usage.input_tokens.cached',
  'ai.usage.cachedInputTokens',
  'ai.usage.inputTokenDetails.cacheReadTokens',
  'llm.token_count.prompt_details.cache_read',
  'llm.usage.cache_read_input_tokens',
];
const REASONING_TOKEN_KEYS: readonly string[] = [
  'gen_ai.usage.reasoning.output_tokens',
  'gen_ai.usage.output_tokens.reasoning',
  'gen_ai.usage.reasoning_tokens',
  'ai.usage.reasoningTokens',
  'ai.usage.outputTokenDetails.reasoningTokens',
  'llm.token_count.completion_details.reasoning',
  'llm.usage.reasoning_tokens',
];
const TRACELOOP_ENTITY_KEYS: readonly string[] = ['traceloop.entity.name'];
const GEN_AI_AGENT_NAME_KEYS: readonly string[] = ['gen_ai.agent.name'];
const AGENT_NAME_KEYS: readonly string[] = ['agent.name'];
const FUNCTION_ID_KEYS: readonly string[] = ['ai.telemetry.functionId', 'gen_ai.function_id'];
const TOOL_NAME_KEYS: readonly string[] = ['gen_ai.tool.name', 'ai.toolCall.name'];
const PLAIN_TOOL_NAME_KEYS: readonly string[] = ['tool.name'];

function vercelSpan(name: string, a: Attrs): VercelSpan | null {
  // VERCEL_OP starts with `ai.`: the startsWith spares most span names the regex.
  const id =
    str(a, VERCEL_OPERATION_ID_KEYS) ?? (name.startsWith('ai.') && VERCEL_OP.test(name) ? name : null);
  const match = id === null ? null : VERCEL_OP.exec(id);
  if (!match) return null;
  const base = match[1]!;
  const inner = match[2] !== undefined;
  if (base === 'toolCall') return { operation: 'execute_tool', outer: false };
  if (base === 'embed' || base === 'embedMany') return { operation: 'embeddings', outer: !inner };
  return { operation: inner ? 'generate_content' : 'invoke_agent', outer: !inner };
}

const OPENINFERENCE_KINDS: Record<string, string> = {
  llm: 'chat',
  embedding: 'embeddings',
  retriever: 'retrieval',
  tool: 'execute_tool',
  agent: 'invoke_agent',
  // CHAIN, RERANKER, GUARDRAIL, EVALUATOR pass through in lower case: no GenAI equivalent says the same.
};

const OPENLLMETRY_REQUEST_TYPES: Record<string, string> = {
  chat: 'chat',
  completion: 'text_completion',
  embedding: 'embeddings',
  rerank: 'rerank',
};

const TRACELOOP_KINDS: Record<string, string> = {
  agent: 'invoke_agent',
  tool: 'execute_tool',
  workflow: 'invoke_workflow',
};

/** Sentry SDKs before the gen_ai ops (Python 1.x/2.x OpenAI, LangChain integrations). */
const SENTRY_LEGACY_OPS: ReadonlyArray<[RegExp, string]> = [
  [/^ai\.chat_completions(\.|$)/, 'chat'],
  [/^ai\.completions?(\.|$)/, 'text_completion'],
  [/^ai\.embeddings(\.|$)/, 'embeddings'],
  [/^ai\.run(\.|$)/, 'invoke_agent'],
  [/^ai\.pipeline(\.|$)/, 'invoke_workflow'],
];

const OPERATION_ALIASES: Record<string, string> = {
  generate_text: 'generate_content',
  stream_text: 'generate_content',
  generate_object: 'generate_content',
  stream_object: 'generate_content',
  embed: 'embeddings',
  embed_many: 'embeddings',
  embedding: 'embeddings',
  completion: 'text_completion',
  completions: 'text_completion',
  chat_completion: 'chat',
  chat_completions: 'chat',
  tool: 'execute_tool',
  tool_call: 'execute_tool',
  agent: 'invoke_agent',
};

/** Dotted provider names of the GenAI conventions, kept whole (unlike Vercel's `openai.chat`). */
const DOTTED_PROVIDER = /^(aws|gcp|az|azure|ibm)\./;

function normaliseProvider(value: string | null, fromVercel: boolean): string | null {
  if (value === null) return null;
  const lower = value.toLowerCase();
  if (DOTTED_PROVIDER.test(lower)) return lower;
  // Vercel ids are `<provider>.<api>`; GenAI values have no dot except the ones above.
  return fromVercel || lower.includes('.') ? lower.split('.')[0]! : lower;
}

function operationOf(
  name: string,
  op: string | null | undefined,
  a: Attrs,
  vercel: VercelSpan | null,
): string | null {
  const explicit = str(a, OPERATION_NAME_KEYS);
  if (explicit !== null) return explicit;
  if (op?.startsWith('gen_ai.') && op.length > 7) return op.slice(7);
  if (vercel) return vercel.operation;
  const oiKind = str(a, OPENINFERENCE_KIND_KEYS);
  if (oiKind !== null) return lookup(OPENINFERENCE_KINDS, oiKind.toLowerCase()) ?? oiKind.toLowerCase();
  const requestType = str(a, LLM_REQUEST_TYPE_KEYS);
  if (requestType !== null)
    return lookup(OPENLLMETRY_REQUEST_TYPES, requestType.toLowerCase()) ?? requestType.toLowerCase();
  const tlKind = str(a, TRACELOOP_KIND_KEYS);
  const traceloop = tlKind === null ? undefined : lookup(TRACELOOP_KINDS, tlKind.toLowerCase());
  if (traceloop !== undefined) return traceloop;
  // Every legacy pattern starts with `ai.`: other ops and names (nearly all) skip the five regexes.
  if (op?.startsWith('ai.')) {
    for (const [pattern, operation] of SENTRY_LEGACY_OPS) if (pattern.test(op)) return operation;
  }
  if (name.startsWith('ai.')) {
    for (const [pattern, operation] of SENTRY_LEGACY_OPS) if (pattern.test(name)) return operation;
  }
  return null;
}

export function normaliseAi(
  name: string,
  op: string | null | undefined,
  attributes: Readonly<PlainAttributes>,
): AiFields {
  const a = aiView(attributes);
  const vercel = vercelSpan(name, a);
  const rawOperation = operationOf(name, op, a, vercel);
  const lowered = rawOperation?.toLowerCase() ?? null;
  const operation = lowered === null ? null : (lookup(OPERATION_ALIASES, lowered) ?? lowered);

  const genAiProvider = str(a, GEN_AI_PROVIDER_KEYS);
  const vercelProvider = str(a, VERCEL_PROVIDER_KEYS);
  const provider =
    genAiProvider !== null
      ? normaliseProvider(genAiProvider, vercel !== null)
      : vercelProvider !== null
        ? normaliseProvider(vercelProvider, true)
        : normaliseProvider(str(a, LLM_PROVIDER_KEYS), false);

  const model = str(a, MODEL_KEYS);

  let inputTokens: number | null = null;
  let outputTokens: number | null = null;
  let cachedInputTokens: number | null = null;
  let reasoningTokens: number | null = null;
  if (!vercel?.outer) {
    inputTokens = num(a, INPUT_TOKEN_KEYS);
    outputTokens = num(a, OUTPUT_TOKEN_KEYS);
    const total = num(a, TOTAL_TOKEN_KEYS);
    if (operation === 'embeddings') {
      // Embeddings have input tokens only; their total is the input.
      inputTokens ??= num(a, VERCEL_EMBED_TOKEN_KEYS) ?? total;
    } else if (total !== null && inputTokens === null && outputTokens !== null && total >= outputTokens) {
      inputTokens = total - outputTokens;
    } else if (total !== null && outputTokens === null && inputTokens !== null && total >= inputTokens) {
      outputTokens = total - inputTokens;
    }
    cachedInputTokens = num(a, CACHED_INPUT_TOKEN_KEYS);
    reasoningTokens = num(a, REASONING_TOKEN_KEYS);
  }

  const traceloopKind = str(a, TRACELOOP_KIND_KEYS)?.toLowerCase();
  const traceloopEntity = str(a, TRACELOOP_ENTITY_KEYS);
  // `agent.name` and `tool.name` are generic names (ECS puts the APM agent's name in `agent.name`, and
  // OTLP resource attributes are merged into span attributes), so they count only on OpenInference spans.
  const openInference = str(a, OPENINFERENCE_KIND_KEYS) !== null;
  const agentName =
    str(a, GEN_AI_AGENT_NAME_KEYS) ??
    (openInference ? str(a, AGENT_NAME_KEYS) : null) ??
    (traceloopKind === 'agent' ? traceloopEntity : null) ??
    // Vercel's functionId names the agent-like outer call (Sentry copies it to gen_ai.function_id).
    (operation === 'invoke_agent' ? str(a, FUNCTION_ID_KEYS) : null);
  const toolName =
    str(a, TOOL_NAME_KEYS) ??
    (openInference ? str(a, PLAIN_TOOL_NAME_KEYS) : null) ??
    (traceloopKind === 'tool' ? traceloopEntity : null);

  return {
    operation,
    provider,
    model,
    inputTokens,
    outputTokens,
    cachedInputTokens,
    reasoningTokens,
    agentName,
    toolName,
    costUsd: cost(a['gen_ai.cost.total_usd']),
  };
}

/** True when the span is AI work by any dialect (an operation, a model or token counts were found). */
export function isAiSpan(fields: AiFields): boolean {
  return (
    fields.operation !== null ||
    fields.model !== null ||
    fields.inputTokens !== null ||
    fields.outputTokens !== null
  );
}
