// The JSON shapes of the query API (packages/server/src/store.ts, model.ts), as the UI reads them.

import type { AiFields } from '../../server/src/model.ts';

export type PlainValue = string | number | boolean | ReadonlyArray<string | number | boolean>;
export type PlainAttributes = Record<string, PlainValue>;
export type SpanStatus = 'ok' | 'error' | 'unset';

// Trace summaries and the AI fields are the server's own (type-only, nothing of the server is bundled).
export type { TracePage, TraceSummary } from '../../server/src/store.ts';
export type AiInfo = AiFields;

export interface Span {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  op: string | null;
  status: SpanStatus;
  startTime: number;
  endTime: number;
  attributes: PlainAttributes;
  statusMessage?: string | null;
  kind?: string | null;
  serviceName?: string | null;
  isSegment?: boolean;
  ai?: AiInfo | null;
}

export interface TraceDetail {
  traceId: string;
  spans: Span[];
}

export interface LogRow {
  timestamp: number;
  traceId: string | null;
  spanId: string | null;
  level: string;
  body: string;
  serviceName: string | null;
  attributes: PlainAttributes;
}

export interface LogPage {
  logs: LogRow[];
  nextCursor: string | null;
}

export interface ErrorRow {
  eventId: string;
  timestamp: number;
  traceId: string | null;
  spanId: string | null;
  level: string;
  type: string;
  message: string;
}

export interface ErrorPage {
  errors: ErrorRow[];
  nextCursor: string | null;
}

export interface SamplingStats {
  stored: { traces: number; spans: number; weightedTraces: number; weightedSpans: number };
  dropped: Array<{ reason: string; category: string; quantity: number }>;
  byRoot: Array<{ name: string; op: string | null; stored: number; weighted: number; effectiveRate: number }>;
  timeline: Array<{ time: number; traces: number; weightedTraces: number; dropped: Record<string, number> }>;
}

export interface ServerInfo {
  dsn: string;
  otlpEndpoint: string;
  publicKey: string;
}

// The agent-run shapes are the server's own (one definition; type-only, nothing of the server is bundled).
export type { AgentRunPage, AgentRunSummary } from '../../server/src/store.ts';

export interface MetricResult {
  name: string;
  type: string | null;
  unit: string | null;
  series: Array<{ group: string | null; points: Array<{ time: number } & Record<string, number>> }>;
}
