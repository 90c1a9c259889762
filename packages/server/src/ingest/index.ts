/**
 * The ingest layer: pure functions from request bodies to an IngestBatch. A server route runs, for a
 * Sentry envelope: decodeBody → parseEnvelope (or storeBodyToEnvelope for /store/) → extractPublicKey →
 * sentryEnvelopeToBatch; for OTLP: decodeBody → JSON.parse or decodeOtlpProtobuf → extractPublicKey →
 * otlp{Traces,Logs,Metrics}ToBatch → otlpJsonResponse / encodeOtlpProtobufResponse. Every refusal of a
 * whole request is an IngestError carrying its HTTP status.
 */
export { isAiSpan, normaliseAi } from './ai-attributes.js';
export {
  type AuthResult,
  type AuthSource,
  type AuthSources,
  extractPublicKey,
  publicKeyFromDsn,
} from './auth.js';
export {
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  type DecodeBodyOptions,
  decodeBody,
  decodeBodySync,
} from './decode-body.js';
export {
  DEFAULT_MAX_ITEM_BYTES,
  DEFAULT_MAX_ITEMS,
  type Envelope,
  type EnvelopeHeader,
  type EnvelopeItem,
  type EnvelopeLimits,
  type ItemHeader,
  parseEnvelope,
  storeBodyToEnvelope,
} from './envelope.js';
export { IngestError, type IngestErrorStatus, isIngestError } from './errors.js';
export {
  type OtlpJsonResponse,
  type OtlpLogsResult,
  type OtlpMetricsResult,
  type OtlpOptions,
  type OtlpSignal,
  type OtlpTracesResult,
  otlpJsonResponse,
  otlpLogsToBatch,
  otlpMetricsToBatch,
  otlpTracesToBatch,
  rejectedCount,
} from './otlp.js';
export {
  decodeOtlpProtobuf,
  decodeOtlpProtobufResponse,
  encodeOtlpProtobufResponse,
} from './otlp-protobuf.js';
export {
  type RejectedRecord,
  type SentryBatchOptions,
  type SentryIngestResult,
  type SkippedItem,
  sentryEnvelopeToBatch,
} from './sentry.js';
export { MAX_WEIGHT, parseRate, rateFromTraceState, weightFromRate, weightOf } from './weights.js';
