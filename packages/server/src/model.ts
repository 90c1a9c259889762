/**
 * The one data model every ingest path (Sentry envelopes, OTLP) produces and every Store keeps.
 * Times are epoch milliseconds (float, sub-millisecond precision). Attribute values are plain.
 */
export type PlainValue = string | number | boolean | ReadonlyArray<string | number | boolean>;
export type PlainAttributes = Record<string, PlainValue>;

export type SpanStatus = 'ok' | 'error' | 'unset';

/** The AI fields normalised at ingest from every dialect (OpenTelemetry GenAI, Sentry, Vercel AI SDK, OpenLLMetry, OpenInference). */
export interface AiFields {
  /** e.g. chat, text_completion, embeddings, execute_tool, invoke_agent, handoff. */
  operation: string | null;
  /** e.g. openai, anthropic. */
  provider: string | null;
  /** Response model when known, else request model. */
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cachedInputTokens: number | null;
  reasoningTokens: number | null;
  agentName: string | null;
  toolName: string | null;
  /**
   * `gen_ai.cost.total_usd` in USD: sent by the SDK, or estimated at ingest from the model and tokens
   * (ingest/ai-cost.ts). On an `invoke_agent` span it may be a total over the agent's calls.
   */
  costUsd: number | null;
}

export interface SpanRow extends AiFields {
  projectId: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  op: string | null;
  /** OpenTelemetry span kind in lower case (server, client, internal, producer, consumer), when known. */
  kind: string | null;
  status: SpanStatus;
  /** Sentry status text ('internal_error', 'not_found', …) or the OTLP status message. */
  statusMessage: string | null;
  startTime: number;
  endTime: number;
  /** The local root of the service that sent it (Sentry segment / transaction, OTLP: no local parent). */
  isSegment: boolean;
  segmentId: string | null;
  serviceName: string | null;
  environment: string | null;
  release: string | null;
  /**
   * 1 / P(this span's trace was stored): 1 / the head sample rate (`sentry.sample_rate`, DSC
   * `sample_rate`, or tracestate `th`), 1 when unknown. Weights multiply across stages.
   */
  weight: number;
  /** Every attribute as received (plain values), including the ones the AI fields came from. */
  attributes: PlainAttributes;
  source: 'sentry' | 'otlp';
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LogRow {
  projectId: number;
  timestamp: number;
  traceId: string | null;
  spanId: string | null;
  level: LogLevel;
  severityNumber: number;
  body: string;
  serviceName: string | null;
  environment: string | null;
  release: string | null;
  attributes: PlainAttributes;
}

export type MetricType = 'counter' | 'gauge' | 'distribution';

/** One measurement (Sentry trace_metric item, or one OTLP data point expanded to a value). */
export interface MetricRow {
  projectId: number;
  timestamp: number;
  traceId: string | null;
  spanId: string | null;
  name: string;
  type: MetricType;
  value: number;
  unit: string | null;
  serviceName: string | null;
  attributes: PlainAttributes;
}

export interface ErrorRow {
  projectId: number;
  eventId: string;
  timestamp: number;
  traceId: string | null;
  spanId: string | null;
  level: string;
  /** Exception type of the outermost exception, e.g. TypeError. */
  type: string;
  message: string;
  /** Frames of the outermost exception, oldest first, as received. */
  frames: ReadonlyArray<Record<string, unknown>>;
  environment: string | null;
  release: string | null;
  tags: Record<string, string>;
  /** The whole event as received, JSON. */
  raw: string;
}

export interface ClientReportRow {
  projectId: number;
  timestamp: number;
  reason: string;
  category: string;
  quantity: number;
}

/** What one request produced: written (and committed) together before the request is acknowledged. */
export interface IngestBatch {
  spans: SpanRow[];
  logs: LogRow[];
  metrics: MetricRow[];
  errors: ErrorRow[];
  clientReports: ClientReportRow[];
}

export function emptyBatch(): IngestBatch {
  return { spans: [], logs: [], metrics: [], errors: [], clientReports: [] };
}

export function batchSize(batch: IngestBatch): number {
  return (
    batch.spans.length +
    batch.logs.length +
    batch.metrics.length +
    batch.errors.length +
    batch.clientReports.length
  );
}
