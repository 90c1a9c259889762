import type {
  AiFields,
  ErrorRow,
  IngestBatch,
  LogLevel,
  LogRow,
  MetricType,
  PlainAttributes,
  SpanStatus,
} from './model.js';

/** A time range in epoch milliseconds; both ends optional. */
export interface TimeRange {
  from?: number;
  to?: number;
}

export interface TraceQuery extends TimeRange {
  projectId: number;
  /** Text search over span names, ops, models and string attribute values. */
  q?: string;
  status?: SpanStatus;
  /** Op of any span in the trace, e.g. 'http.server' or 'gen_ai.chat'. */
  op?: string;
  /** Model of any AI span in the trace. */
  model?: string;
  /** Only traces with (true) or without (false) an AI span. */
  hasAi?: boolean;
  /** Only traces whose duration is at least this many milliseconds. */
  minDurationMs?: number;
  /** Exact matches on span attributes (any span in the trace), key → value as text. */
  attributes?: Record<string, string>;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  /** Page size, 1–1000. */
  limit: number;
}

export interface TraceSummary {
  traceId: string;
  /** Name of the trace's root (or earliest segment when the root was not received). */
  name: string;
  op: string | null;
  startTime: number;
  endTime: number;
  durationMs: number;
  spanCount: number;
  errorCount: number;
  status: SpanStatus;
  /** Distinct models of AI spans in the trace. */
  models: string[];
  inputTokens: number;
  outputTokens: number;
  hasAi: boolean;
  /** Distinct services that sent spans of the trace. */
  services: string[];
  weight: number;
  /**
   * Σ `gen_ai.cost.total_usd` (AiFields.costUsd) of the trace's spans other than `invoke_agent`; when
   * none has one, Σ over its `invoke_agent` spans (whose cost, when set, is usually a total over the
   * same calls: the agent-runs rule applied to the whole trace). Null: no span has a cost.
   */
  costUsd: number | null;
}

export interface TracePage {
  traces: TraceSummary[];
  /** Matching traces in all pages. */
  total: number;
  nextCursor: string | null;
}

/** The span shape of `GET /api/v1/traces/:traceId` (PRODUCT.md), plus the normalised fields. */
export interface StoredSpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  op: string | null;
  status: SpanStatus;
  startTime: number;
  endTime: number;
  attributes: PlainAttributes;
  statusMessage: string | null;
  kind: string | null;
  serviceName: string | null;
  isSegment: boolean;
  /** The normalised AI fields; null when the span is not an AI span. */
  ai: AiFields | null;
}

export interface LogQuery extends TimeRange {
  projectId: number;
  traceId?: string;
  q?: string;
  level?: LogLevel;
  /** Exact matches on log attributes, key → value as text. */
  attributes?: Record<string, string>;
  cursor?: string;
  limit: number;
}

export interface LogPage {
  logs: LogRow[];
  nextCursor: string | null;
}

export type MetricAggregate = 'sum' | 'avg' | 'count' | 'min' | 'max' | 'p50' | 'p95' | 'p99';

export interface MetricQuery extends TimeRange {
  projectId: number;
  name: string;
  /** An attribute key to split series by. */
  groupBy?: string;
  /** Bucket width in milliseconds. */
  intervalMs: number;
  aggregates: MetricAggregate[];
}

export interface MetricSeries {
  /** The groupBy attribute's value for this series (null: attribute absent, or no groupBy). */
  group: string | null;
  points: Array<{ time: number } & Partial<Record<MetricAggregate, number>>>;
}

export interface MetricResult {
  name: string;
  type: MetricType | null;
  unit: string | null;
  series: MetricSeries[];
}

export interface SamplingQuery extends TimeRange {
  projectId: number;
  /** Bucket width of `timeline` in milliseconds; without it the timeline is empty. */
  intervalMs?: number;
}

/** One time bucket of the sampling timeline (buckets start at `from`, else at multiples of the interval). */
export interface SamplingBucket {
  time: number;
  /** Traces stored (by trace start) and their extrapolated count. */
  traces: number;
  weightedTraces: number;
  /** Client-report drops in the bucket, by `${reason}:${category}`. */
  dropped: Record<string, number>;
}

