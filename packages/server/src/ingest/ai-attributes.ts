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

function aiView(attributes: Readonly<PlainAttributes>): Attrs {
  let view: Record<string, PlainValue> | undefined;
  for (const key in attributes) {
    let relevant = key === 'agent.name' || key === 'tool.name';
    if (!relevant) {
      for (const prefix of AI_PREFIXES) {
        if (key.startsWith(prefix)) {
          relevant = true;
          break;
        }
      }
    }
    if (relevant && Object.hasOwn(attributes, key)) {
      view ??= Object.create(null) as Record<string, PlainValue>;
      view[key] = attributes[key]!;
    }
  }
  return view ?? EMPTY;
}

function str(a: Attrs, ...keys: string[]): string | null {
  for (const key of keys) {
    const value = a[key];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
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

function num(a: Attrs, ...keys: string[]): number | null {
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

function vercelSpan(name: string, a: Attrs): VercelSpan | null {
  const id = str(a, 'ai.operationId', 'vercel.ai.operationId') ?? (VERCEL_OP.test(name) ? name : null);
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
  const explicit = str(a, 'gen_ai.operation.name');
  if (explicit !== null) return explicit;
  if (op?.startsWith('gen_ai.') && op.length > 7) return op.slice(7);
  if (vercel) return vercel.operation;
  const oiKind = str(a, 'openinference.span.kind');
  if (oiKind !== null) return lookup(OPENINFERENCE_KINDS, oiKind.toLowerCase()) ?? oiKind.toLowerCase();
  const requestType = str(a, 'llm.request.type');
  if (requestType !== null)
    return lookup(OPENLLMETRY_REQUEST_TYPES, requestType.toLowerCase()) ?? requestType.toLowerCase();
  const tlKind = str(a, 'traceloop.span.kind');
  const traceloop = tlKind === null ? undefined : lookup(TRACELOOP_KINDS, tlKind.toLowerCase());
  if (traceloop !== undefined) return traceloop;
  for (const source of [op ?? '', name]) {
    for (const [pattern, operation] of SENTRY_LEGACY_OPS) if (pattern.test(source)) return operation;
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

  const genAiProvider = str(a, 'gen_ai.provider.name', 'gen_ai.system');
  const vercelProvider = str(a, 'ai.model.provider', 'vercel.ai.model.provider');
  const provider =
    genAiProvider !== null
      ? normaliseProvider(genAiProvider, vercel !== null)
      : vercelProvider !== null
        ? normaliseProvider(vercelProvider, true)
        : normaliseProvider(str(a, 'llm.provider', 'llm.system', 'llm.vendor'), false);

  const model = str(
    a,
    'gen_ai.response.model',
    'ai.response.model',
    'llm.response.model',
    'gen_ai.request.model',
    'ai.model.id',
    'llm.model_name',
    'llm.request.model',
    'embedding.model_name',
    'ai.model_id',
  );

  let inputTokens: number | null = null;
  let outputTokens: number | null = null;
  let cachedInputTokens: number | null = null;
  let reasoningTokens: number | null = null;
  if (!vercel?.outer) {
    inputTokens = num(
      a,
      'gen_ai.usage.input_tokens',
      'gen_ai.usage.prompt_tokens',
      'ai.usage.inputTokens',
      'ai.usage.promptTokens',
      'llm.token_count.prompt',
      'llm.usage.prompt_tokens',
      'ai.prompt_tokens.used',
    );
    outputTokens = num(
      a,
      'gen_ai.usage.output_tokens',
      'gen_ai.usage.completion_tokens',
      'ai.usage.outputTokens',
      'ai.usage.completionTokens',
      'llm.token_count.completion',
      'llm.usage.completion_tokens',
      'ai.completion_tokens.used',
    );
    const total = num(
      a,
      'gen_ai.usage.total_tokens',
      'ai.usage.totalTokens',
      'llm.usage.total_tokens',
      'llm.token_count.total',
      'ai.total_tokens.used',
    );
    if (operation === 'embeddings') {
      // Embeddings have input tokens only; their total is the input.
      inputTokens ??= num(a, 'ai.usage.tokens') ?? total;
    } else if (total !== null && inputTokens === null && outputTokens !== null && total >= outputTokens) {
      inputTokens = total - outputTokens;
    } else if (total !== null && outputTokens === null && inputTokens !== null && total >= inputTokens) {
      outputTokens = total - inputTokens;
    }
    cachedInputTokens = num(
      a,
      'gen_ai.usage.cache_read.input_tokens',
      'gen_ai.usage.cache_read_input_tokens',
      'gen_ai.usage.input_tokens.cached',
      'ai.usage.cachedInputTokens',
      'ai.usage.inputTokenDetails.cacheReadTokens',
      'llm.token_count.prompt_details.cache_read',
      'llm.usage.cache_read_input_tokens',
    );
    reasoningTokens = num(
      a,
      'gen_ai.usage.reasoning.output_tokens',
      'gen_ai.usage.output_tokens.reasoning',
      'gen_ai.usage.reasoning_tokens',
      'ai.usage.reasoningTokens',
      'ai.usage.outputTokenDetails.reasoningTokens',
      'llm.token_count.completion_details.reasoning',
      'llm.usage.reasoning_tokens',
    );
  }

  const traceloopKind = str(a, 'traceloop.span.kind')?.toLowerCase();
  const traceloopEntity = str(a, 'traceloop.entity.name');
  // `agent.name` and `tool.name` are generic names (ECS puts the APM agent's name in `agent.name`, and
  // OTLP resource attributes are merged into span attributes), so they count only on OpenInference spans.
  const openInference = str(a, 'openinference.span.kind') !== null;
  const agentName =
    str(a, 'gen_ai.agent.name') ??
    (openInference ? str(a, 'agent.name') : null) ??
    (traceloopKind === 'agent' ? traceloopEntity : null) ??
    // Vercel's functionId names the agent-like outer call (Sentry copies it to gen_ai.function_id).
    (operation === 'invoke_agent' ? str(a, 'ai.telemetry.functionId', 'gen_ai.function_id') : null);
  const toolName =
    str(a, 'gen_ai.tool.name', 'ai.toolCall.name') ??
    (openInference ? str(a, 'tool.name') : null) ??
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
