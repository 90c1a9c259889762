import type { TraceRescue } from '../rescue/trace-rescue.js';
import type {
  Attributes,
  AttributeValue,
  ReadableSpan,
  Span,
  SpanContext,
  SpanEvent,
  SpanProcessor,
  SpanStatus,
} from '../types.js';
import { SPAN_STATUS_ERROR, TRACE_FLAG_RANDOM, TRACE_FLAG_SAMPLED } from '../types.js';
import { nowMs, type TimeInput, toEpochMs } from './time.js';
import type { TraceState } from './trace-state.js';

export type DiscardReason =
  | 'sample_rate'
  | 'queue_overflow'
  | 'network_error'
  | 'ratelimit_backoff'
  | 'send_error'
  | 'before_send'
  | 'buffer_overflow'
  | 'invalid_data';
export type DiscardCategory = 'transaction' | 'span' | 'log_item' | 'trace_metric' | 'error';

/** What spans need from the client that made them. */
export interface SpanSink {
  readonly processors: readonly SpanProcessor[];
  readonly startProcessors: readonly SpanProcessor[];
  /** Trace rescue, when on: sees every recording span's start and end before the processors. */
  readonly rescue: TraceRescue | undefined;
  recordDroppedEvent(reason: DiscardReason, category: DiscardCategory, quantity: number): void;
  debugWarn(message: string): void;
}

const EMPTY_EVENTS: readonly SpanEvent[] = Object.freeze([]);
const UNSET_STATUS: Readonly<SpanStatus> = Object.freeze({ code: 0 });

function traceFlags(trace: TraceState): number {
  return (trace.sampled === true ? TRACE_FLAG_SAMPLED : 0) | (trace.randomFlag ? TRACE_FLAG_RANDOM : 0);
}

function isAttributeValue(value: unknown): value is AttributeValue {
  const t = typeof value;
  if (t === 'string' || t === 'boolean') return true;
  if (t === 'number') return true;
  if (!Array.isArray(value)) return false;
  // Homogeneous arrays of primitives only, as OpenTelemetry and span v2 allow.
  const first = typeof value[0];
  if (first !== 'string' && first !== 'number' && first !== 'boolean' && value.length > 0) return false;
  for (let i = 1; i < value.length; i++) if (typeof value[i] !== first) return false;
  return true;
}

/** Writes attributes into `target`, skipping invalid values; undefined deletes. Returns the first bad key. */
export function applyAttributes(
  target: Attributes,
  source: Record<string, AttributeValue | undefined> | undefined,
): string | undefined {
  let bad: string | undefined;
  if (source === undefined || source === null || typeof source !== 'object') return bad;
  for (const key in source) {
    const value = source[key];
    if (value === undefined) {
      delete target[key];
    } else if (isAttributeValue(value)) {
      target[key] = Array.isArray(value) ? (value.slice() as AttributeValue) : value;
    } else if (bad === undefined) {
      bad = key;
    }
  }
  return bad;
}

/** The fields of a non-Error `{ name, message, stack }` object, or undefined; never throws (getters may). */
function errorLike(value: unknown): { name: unknown; message: unknown; stack: unknown } | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  try {
    const { name, message, stack } = value as { name?: unknown; message?: unknown; stack?: unknown };
    return typeof message === 'string' || typeof name === 'string' ? { name, message, stack } : undefined;
  } catch {
    return undefined;
  }
}

function errorEvent(error: unknown, time: number): SpanEvent {
  const attributes: Attributes = {};
  const like = error instanceof Error ? undefined : errorLike(error);
  if (error instanceof Error) {
    attributes['exception.type'] = error.name;
    attributes['exception.message'] = error.message;
    if (typeof error.stack === 'string') attributes['exception.stacktrace'] = error.stack;
  } else if (like !== undefined) {
    // OpenTelemetry's `Exception` is a plain `{ name, message, stack }` as often as an Error (the Vercel AI
    // SDK copies its errors into one), and String() of it says only `[object Object]`.
    if (typeof like.name === 'string') attributes['exception.type'] = like.name;
    if (typeof like.message === 'string') attributes['exception.message'] = like.message;
    if (typeof like.stack === 'string') attributes['exception.stacktrace'] = like.stack;
  } else {
    let message: string;
    try {
      message = String(error);
    } catch {
      message = Object.prototype.toString.call(error);
    }
    attributes['exception.message'] = message;
  }
  return { name: 'exception', time, attributes };
}

