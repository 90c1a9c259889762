/**
 * A thread of ParsePool (parse-pool.ts): turns one request body into a batch ready for the store
 * (ingestEnvelope / ingestOtlp, then serializeBatch) and posts back the bytes and the answer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { IngestError } from '../ingest/errors.js';
import { serializeBatch } from '../storage/duckdb/writer.js';
import type { ParseJob, ParseResult, ParseWorkerData } from './parse-messages.js';
import { ingestEnvelope, ingestOtlp } from './pipeline.js';

const port = parentPort;
if (!port) throw new Error('parse-worker.ts runs as a worker thread');
const { auth, limits } = workerData as ParseWorkerData;

async function parse(job: ParseJob): Promise<ParseResult> {
  const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
  if (job.kind === 'envelope') {
    const { batch, eventId } = await ingestEnvelope(body, {
      projectParam: job.projectParam,
      query: job.query,
      headers: job.headers,
      auth,
      limits,
      legacyStore: job.legacyStore,
    });
    return { id: job.id, ok: true, ...serializeBatch(batch), eventId };
  }
  const { batch, response, contentType } = await ingestOtlp(job.signal, body, {
    headers: job.headers,
    auth,
    limits,
  });
  return { id: job.id, ok: true, ...serializeBatch(batch), response, contentType };
}

port.on('message', (job: ParseJob) => {
  parse(job).then(
    (result) => {
      // The serialized batch is handed over, not copied, when it owns its memory.
      const transfer = result.ok && ownsBuffer(result.bytes) ? [result.bytes.buffer as ArrayBuffer] : [];
      port.postMessage(result, transfer);
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const status = error instanceof IngestError ? error.status : undefined;
      port.postMessage({ id: job.id, ok: false, status, message } satisfies ParseResult);
    },
  );
});

function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}
