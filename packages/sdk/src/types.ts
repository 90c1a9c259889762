import type { TimeInput } from './trace/time.js';

export type { TimeInput } from './trace/time.js';

/** A span attribute value: what OpenTelemetry and Sentry's span v2 format can carry. */
export type AttributeValue =
  | string
  | number
  | boolean
  | ReadonlyArray<string>
  | ReadonlyArray<number>
  | ReadonlyArray<boolean>;

export type Attributes = Record<string, AttributeValue>;

/** Span status codes, as in OpenTelemetry and Sentry: 0 unset, 1 ok, 2 error. */
export const SPAN_STATUS_UNSET = 0;
export const SPAN_STATUS_OK = 1;
export const SPAN_STATUS_ERROR = 2;
export type SpanStatusCode = typeof SPAN_STATUS_UNSET | typeof SPAN_STATUS_OK | typeof SPAN_STATUS_ERROR;

export interface SpanStatus {
  code: SpanStatusCode;
  /** Sentry-style status text for errors, e.g. 'internal_error', 'not_found', 'cancelled'. */
  message?: string;
}

export interface SpanEvent {
  name: string;
  time: number;
  attributes?: Attributes;
}

/** Trace flag bits of W3C Trace Context. */
export const TRACE_FLAG_SAMPLED = 0x01;
export const TRACE_FLAG_RANDOM = 0x02;

export interface SpanContext {
  traceId: string;
  spanId: string;
  /** W3C trace flags: bit 0 sampled, bit 1 random trace id. */
  traceFlags: number;
  /** True for the placeholder that stands for a parent in another process (inside continueTrace). */
  isRemote?: boolean;
}

/** The live span handed to user code. Every method is safe to call on a non-recording span. */
export interface Span {
  spanContext(): SpanContext;
  /** True when this span records data (its trace was sampled, or a processor buffers unsampled traces). */
  isRecording(): boolean;
  setAttribute(key: string, value: AttributeValue | undefined): this;
  setAttributes(attributes: Record<string, AttributeValue | undefined>): this;
  setStatus(status: SpanStatus): this;
  updateName(name: string): this;
  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this;
  /** Adds an `exception` event (type, message, stack) and sets error status. */
  recordException(error: unknown, time?: TimeInput): void;
  /** Ends the span; later calls are ignored. */
  end(endTime?: TimeInput): void;
}

export interface StartSpanOptions {
  name: string;
  op?: string;
  attributes?: Record<string, AttributeValue | undefined>;
  startTime?: TimeInput;
  /** Parent to use instead of the active span; `null` starts a new trace. */
  parentSpan?: Span | null;
  /** When true and there is no active span, the span is non-recording and no sampling decision is made. */
  onlyIfParent?: boolean;
  /** A forced decision for a root span: the sampler is not called and the rate is not used. */
  sampled?: boolean;
  /** Extra data seen by `tracesSampler` only. Never recorded on the span or sent anywhere. */
  samplingContext?: Record<string, unknown>;
}

/** The incoming HTTP request, as the sampler of an `http.server` root sees it. */
export interface SamplingRequest {
  method: string;
  /** Full URL including query string, e.g. `http://api.local/api/chat?stream=1`. */
  url: string;
  /** Path without query string, e.g. `/api/chat`. */
  path: string;
  /** Route template, when a framework knows it. */
  route?: string;
  headers: Record<string, string | string[] | undefined>;
}

/** What `tracesSampler` receives for each root span. */
export interface SamplingContext {
  name: string;
  op: string | undefined;
  attributes: Readonly<Attributes>;
  /** The upstream decision, when the trace was continued with one. */
  parentSampled?: boolean;
  /** The upstream `sentry-sample_rate`, when valid. */
  parentSampleRate?: number;
  /** `parentSampleRate` if known, else 1/0 for an upstream decision, else `fallback`. */
  inheritOrSampleWith(fallback: number): number;
  request?: SamplingRequest;
  /** The same data in the shape Python and Java samplers read. */
  transactionContext: { name: string; op: string | undefined; data: Readonly<Attributes> };
  /** Custom keys from `startSpan({ samplingContext })`. */
  [key: string]: unknown;
}

/** Returns a sample rate: a number in [0, 1], a boolean, or a numeric string. Anything else drops. */
export type TracesSampler = (context: SamplingContext) => number | boolean | string | undefined | null;

/** A span once it has ended: what span processors read. */
export interface ReadableSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly op: string | undefined;
  readonly attributes: Readonly<Attributes>;
  readonly status: Readonly<SpanStatus>;
  readonly events: readonly SpanEvent[];
  /** Epoch milliseconds with sub-millisecond precision. */
  readonly startTime: number;
  /** Epoch milliseconds; undefined until the span ends. */
  readonly endTime: number | undefined;
  /** The trace's current decision. False for spans of a dropped trace recorded for a processor that asked for them. */
  readonly sampled: boolean;
  /** True for the local root of the trace (the segment: the first span in this process). */
  readonly isSegment: boolean;
  /** The local root of this span's trace in this process. */
  readonly segment: ReadableSpan;
  /** The trace's dynamic sampling context (baggage `sentry-*` values, without the prefix). */
  dynamicSamplingContext(): Readonly<Record<string, string>>;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** One structured log record, as `logger.*` makes it (independent of trace sampling). */
export interface LogRecord {
  /** Epoch milliseconds. */
  timestamp: number;
  level: LogLevel;
  /** OpenTelemetry severity number: trace 1, debug 5, info 9, warn 13, error 17, fatal 21. */
  severityNumber: number;
  body: string;
  /** The active trace, sampled or not. */
  traceId: string;
  /** The active span, when there is one. */
  spanId: string | undefined;
  attributes: Attributes;
}

export type MetricType = 'counter' | 'gauge' | 'distribution';

/** One metric measurement, as `metrics.*` makes it (independent of trace sampling). */
export interface MetricRecord {
  /** Epoch milliseconds. */
  timestamp: number;
  name: string;
  type: MetricType;
  value: number;
  unit: string | undefined;
  traceId: string;
  spanId: string | undefined;
  attributes: Attributes;
}

/**
 * The seam between span creation and everything that happens to spans afterwards: delivery (the
 * envelope transport), the OpenTelemetry bridge and trace rescue all plug in here. A processor that
 * also has `onLog` / `onMetric` receives every log record and metric measurement (an exporter).
 */
export interface SpanProcessor {
  /**
   * When true, spans of traces the head dropped are recorded too (with `sampled === false`) and handed
   * to every processor, so this one can buffer them and promote the trace later. Costs a recording span
   * for every dropped span: leave it off unless you need it. (Trace rescue is built in and does not need
   * this.) When rescue promotes a trace, its spans that already ended are handed over again, sampled.
   */
  readonly recordsUnsampled?: boolean;
  onStart?(span: ReadableSpan): void;
  onEnd(span: ReadableSpan): void;
  onLog?(record: LogRecord): void;
  onMetric?(record: MetricRecord): void;
  /** Resolves true when everything handed over has been delivered, false on timeout. */
  forceFlush?(timeoutMs: number): Promise<boolean>;
  shutdown?(timeoutMs: number): Promise<boolean>;
}
