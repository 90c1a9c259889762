import type { ErrorRow, LogLevel, LogRow, MetricType, PlainAttributes, SpanStatus } from '../model.js';
import type {
  MetricAggregate,
  MetricResult,
  MetricSeries,
  SamplingBucket,
  SamplingStats,
  StoredSpan,
  TraceSummary,
} from '../store.js';

/**
 * Result rows → API shapes, shared by every Store backend. Each backend selects the columns under
 * the names used here (snake_case, as in both schemas); drivers differ only in how they hand values
 * over (DuckDB: bigint for BIGINT; ClickHouse JSON: 64-bit integers as strings, UInt8 for
 * booleans), which the converters below absorb. Keeping this in one place is what makes the
 * backends answer the same queries with the same JSON.
 */
export type ResultRow = Record<string, unknown>;

/** The `errors` table's columns, in the order both backends append them (appendError, errorRow). */
export const ERROR_COLUMNS = [
  'project_id',
  'event_id',
  'timestamp',
  'trace_id',
  'span_id',
  'level',
  'type',
  'message',
  'frames',
  'environment',
  'release',
  'tags',
  'raw',
] as const;

const MAX_LIMIT = 1000;

/** Page size of a query: 1–1000, 50 when missing or not a number. */
export function clampLimit(limit: number | undefined): number {
  if (typeof limit !== 'number' || !Number.isFinite(limit)) return 50;
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)));
}

/** A search term as it appears inside the JSON text of attributes (quotes, backslashes and control characters escaped). */
export function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return Number(v);
  return 0;
}

export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

export function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function strList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** DuckDB BOOLEAN arrives as a boolean, ClickHouse UInt8 as 0/1. */
function bool(v: unknown): boolean {
  return v === true || v === 1 || v === '1';
}