/**
 * A span that records: its trace was sampled, or a processor asked for the spans of dropped traces.
 * This object is both the live handle user code holds and the ReadableSpan processors receive.
 */
export class RecordingSpan implements Span, ReadableSpan {
  readonly recording = true;
  readonly isRemote = false;
  readonly traceId: string;
  readonly segment: RecordingSpan;
  attributes: Attributes;
  status: Readonly<SpanStatus> = UNSET_STATUS;
  events: readonly SpanEvent[] = EMPTY_EVENTS;
  endTime: number | undefined = undefined;
  /** For http.server roots named `METHOD /path` until a route is known: kept out of the DSC. */
  nameIsUrl = false;

  constructor(
    readonly trace: TraceState,
    readonly spanId: string,
    readonly parentSpanId: string | undefined,
    public name: string,
    public op: string | undefined,
    attributes: Attributes,
    readonly startTime: number,
    readonly sink: SpanSink,
    segment: RecordingSpan | undefined,
  ) {
    this.traceId = trace.traceId;
    this.attributes = attributes;
    this.segment = segment ?? this;
  }

  get sampled(): boolean {
    return this.trace.sampled === true;
  }

  get isSegment(): boolean {
    return this.segment === this;
  }

  get ended(): boolean {
    return this.endTime !== undefined;
  }

  dynamicSamplingContext(): Readonly<Record<string, string>> {
    return this.trace.dsc();
  }

  spanContext(): SpanContext {
    return { traceId: this.traceId, spanId: this.spanId, traceFlags: traceFlags(this.trace) };
  }

  isRecording(): boolean {
    return this.endTime === undefined;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (this.endTime !== undefined) return this;
    if (value === undefined) {
      delete this.attributes[key];
    } else if (isAttributeValue(value)) {
      this.attributes[key] = Array.isArray(value) ? (value.slice() as AttributeValue) : value;
      if (key === 'sentry.op' && typeof value === 'string') this.op = value;
    } else {
      this.sink.debugWarn(
        `span "${this.name}": attribute "${key}" ignored, not a string, number, boolean or array`,
      );
    }
    return this;
  }

  setAttributes(attributes: Record<string, AttributeValue | undefined>): this {
    if (this.endTime !== undefined) return this;
    const bad = applyAttributes(this.attributes, attributes);
    if (bad !== undefined)
      this.sink.debugWarn(`span "${this.name}": attribute "${bad}" ignored, invalid value`);
    const op = this.attributes['sentry.op'];
    if (typeof op === 'string') this.op = op;
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.endTime !== undefined || status === null || typeof status !== 'object') return this;
    const code = status.code;
    if (code !== 0 && code !== 1 && code !== 2) return this;
    this.status = typeof status.message === 'string' ? { code, message: status.message } : { code };
    return this;
  }

  updateName(name: string): this {
    if (this.endTime === undefined && typeof name === 'string') {
      this.name = name;
      this.nameIsUrl = false;
    }
    return this;
  }

  /** Links (OpenTelemetry's `addLink`) are not kept: Sieve's span format has no place for them yet. */
  addLink(_link: unknown): this {
    return this;
  }

  addLinks(_links: unknown): this {
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.endTime !== undefined) return this;
    let attributes: Attributes | undefined;
    let at: number | undefined;
    const asTime = toEpochMs(attributesOrTime);
    if (asTime !== undefined) {
      at = asTime;
    } else if (attributesOrTime !== null && typeof attributesOrTime === 'object') {
      attributes = {};
      applyAttributes(attributes, attributesOrTime as Attributes);
      at = toEpochMs(time);
    }
    const event: SpanEvent = { name: String(name), time: at ?? nowMs() };
    if (attributes !== undefined) event.attributes = attributes;
    this.events = this.events === EMPTY_EVENTS ? [event] : [...this.events, event];
    return this;
  }

  recordException(error: unknown, time?: TimeInput): void {
    if (this.endTime !== undefined) return;
    const event = errorEvent(error, toEpochMs(time) ?? nowMs());
    this.events = this.events === EMPTY_EVENTS ? [event] : [...this.events, event];
    if (this.status.code !== SPAN_STATUS_ERROR)
      this.status = { code: SPAN_STATUS_ERROR, message: 'internal_error' };
  }

  end(endTime?: TimeInput): void {
    if (this.endTime !== undefined) return;
    this.endTime = endTime === undefined ? nowMs() : (toEpochMs(endTime) ?? nowMs());
    // Rescue first: a failure recorded on this span may promote the trace, and then the processors
    // below already see it sampled.
    const rescue = this.sink.rescue;
    if (rescue !== undefined) rescue.onEnd(this);
    handToProcessors(this);
  }
}

