export * from './ai/index.js';
export { type CaptureContext, captureException, type ErrorEvent } from './api/errors.js';
export { logger, ParameterizedString } from './api/logger.js';
export { type MetricOptions, metrics } from './api/metrics.js';
export { Client, getClient } from './client.js';
export type { Envelope, EnvelopeHeader, EnvelopeItem, ItemHeader } from './delivery/envelope.js';
export { serializeEnvelope } from './delivery/envelope.js';
export { type HttpTransportOptions, makeHttpTransport } from './delivery/http-transport.js';
export type {
  Transport,
  TransportFactory,
  TransportOptions,
  TransportResponse,
} from './delivery/transport.js';
export { type Dsn, envelopeEndpoint, parseDsn } from './dsn.js';
export * from './exporters/otlp/index.js';
export type { AiOptions, ResolvedOptions, SieveOptions } from './options.js';
export * from './otel/index.js';
export { InMemorySpanProcessor } from './processors/in-memory.js';
export type { IncomingHeaders } from './propagation/incoming.js';
export type { TraceHeaders } from './propagation/outgoing.js';
export type { RescueOptions } from './rescue/options.js';
export type { RescueStats, TraceRescue } from './rescue/trace-rescue.js';
export type { RescueReason } from './rescue/triggers.js';
export {
  type DecisionSource,
  decideRootSampling,
  type RootSamplingInput,
  type SamplingDecision,
} from './sampling/decide.js';
export { parseSampleRate } from './sampling/sample-rate.js';
export type { AiFirstOptions, RouteRatesOptions } from './sampling/samplers.js';
export * as samplers from './sampling/samplers.js';
export { close, flush, init } from './sdk.js';
export {
  continueTrace,
  getActiveSpan,
  getTraceData,
  startInactiveSpan,
  startNewTrace,
  startSpan,
  startSpanManual,
  withActiveSpan,
} from './trace/tracer.js';
export * from './types.js';
