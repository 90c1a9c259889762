/** Messages between ThreadedDuckDbStore (thread.ts) and its worker (store-worker.ts). */
import type {
  AgentRunQuery,
  ErrorQuery,
  LogQuery,
  MetricQuery,
  SamplingQuery,
  TraceQuery,
} from '../../store.js';
import type { EncodedBatch } from './writer.js';

export type Request = { id: number } & (
  | { op: 'open' }
  | { op: 'write'; batch: EncodedBatch }
  /** A batch from serializeBatch (the bytes of its ingest-journal record `seq`, when journaled). */
  | { op: 'writeBytes'; seq?: number; bytes: Uint8Array }
  | { op: 'committedJournalSeqs' }
  | { op: 'forgetJournalSeqs'; seq: number }
  | { op: 'listTraces'; query: TraceQuery }
  | { op: 'getTrace'; projectId: number; traceId: string }
  | { op: 'queryLogs'; query: LogQuery }
  | { op: 'queryMetrics'; query: MetricQuery }
  | { op: 'samplingStats'; query: SamplingQuery }
  | { op: 'listErrors'; query: ErrorQuery }
  | { op: 'listAgentRuns'; query: AgentRunQuery }
  | { op: 'deleteOlderThan'; time: number }
  | { op: 'checkpoint' }
  | { op: 'stats' }
  | { op: 'close' }
);

/** Distributes over the union, so each request keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
export type Call = WithoutId<Request>;

export type Response =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string } };
