import type { IncomingHttpHeaders } from 'node:http';
import { addAiCosts } from '../ingest/ai-cost.js';
import { extractPublicKey } from '../ingest/auth.js';
import { decodeBody } from '../ingest/decode-body.js';
import { type Envelope, parseEnvelope, storeBodyToEnvelope } from '../ingest/envelope.js';
import { IngestError } from '../ingest/errors.js';
import {
  type OtlpSignal,
  otlpJsonResponse,
  otlpLogsToBatch,
  otlpMetricsToBatch,
  otlpTracesToBatch,
  rejectedCount,
} from '../ingest/otlp.js';
import { decodeOtlpProtobuf, encodeOtlpProtobufResponse } from '../ingest/otlp-protobuf.js';
import { sentryEnvelopeToBatch } from '../ingest/sentry.js';
import type { IngestBatch } from '../model.js';
import { type AuthSettings, authorize, DEFAULT_PROJECT_ID } from './auth.js';

export type { OtlpSignal } from '../ingest/otlp.js';

export interface RequestContext {
  headers: IncomingHttpHeaders;
  auth: AuthSettings;
  limits: { maxDecompressedBytes: number };
}

/**
 * A Sentry envelope (or a legacy /store/ event) → the batch to commit. Auth is checked after parsing
 * because one of its three forms is the `dsn` in the envelope header.
 */
export async function ingestEnvelope(
  raw: Buffer,
  request: RequestContext & { projectParam: string; query: Record<string, unknown>; legacyStore?: boolean },
): Promise<{ batch: IngestBatch; eventId: string | null }> {
  const body = await decodeBody(raw, request.headers['content-encoding'], {
    maxBytes: request.limits.maxDecompressedBytes,
  });
  const envelope: Envelope = request.legacyStore === true ? storeBodyToEnvelope(body) : parseEnvelope(body);
  const { publicKey } = extractPublicKey({
    query: request.query,
    headers: request.headers,
    envelopeHeader: envelope.header,
  });
  const projectId = authorize(request.auth, request.projectParam, publicKey, false);
  const { batch } = sentryEnvelopeToBatch(envelope, projectId, { now: Date.now() });
  addAiCosts(batch.spans);
  const eventId = typeof envelope.header.event_id === 'string' ? envelope.header.event_id : null;
  return { batch, eventId };
}

const TO_BATCH = { traces: otlpTracesToBatch, logs: otlpLogsToBatch, metrics: otlpMetricsToBatch } as const;

/** An OTLP/HTTP export (protobuf or JSON) → the batch to commit and the Export*ServiceResponse to send. */
export async function ingestOtlp(
  signal: OtlpSignal,
  raw: Buffer,
  request: RequestContext,
): Promise<{ batch: IngestBatch; response: Buffer | string; contentType: string }> {
  const contentType = String(request.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  const protobuf = contentType === 'application/x-protobuf' || contentType === 'application/protobuf';
  if (!protobuf && contentType !== 'application/json') {
    throw new IngestError(
      415,
      `content-type "${contentType || '(none)'}" is not OTLP: use application/x-protobuf or application/json`,
    );
  }
  const { publicKey } = extractPublicKey({ headers: request.headers });
  const projectId = authorize(request.auth, DEFAULT_PROJECT_ID, publicKey, true);
  const body = await decodeBody(raw, request.headers['content-encoding'], {
    maxBytes: request.limits.maxDecompressedBytes,
  });
  let decoded: unknown;
  if (protobuf) {
    decoded = decodeOtlpProtobuf(signal, body);
  } else {
    try {
      decoded = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new IngestError(400, `invalid OTLP JSON: ${(error as Error).message}`);
    }
  }
  const result = TO_BATCH[signal](decoded, projectId);
  addAiCosts(result.batch.spans);
  const rejected = rejectedCount(result);
  const response = protobuf
    ? Buffer.from(encodeOtlpProtobufResponse(signal, rejected, result.errorMessage))
    : JSON.stringify(otlpJsonResponse(signal, rejected, result.errorMessage));
  return {
    batch: result.batch,
    response,
    contentType: protobuf ? 'application/x-protobuf' : 'application/json',
  };
}
