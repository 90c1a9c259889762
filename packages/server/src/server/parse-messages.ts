/** Messages between ParsePool (parse-pool.ts) and its threads (parse-worker.ts). */
import type { IncomingHttpHeaders } from 'node:http';
import type { OtlpSignal } from '../ingest/otlp.js';
import type { AuthSettings } from './auth.js';

export interface ParseWorkerData {
  auth: AuthSettings;
  limits: { maxDecompressedBytes: number };
}

export type ParseJob = { id: number; body: Uint8Array; headers: IncomingHttpHeaders } & (
  | { kind: 'envelope'; projectParam: string; query: Record<string, unknown>; legacyStore: boolean }
  | { kind: 'otlp'; signal: OtlpSignal }
);

export type ParseResult =
  | {
      id: number;
      ok: true;
      /** The batch from serializeBatch: validated, encoded, v8-serialized. */
      bytes: Uint8Array;
      rows: number;
      /** Envelopes: the `id` of the 200 answer. */
      eventId?: string | null;
      /** OTLP: the Export*ServiceResponse to send. */
      response?: string | Uint8Array;
      contentType?: string;
    }
  /** `status` set: an IngestError (the client's fault); else an unexpected failure (500). */
  | { id: number; ok: false; status?: number; message: string };