/** Hands an ended span to every processor (also used by rescue for the spans it buffered). */
export function handToProcessors(span: RecordingSpan): void {
  const processors = span.sink.processors;
  for (let i = 0; i < processors.length; i++) {
    try {
      processors[i]!.onEnd(span);
    } catch (error) {
      span.sink.debugWarn(`span processor threw in onEnd: ${String(error)}`);
    }
  }
}

/**
 * A span that records nothing: a child of a dropped trace, a root when tracing is disabled, or the
 * placeholder for a remote parent inside continueTrace. It still carries the trace's ids and decision
 * so that propagation works. Children of a non-recording span share one placeholder object, so an
 * unsampled child costs no allocation.
 */
export class NonRecordingSpan implements Span {
  readonly recording = false;
  private ended = false;
  private child: NonRecordingSpan | undefined;

  constructor(
    readonly trace: TraceState,
    readonly spanId: string,
    /** A local root: ending it reports the dropped trace. */
    readonly isRoot: boolean,
    readonly isRemote: boolean,
    private readonly sink: SpanSink | undefined,
  ) {}

  /** The shared placeholder for spans started under this one. */
  nonRecordingChild(): NonRecordingSpan {
    if (!this.isRoot && !this.isRemote) {
      this.trace.droppedSpans++;
      return this;
    }
    let child = this.child;
    if (child === undefined) {
      child = new NonRecordingSpan(this.trace, this.spanId, false, false, undefined);
      this.child = child;
    }
    this.trace.droppedSpans++;
    return child;
  }

  spanContext(): SpanContext {
    const ctx: SpanContext = {
      traceId: this.trace.traceId,
      spanId: this.spanId,
      traceFlags: traceFlags(this.trace),
    };
    if (this.isRemote) ctx.isRemote = true;
    return ctx;
  }

  isRecording(): boolean {
    return false;
  }

  setAttribute(): this {
    return this;
  }

  setAttributes(): this {
    return this;
  }

  setStatus(): this {
    return this;
  }

  updateName(): this {
    return this;
  }

  addEvent(): this {
    return this;
  }

  addLink(): this {
    return this;
  }

  addLinks(): this {
    return this;
  }

  recordException(): void {}

  end(): void {
    if (this.ended || !this.isRoot) return;
    this.ended = true;
    // Only a root the sampler dropped is a discarded trace; a disabled-tracing placeholder decided nothing.
    if (this.sink !== undefined && this.trace.sampled === false) {
      this.sink.recordDroppedEvent('sample_rate', 'span', 1 + this.trace.droppedSpans);
    }
  }
}

export type AnySpan = RecordingSpan | NonRecordingSpan;
