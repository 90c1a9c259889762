import {
  type Context,
  createContextKey,
  isSpanContextValid,
  type Span as OtelSpan,
  ROOT_CONTEXT,
} from '@opentelemetry/api';
import { getClient } from '../client.js';
import { extractIncomingTrace } from '../propagation/incoming.js';
import { ContextBox, currentStore } from '../trace/context.js';
import { type AnySpan, NonRecordingSpan, RecordingSpan } from '../trace/span.js';

// createContextKey is Symbol.for: the same keys as @opentelemetry/api's and @opentelemetry/core's own,
// whichever copy of them a library loaded.
export const SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN');
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

export function isSieveSpan(value: unknown): value is AnySpan {
  return value instanceof RecordingSpan || value instanceof NonRecordingSpan;
}

/**
 * Sieve spans are OpenTelemetry spans as they are (same methods, same span context), so a span keeps one
 * identity across both APIs. Where the two differ, Sieve's reading applies: `recordException` also sets
 * error status; attribute arrays holding nulls are dropped; a numeric time below 1e11 is epoch seconds,
 * not OpenTelemetry's performance.now()-relative milliseconds (HrTime tuples, Dates and Date.now()
 * numbers, what instrumentations pass, mean the same in both).
 */
export function asOtelSpan(span: AnySpan): OtelSpan {
  return span as unknown as OtelSpan;
}

/**
 * What `context.active()` returns while a Sieve span (or nothing) is active without an OpenTelemetry
 * context around it: one small object instead of OpenTelemetry's map-backed context, and recognised by
 * `with()` so that entering it again stores the bare span.
 */
export class SieveSpanContext implements Context {
  constructor(readonly span: AnySpan) {}

  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this.span : undefined;
  }

  setValue(key: symbol, value: unknown): Context {
    if (key === SPAN_KEY && isSieveSpan(value)) return new SieveSpanContext(value);
    return ROOT_CONTEXT.setValue(SPAN_KEY, this.span).setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return key === SPAN_KEY ? ROOT_CONTEXT : this;
  }
}

/** The OpenTelemetry context a box stands for; a box made by a Sieve API gets it on first request. */
export function contextOfBox(box: ContextBox): Context {
  let ctx = box.context;
  if (ctx === undefined) {
    const base = box.base ?? ROOT_CONTEXT;
    ctx = box.span === undefined ? base.deleteValue(SPAN_KEY) : base.setValue(SPAN_KEY, box.span);
    box.context = ctx;
  }
  return ctx;
}

/** The active OpenTelemetry context, as the bridge's context manager reports it. */
export function activeContext(): Context {
  const store = currentStore();
  if (store === undefined) return ROOT_CONTEXT;
  return store instanceof ContextBox ? contextOfBox(store) : new SieveSpanContext(store);
}

// One placeholder per foreign span: every root started under it then shares one TraceState template and
// so one sample_rand, as roots under one continueTrace do.
const remoteParents = new WeakMap<object, NonRecordingSpan | null>();

/**
 * The Sieve span an OpenTelemetry context carries. A span that is not Sieve's (a remote span context put
 * there by `trace.setSpanContext` or another propagator, or a span of another tracer) becomes the
 * placeholder of a remote parent, so Sieve roots under it continue its trace with its decision.
 */
export function sieveSpanIn(ctx: Context): AnySpan | undefined {
  if (ctx instanceof SieveSpanContext) return ctx.span;
  const span = ctx.getValue(SPAN_KEY);
  if (span === undefined || span === null) return undefined;
  if (isSieveSpan(span)) return span;
  if (typeof span !== 'object' && typeof span !== 'function') return undefined;
  let remote = remoteParents.get(span);
  if (remote === undefined) {
    remote = remoteParentOf(span as Partial<OtelSpan>) ?? null;
    remoteParents.set(span, remote);
  }
  return remote ?? undefined;
}

function remoteParentOf(span: Partial<OtelSpan>): NonRecordingSpan | undefined {
  try {
    const sc = typeof span.spanContext === 'function' ? span.spanContext() : undefined;
    if (sc === undefined || !isSpanContextValid(sc)) return undefined;
    const flags = (sc.traceFlags & 0xff).toString(16).padStart(2, '0');
    // The W3C headers this span context stands for: one parser (and its rules for tracestate's `ot`
    // sampling values) for every way a remote parent arrives.
    const headers: Record<string, string> = { traceparent: `00-${sc.traceId}-${sc.spanId}-${flags}` };
    const tracestate = sc.traceState?.serialize();
    if (typeof tracestate === 'string' && tracestate !== '') headers.tracestate = tracestate;
    const client = getClient();
    const trace = extractIncomingTrace(headers, client?.options.random ?? Math.random, client?.dscDefaults);
    return trace === undefined ? undefined : new NonRecordingSpan(trace, sc.spanId, false, true, undefined);
  } catch {
    return undefined;
  }
}

export function isTracingSuppressed(ctx: Context): boolean {
  return !(ctx instanceof SieveSpanContext) && ctx.getValue(SUPPRESS_TRACING_KEY) === true;
}

/** Suppression of the active context; a bare Sieve span carries no such value, so only boxes are read. */
export function isActiveTracingSuppressed(): boolean {
  const store = currentStore();
  return store instanceof ContextBox && contextOfBox(store).getValue(SUPPRESS_TRACING_KEY) === true;
}