export interface SamplingStats {
  /** Spans and traces stored, and their extrapolated (weighted) totals. */
  stored: { traces: number; spans: number; weightedTraces: number; weightedSpans: number };
  /** Client-report counts of what SDKs dropped, by reason and category. */
  dropped: Array<{ reason: string; category: string; quantity: number }>;
  /** Stored and extrapolated counts of local roots by segment name (route/op). */
  byRoot: Array<{ name: string; op: string | null; stored: number; weighted: number; effectiveRate: number }>;
  /** Kept and dropped over time, when the query gave `intervalMs`; empty otherwise. */
  timeline: SamplingBucket[];
}

export interface ErrorQuery extends TimeRange {
  projectId: number;
  traceId?: string;
  q?: string;
  cursor?: string;
  limit: number;
}

export interface ErrorPage {
  errors: ErrorRow[];
  nextCursor: string | null;
}

export interface AgentRunQuery extends TimeRange {
  projectId: number;
  /** The root's agent name (`gen_ai.agent.name`). */
  agent?: string;
  /** A model used anywhere in the run's trace. */
  model?: string;
  /** The root span's status. */
  status?: SpanStatus;
  cursor?: string;
  limit: number;
}

/**
 * One agent run: an AI span whose parent is not an AI span (an `invoke_agent` span at the top of
 * an agent, or an LLM call made outside any agent), with figures over the spans below it. AI span
 * = one with a normalised operation or model. Time range and cursor apply to the root's start.
 */
export interface AgentRunSummary {
  traceId: string;
  /** The root span of the run. */
  spanId: string;
  name: string;
  /** The root's normalised AI operation (invoke_agent, chat, …); null when only a model was found. */
  operation: string | null;
  agentName: string | null;
  /** Distinct models of the run's spans, in order of first start. */
  models: string[];
  startTime: number;
  endTime: number;
  durationMs: number;
  /** The root span's status. */
  status: SpanStatus;
  /** Spans in the run (the root and everything below it). */
  spanCount: number;
  errorCount: number;
  /** AI spans other than agents and tools (chat, text_completion, embeddings, …). */
  llmCalls: number;
  /** `execute_tool` spans. */
  toolCalls: number;
  /** `invoke_agent` and `handoff` spans below the root: sub-agents and handoffs. */
  handoffs: number;
  /** Σ over the run's spans (an outer multi-step call carries none of its own: see ingest). */
  inputTokens: number;
  outputTokens: number;
  /** Σ `gen_ai.cost.total_usd` of the spans below agents (the root's own when none has one); null: none recorded. */
  costUsd: number | null;
  serviceName: string | null;
}

export interface AgentRunPage {
  runs: AgentRunSummary[];
  nextCursor: string | null;
}

/**
 * Everything the server keeps goes through this interface: DuckDB and ClickHouse.
 * `write` resolves only once the batch is durable (a request is acknowledged after that): committed,
 * or fsynced to a journal the store replays after a crash; either way, a query issued after `write`
 * resolved sees the batch. Ingest is idempotent per (project, trace id, span id): a span received
 * twice is stored once.
 */
export interface Store {
  /** Creates or upgrades the schema. */
  open(): Promise<void>;
  write(batch: IngestBatch): Promise<void>;
  /** Rows whose `write` resolved but which are not committed yet (journaled stores); counted by the ingest queue's bound. */
  backlogRows?(): number;
  /**
   * `write` for a batch validated, encoded and serialized off the main thread by the store's own
   * `serializeBatch` (storage/duckdb/writer.ts); with it, `sieve serve` parses on its ParsePool.
   */
  writeSerialized?(bytes: Uint8Array, rows: number): Promise<void>;
  listTraces(query: TraceQuery): Promise<TracePage>;
  getTrace(projectId: number, traceId: string): Promise<StoredSpan[]>;
  queryLogs(query: LogQuery): Promise<LogPage>;
  queryMetrics(query: MetricQuery): Promise<MetricResult>;
  samplingStats(query: SamplingQuery): Promise<SamplingStats>;
  listErrors(query: ErrorQuery): Promise<ErrorPage>;
  /** Agent runs newest first (see AgentRunSummary for what a run is). */
  listAgentRuns(query: AgentRunQuery): Promise<AgentRunPage>;
  /** Deletes everything older than the given epoch-millisecond time; returns rows deleted. */
  deleteOlderThan(time: number): Promise<number>;
  /** Finishes pending commits and closes the database. */
  close(): Promise<void>;
}

/** A page cursor the store did not produce (every Store throws this one); the API answers 400. */
export class InvalidCursorError extends Error {
  constructor() {
    super('invalid cursor');
    this.name = 'InvalidCursorError';
  }
}
