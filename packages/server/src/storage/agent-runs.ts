import type { SpanStatus } from '../model.js';
import type { AgentRunPage, AgentRunSummary } from '../store.js';
import { encodeCursor } from './cursor.js';
import { num, numOrNull, type ResultRow, strOrNull } from './rows.js';

/**
 * Agent runs, the backend-independent part: a run's figures are summed over its root's subtree in
 * JS (SQL would need a recursive join), from the slim span rows each backend reads for the page's
 * traces (columns trace_id, span_id, parent_span_id, status, start_time, end_time, ai_operation,
 * ai_model, input_tokens, output_tokens, cost: the span's cost_usd column, AiFields.costUsd).
 */
/** Operations that are not LLM calls when counting a run's steps. */
const NOT_LLM_CALLS = new Set(['invoke_agent', 'create_agent', 'execute_tool', 'handoff']);

export interface RunSpan {
  spanId: string;
  parentSpanId: string | null;
  status: string;
  startTime: number;
  endTime: number;
  operation: string | null;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  cost: number | null;
}

/** Slim span rows grouped by trace into `out`, in the order read (start order). */
export function groupRunSpans(rows: readonly ResultRow[], out: Map<string, RunSpan[]>): void {
  for (const r of rows) {
    const traceId = String(r.trace_id);
    let list = out.get(traceId);
    if (!list) {
      list = [];
      out.set(traceId, list);
    }
    const cost = numOrNull(r.cost);
    list.push({
      spanId: String(r.span_id),
      parentSpanId: strOrNull(r.parent_span_id),
      status: String(r.status),
      startTime: num(r.start_time),
      endTime: num(r.end_time),
      operation: strOrNull(r.ai_operation),
      model: strOrNull(r.ai_model),
      inputTokens: num(r.input_tokens),
      outputTokens: num(r.output_tokens),
      cost: cost !== null && Number.isFinite(cost) ? cost : null,
    });
  }
}

/** Sums a run root's subtree. `spans` is the whole trace in start order; a parent cycle cannot loop. */
export function summariseRun(root: ResultRow, spans: readonly RunSpan[]): AgentRunSummary {
  const rootId = String(root.span_id);
  const children = new Map<string, RunSpan[]>();
  let rootSpan: RunSpan | undefined;
  for (const s of spans) {
    if (s.spanId === rootId) rootSpan = s;
    if (s.parentSpanId === null || s.parentSpanId === s.spanId) continue;
    const list = children.get(s.parentSpanId);
    if (list) list.push(s);
    else children.set(s.parentSpanId, [s]);
  }
  const startTime = num(root.start_time);
  let endTime = num(root.end_time);
  const models: string[] = [];
  let spanCount = 0;
  let errorCount = 0;
  let llmCalls = 0;
  let toolCalls = 0;
  let handoffs = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let callCost: number | null = null;
  const seen = new Set<string>();
  const stack: RunSpan[] = rootSpan ? [rootSpan] : [];
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (seen.has(s.spanId)) continue;
    seen.add(s.spanId);
    spanCount++;
    if (s.status === 'error') errorCount++;
    endTime = Math.max(endTime, s.endTime);
    if (s.model && !models.includes(s.model)) models.push(s.model);
    inputTokens += s.inputTokens;
    outputTokens += s.outputTokens;
    const op = s.operation;
    if (op === 'execute_tool') toolCalls++;
    else if (s !== rootSpan && (op === 'invoke_agent' || op === 'handoff')) handoffs++;
    else if ((op !== null && !NOT_LLM_CALLS.has(op)) || (op === null && s.model !== null)) llmCalls++;
    // An agent span's cost, when set, is a total over its calls: counted only when no call has one.
    if (s.cost !== null && op !== 'invoke_agent') callCost = (callCost ?? 0) + s.cost;
    const kids = children.get(s.spanId);
    if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  return {
    traceId: String(root.trace_id),
    spanId: rootId,
    name: String(root.name),
    operation: strOrNull(root.ai_operation),
    agentName: strOrNull(root.agent_name),
    models,
    startTime,
    endTime,
    durationMs: endTime - startTime,
    status: String(root.status) as SpanStatus,
    spanCount,
    errorCount,
    llmCalls,
    toolCalls,
    handoffs,
    inputTokens,
    outputTokens,
    costUsd: callCost ?? rootSpan?.cost ?? null,
    serviceName: strOrNull(root.service_name),
  };
}

/**
 * A page of runs from the roots a backend found (newest first, up to limit + 1: one more tells
 * there is a next page): the slim spans of the page's traces are read once through `spansOf` and
 * each root's subtree summed. The cursor's tie-breaker is trace id + span id.
 */
export async function agentRunPage(
  roots: readonly ResultRow[],
  limit: number,
  spansOf: (traceIds: string[]) => Promise<Map<string, RunSpan[]>>,
): Promise<AgentRunPage> {
  const page = roots.slice(0, limit);
  const spansByTrace = await spansOf([...new Set(page.map((r) => String(r.trace_id)))]);
  const runs = page.map((r) => summariseRun(r, spansByTrace.get(String(r.trace_id)) ?? []));
  const last = runs[runs.length - 1];
  const nextCursor =
    roots.length > limit && last ? encodeCursor(last.startTime, last.traceId + last.spanId) : null;
  return { runs, nextCursor };
}