function parseJson<T>(text: unknown, fallback: T): T {
  if (typeof text !== 'string') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Columns: trace_id, root_name, root_op, start_time, end_time, span_count, error_count, root_status, models, input_tokens, output_tokens, has_ai, services, root_weight, total_cost_usd. */
export function traceSummaryOf(r: ResultRow): TraceSummary {
  const errorCount = num(r.error_count);
  const startTime = num(r.start_time);
  const endTime = num(r.end_time);
  return {
    traceId: String(r.trace_id),
    name: String(r.root_name),
    op: strOrNull(r.root_op),
    startTime,
    endTime,
    durationMs: endTime - startTime,
    spanCount: num(r.span_count),
    errorCount,
    status: errorCount > 0 ? 'error' : (String(r.root_status) as SpanStatus),
    models: strList(r.models),
    inputTokens: num(r.input_tokens),
    outputTokens: num(r.output_tokens),
    hasAi: bool(r.has_ai),
    services: strList(r.services),
    weight: num(r.root_weight),
    costUsd: numOrNull(r.total_cost_usd),
  };
}

/** Columns: the span table's, with the AI fields as ai_operation … tool_name, cost_usd. */
export function storedSpanOf(r: ResultRow): StoredSpan {
  const ai = {
    operation: strOrNull(r.ai_operation),
    provider: strOrNull(r.ai_provider),
    model: strOrNull(r.ai_model),
    inputTokens: numOrNull(r.input_tokens),
    outputTokens: numOrNull(r.output_tokens),
    cachedInputTokens: numOrNull(r.cached_input_tokens),
    reasoningTokens: numOrNull(r.reasoning_tokens),
    agentName: strOrNull(r.agent_name),
    toolName: strOrNull(r.tool_name),
    costUsd: numOrNull(r.cost_usd),
  };
  return {
    spanId: String(r.span_id),
    parentSpanId: strOrNull(r.parent_span_id),
    name: String(r.name),
    op: strOrNull(r.op),
    status: String(r.status) as SpanStatus,
    startTime: num(r.start_time),
    endTime: num(r.end_time),
    attributes: parseJson<PlainAttributes>(r.attributes, {}),
    statusMessage: strOrNull(r.status_message),
    kind: strOrNull(r.kind),
    serviceName: strOrNull(r.service_name),
    isSegment: bool(r.is_segment),
    ai: Object.values(ai).some((v) => v !== null) ? ai : null,
  };
}

export function logRowOf(r: ResultRow): LogRow {
  return {
    projectId: num(r.project_id),
    timestamp: num(r.timestamp),
    traceId: strOrNull(r.trace_id),
    spanId: strOrNull(r.span_id),
    level: String(r.level) as LogLevel,
    severityNumber: num(r.severity_number),
    body: String(r.body),
    serviceName: strOrNull(r.service_name),
    environment: strOrNull(r.environment),
    release: strOrNull(r.release),
    attributes: parseJson<PlainAttributes>(r.attributes, {}),
  };
}

export function errorRowOf(r: ResultRow): ErrorRow {
  return {
    projectId: num(r.project_id),
    eventId: String(r.event_id),
    timestamp: num(r.timestamp),
    traceId: strOrNull(r.trace_id),
    spanId: strOrNull(r.span_id),
    level: String(r.level),
    type: String(r.type),
    message: String(r.message),
    frames: parseJson<Array<Record<string, unknown>>>(r.frames, []),
    environment: strOrNull(r.environment),
    release: strOrNull(r.release),
    tags: parseJson<Record<string, string>>(r.tags, {}),
    raw: String(r.raw),
  };
}

/**
 * Metric rows (columns grp, bucket and one per aggregate, ordered by group with NULL first, then
 * bucket) folded into one series per group.
 */
export function metricResultOf(
  name: string,
  meta: ResultRow | undefined,
  aggregates: readonly MetricAggregate[],
  result: readonly ResultRow[],
): MetricResult {
  const series: MetricSeries[] = [];
  let current: MetricSeries | undefined;
  for (const r of result) {
    const g = strOrNull(r.grp);
    if (!current || current.group !== g) {
      current = { group: g, points: [] };
      series.push(current);
    }
    const point: MetricSeries['points'][number] = { time: num(r.bucket) };
    for (const a of aggregates) {
      const v = r[a];
      if (v !== null && v !== undefined) point[a] = num(v);
    }
    current.points.push(point);
  }
  return {
    name,
    type: (strOrNull(meta?.type) as MetricType | null) ?? null,
    unit: strOrNull(meta?.unit),
    series,
  };
}

/**
 * Sampling stats from three results: `stored` (traces, spans, weighted_traces, weighted_spans),
 * `dropped` (reason, category, quantity) and `roots` (name, op, stored, weighted).
 */
export function samplingStatsOf(
  stored: ResultRow | undefined,
  dropped: readonly ResultRow[],
  roots: readonly ResultRow[],
  timeline: SamplingBucket[],
): SamplingStats {
  return {
    timeline,
    stored: {
      traces: num(stored?.traces),
      spans: num(stored?.spans),
      weightedTraces: num(stored?.weighted_traces),
      weightedSpans: num(stored?.weighted_spans),
    },
    dropped: dropped.map((r) => ({
      reason: String(r.reason),
      category: String(r.category),
      quantity: num(r.quantity),
    })),
    byRoot: roots.map((r) => {
      const storedCount = num(r.stored);
      const weighted = num(r.weighted);
      return {
        name: String(r.name),
        op: strOrNull(r.op),
        stored: storedCount,
        weighted,
        effectiveRate: weighted > 0 ? storedCount / weighted : 1,
      };
    }),
  };
}

/**
 * The sampling timeline from `kept` (bucket, traces, weighted) and `dropped` (bucket, reason as
 * `reason:category`, quantity) rows, one bucket per time that has either, oldest first.
 */
export function samplingTimelineOf(
  kept: readonly ResultRow[],
  dropped: readonly ResultRow[],
): SamplingBucket[] {
  if (kept.length > MAX_METRIC_POINTS || dropped.length > MAX_METRIC_POINTS) {
    throw new Error(`more than ${MAX_METRIC_POINTS} buckets: use a larger interval or a shorter range`);
  }
  const buckets = new Map<number, SamplingBucket>();
  const at = (time: number): SamplingBucket => {
    let b = buckets.get(time);
    if (!b) {
      b = { time, traces: 0, weightedTraces: 0, dropped: {} };
      buckets.set(time, b);
    }
    return b;
  };
  for (const r of kept) {
    const b = at(num(r.bucket));
    b.traces = num(r.traces);
    b.weightedTraces = num(r.weighted);
  }
  for (const r of dropped) at(num(r.bucket)).dropped[String(r.reason)] = num(r.quantity);
  return [...buckets.values()].sort((a, b) => a.time - b.time);
}

/** Metric points returned at most; more means intervalMs is too small for the range. */
export const MAX_METRIC_POINTS = 100_000;
/** byRoot rows returned at most (highest extrapolated volume first). */
export const MAX_ROOTS = 500;
