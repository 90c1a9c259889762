import { type Client, getClient } from '../client.js';
import { extractIncomingTrace, type IncomingHeaders } from '../propagation/incoming.js';
import { type TraceHeaders, traceHeaders } from '../propagation/outgoing.js';
import { decideRootSampling, inheritOrSampleWith } from '../sampling/decide.js';
import { describeValue } from '../sampling/sample-rate.js';
import type { Attributes, SamplingContext, Span, StartSpanOptions } from '../types.js';
import { currentSpan, runWithSpan, runWithSpanArgs } from './context.js';
import { generateSpanId } from './ids.js';
import { type AnySpan, applyAttributes, NonRecordingSpan, RecordingSpan } from './span.js';
import { nowMs, toEpochMs } from './time.js';
import { TraceState } from './trace-state.js';

/** Internal extras for spans that integrations start. */
export interface RootExtras {
  /** The name is `METHOD /raw/path`: keep it out of the DSC until renamed to a route. */
  nameIsUrl?: boolean;
}

function asInternal(span: unknown): AnySpan | undefined {
  return span instanceof RecordingSpan || span instanceof NonRecordingSpan ? span : undefined;
}

function spanName(options: StartSpanOptions): string {
  const name = options.name;
  return typeof name === 'string'
    ? name
    : name === undefined || name === null
      ? '<unnamed>'
      : describeValue(name);
}

/**
 * Creates a span per the options and the active context. The hot path: a child of a recording span is
 * one object plus its attributes; a child of a dropped trace is no allocation at all.
 */
export function createSpan(options: StartSpanOptions, extras?: RootExtras): AnySpan {
  try {
    return createSpanUnsafe(options, extras);
  } catch (error) {
    // Hostile input (a throwing getter in the options, say) must not reach user code: record nothing.
    const client = getClient();
    client?.debugWarn(`could not start span: ${String(error)}`);
    return new NonRecordingSpan(
      TraceState.newTrace(Math.random, client?.dscDefaults),
      generateSpanId(),
      false,
      false,
      undefined,
    );
  }
}

function createSpanUnsafe(options: StartSpanOptions, extras: RootExtras | undefined): AnySpan {
  if (options === null || typeof options !== 'object') options = { name: describeValue(options) };
  const explicit = options.parentSpan;
  const parent =
    explicit === undefined ? currentSpan() : explicit === null ? undefined : asInternal(explicit);
  if (parent !== undefined && !parent.isRemote) {
    if (!parent.recording) return parent.nonRecordingChild();
    const attributes: Attributes = {};
    if (options.attributes !== undefined) applyAttributes(attributes, options.attributes);
    const op = options.op ?? (attributes['sentry.op'] as string | undefined);
    const start = options.startTime === undefined ? nowMs() : (toEpochMs(options.startTime) ?? nowMs());
    const span = new RecordingSpan(
      parent.trace,
      generateSpanId(),
      parent.spanId,
      spanName(options),
      op,
      attributes,
      start,
      parent.sink,
      parent.segment,
    );
    const rescue = parent.sink.rescue;
    if (rescue !== undefined) rescue.onStart(span);
    notifyStart(span);
    return span;
  }
  const client = getClient();
  if (parent === undefined && options.onlyIfParent === true) {
    return new NonRecordingSpan(
      TraceState.newTrace(client?.options.random ?? Math.random, client?.dscDefaults),
      generateSpanId(),
      false,
      false,
      undefined,
    );
  }
  return createRoot(client, options, parent, extras);
}

function notifyStart(span: RecordingSpan): void {
  const processors = span.sink.startProcessors;
  for (let i = 0; i < processors.length; i++) {
    try {
      processors[i]!.onStart!(span);
    } catch (error) {
      span.sink.debugWarn(`span processor threw in onStart: ${String(error)}`);
    }
  }
}

/** A root: the only kind of span that makes a sampling decision. */
function createRoot(
  client: Client | undefined,
  options: StartSpanOptions,
  remote: NonRecordingSpan | undefined,
  extras: RootExtras | undefined,
): AnySpan {
  if (client === undefined || !client.options.tracingEnabled) {
    // Tracing disabled: a placeholder that carries the (incoming) trace and decision unchanged.
    const trace =
      remote?.trace ?? TraceState.newTrace(client?.options.random ?? Math.random, client?.dscDefaults);
    return new NonRecordingSpan(trace, generateSpanId(), true, false, undefined);
  }
  const opts = client.options;
  const trace =
    remote !== undefined
      ? TraceState.continueFrom(remote.trace)
      : TraceState.newTrace(opts.random, client.dscDefaults);
  const name = spanName(options);
  const attributes: Attributes = {};
  const bad = applyAttributes(attributes, options.attributes);
  if (bad !== undefined) client.debugWarn(`span "${name}": attribute "${bad}" ignored, invalid value`);
  const op = options.op ?? (attributes['sentry.op'] as string | undefined);
  const parentSampled = remote?.trace.sampled;
  const parentSampleRate = remote?.trace.sampleRate;

  let context: SamplingContext | undefined;
  if (opts.tracesSampler !== undefined) {
    // A snapshot: what the sampler holds on to or changes is not what the span records.
    const seen = { ...attributes };
    const custom = options.samplingContext;
    context = {
      ...(custom !== null && typeof custom === 'object' ? custom : undefined),
      name,
      op,
      attributes: seen,
      inheritOrSampleWith: (fallback: number) =>
        inheritOrSampleWith(parentSampled, parentSampleRate, fallback),
      transactionContext: { name, op, data: seen },
    };
    if (parentSampled !== undefined) context.parentSampled = parentSampled;
    if (parentSampleRate !== undefined) context.parentSampleRate = parentSampleRate;
  }
  const forced = options.sampled;
  const decision = decideRootSampling({
    forced: typeof forced === 'boolean' ? forced : undefined,
    tracesSampler: opts.tracesSampler,
    tracesSampleRate: opts.tracesSampleRate,
    parentSampled,
    parentSampleRate,
    sampleRand: trace.sampleRand,
    context,
  });
  if (decision.invalid !== undefined) {
    const why =
      decision.invalid.error !== undefined
        ? `threw ${describeValue(decision.invalid.error instanceof Error ? decision.invalid.error.message : decision.invalid.error)}`
        : `returned ${describeValue(decision.invalid.value)}, not a rate between 0 and 1`;
    client.debugWarn(`tracesSampler ${why} for "${name}"; the trace is dropped`);
  }
  trace.sampled = decision.sampled;
  trace.sampleRate = decision.sampleRate;
  trace.rateApplied = decision.source !== 'parent';
  const nameIsUrl = extras?.nameIsUrl === true;

  const start = options.startTime === undefined ? nowMs() : (toEpochMs(options.startTime) ?? nowMs());
  // Rescue buffers every root the head dropped, except a forced `sampled: false`: the seed promises that
  // a decision passed at start is never overwritten.
  const rescue = client.rescue;
  const rescuing = !decision.sampled && rescue !== undefined && forced !== false;
  if (decision.sampled || rescuing || client.recordsUnsampled) {
    if (decision.sampled && decision.sampleRate !== undefined)
      attributes['sentry.sample_rate'] = decision.sampleRate;
    const span = new RecordingSpan(
      trace,
      generateSpanId(),
      trace.remoteParentSpanId,
      name,
      op,
      attributes,
      start,
      client,
      undefined,
    );
    span.nameIsUrl = nameIsUrl;
    trace.segment = span;
    if (rescue !== undefined) {
      if (rescuing) rescue.admit(trace, span);
      // A gen_ai root (an agent run started by a cron or a queue) promotes itself right away.
      rescue.onStart(span);
    }
    notifyStart(span);
    return span;
  }
  client.recordDroppedEvent('sample_rate', 'transaction', 1);
  trace.segment = { name, nameIsUrl };
  return new NonRecordingSpan(trace, generateSpanId(), true, false, client);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function markError(span: AnySpan, error: unknown): void {
  if (span.recording) span.recordException(error);
}

/**
 * Calls `callback(span, finish)` (span already active) and, when `endOnSettle`, ends the span when it
 * returns, throws or its promise settles. A throw or rejection records the error on the span.
 */
function runSpanCallback<T>(
  span: AnySpan,
  callback: (span: Span, finish: () => void) => T,
  endOnSettle: boolean,
): T {
  let result: T;
  try {
    result = endOnSettle ? (callback as (span: Span) => T)(span) : callback(span, () => span.end());
  } catch (error) {
    markError(span, error);
    if (endOnSettle) span.end();
    throw error;
  }
  if (isThenable(result)) {
    // Handlers go on the caller's promise and the caller gets that same promise back, so thenables that
    // are not native promises keep their type, and no extra rejection is created.
    result.then(
      () => {
        if (endOnSettle) span.end();
      },
      (error: unknown) => {
        markError(span, error);
        if (endOnSettle) span.end();
      },
    );
  } else if (endOnSettle) {
    span.end();
  }
  return result;
}

function badCallback(name: string): undefined {
  getClient()?.debugWarn(`${name} needs a callback function; nothing was run`);
  return undefined;
}

/**
 * Starts a span, makes it active for `callback`, and ends it when the callback returns or its promise
 * settles. A throw or rejection sets error status and is rethrown unchanged.
 */
export function startSpan<T>(options: StartSpanOptions, callback: (span: Span) => T): T {
  if (typeof callback !== 'function') return badCallback('startSpan') as T;
  const span = createSpan(options);
  // A dropped trace's children share the parent's placeholder: no new context to enter.
  if (!span.recording && !span.isRoot) return callback(span);
  return runWithSpanArgs(span, runSpanCallback<T>, span, callback, true);
}

/** Like startSpan, but the span ends only when `span.end()` (or `finish()`) is called. */
export function startSpanManual<T>(
  options: StartSpanOptions,
  callback: (span: Span, finish: () => void) => T,
): T {
  if (typeof callback !== 'function') return badCallback('startSpanManual') as T;
  const span = createSpan(options);
  if (!span.recording && !span.isRoot) return callback(span, () => span.end());
  return runWithSpanArgs(span, runSpanCallback<T>, span, callback, false);
}

/** Starts a span that is not made active; the caller ends it. */
export function startInactiveSpan(options: StartSpanOptions): Span {
  return createSpan(options);
}

/** The active span, if any. (The placeholder of continueTrace is not a span of this process.) */
export function getActiveSpan(): Span | undefined {
  const span = currentSpan();
  return span === undefined || span.isRemote ? undefined : span;
}

/** Runs `callback` with `span` active; `null` runs it with no active span. */
export function withActiveSpan<T>(span: Span | null, callback: (scope: undefined) => T): T {
  if (typeof callback !== 'function') return badCallback('withActiveSpan') as T;
  const internal = span === null ? undefined : asInternal(span);
  return runWithSpan(internal, () => callback(undefined));
}

/** Runs `callback` outside any trace: roots started inside begin new traces. */
export function startNewTrace<T>(callback: () => T): T {
  if (typeof callback !== 'function') return badCallback('startNewTrace') as T;
  return runWithSpan(undefined, callback);
}

/** The state of a trace continued from incoming headers, or of a new trace when they carry none. */
export function remoteParentFor(
  headers: IncomingHeaders | undefined,
  client: Client | undefined,
): NonRecordingSpan {
  const random = client?.options.random ?? Math.random;
  const incoming =
    headers !== undefined && headers !== null
      ? extractIncomingTrace(headers, random, client?.dscDefaults)
      : undefined;
  const trace = incoming ?? TraceState.newTrace(random, client?.dscDefaults);
  return new NonRecordingSpan(trace, generateSpanId(), false, true, undefined);
}

/**
 * Continues the trace described by `headers` (`sentry-trace`/`baggage` and/or `traceparent`/`tracestate`)
 * for `callback`: roots started inside belong to it and inherit its decision. Malformed or missing
 * headers start a new trace.
 */
export function continueTrace<T>(headers: IncomingHeaders, callback: () => T): T {
  if (typeof callback !== 'function') return badCallback('continueTrace') as T;
  let remote: NonRecordingSpan;
  try {
    remote = remoteParentFor(headers, getClient());
  } catch (error) {
    getClient()?.debugWarn(
      `continueTrace could not read the headers (${String(error)}); starting a new trace`,
    );
    remote = remoteParentFor(undefined, getClient());
  }
  return runWithSpan(remote, callback);
}

const DEFAULT_SETTINGS = { propagateTraceparent: true, propagateOtTracestate: true };

/** Trace headers of `span`, with `spanId` as the parent id the callee sees (default: the span's own id). */
export function headersForSpan(span: AnySpan, spanId = span.spanId): TraceHeaders {
  return traceHeaders(span.trace, spanId, getClient()?.options ?? DEFAULT_SETTINGS);
}

/**
 * `sentry-trace`, `baggage` and `traceparent` (plus `tracestate` when there is one) for the active span
 * or continued trace, to put on an outgoing request or a message. Empty outside any trace.
 */
export function getTraceData(): Partial<TraceHeaders> {
  const span = currentSpan();
  if (span === undefined) return {};
  try {
    return headersForSpan(span);
  } catch (error) {
    getClient()?.debugWarn(`getTraceData failed: ${String(error)}`);
    return {};
  }
}
