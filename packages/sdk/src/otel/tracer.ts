import {
  type Context,
  type Span as OtelSpan,
  SpanKind,
  type SpanOptions,
  type Tracer,
  type TracerOptions,
  type TracerProvider,
} from '@opentelemetry/api';
import { meterVercelSpan } from '../ai/vercel.js';
import { getClient } from '../client.js';
import { currentSpan, runInStore, runWithSpanArgs } from '../trace/context.js';
import { generateSpanId } from '../trace/ids.js';
import { type AnySpan, NonRecordingSpan } from '../trace/span.js';
import { TraceState } from '../trace/trace-state.js';
import { createSpan } from '../trace/tracer.js';
import type { AttributeValue } from '../types.js';
import { storeOf } from './context-manager.js';
import {
  asOtelSpan,
  isActiveTracingSuppressed,
  isTracingSuppressed,
  SPAN_KEY,
  sieveSpanIn,
} from './spans.js';

type SieveAttributes = Record<string, AttributeValue | undefined>;

/**
 * A span started through `@opentelemetry/api`, made by Sieve's own span factory: a child of the Sieve span
 * in `ctx` (or the active one), or a root that goes through `tracesSampler` with the name and attributes
 * given at start, continuing a remote parent when `ctx` carries one.
 */
export function startSpanFromOtel(
  name: string,
  options: SpanOptions | undefined,
  ctx: Context | undefined,
): AnySpan {
  const opts: SpanOptions = options !== null && typeof options === 'object' ? options : {};
  const hasContext = ctx !== undefined && ctx !== null && typeof ctx === 'object';
  if (hasContext ? isTracingSuppressed(ctx) : isActiveTracingSuppressed()) {
    return suppressedSpan(hasContext ? sieveSpanIn(ctx) : currentSpan());
  }
  // undefined: the active span; null: a new trace (OpenTelemetry's `root: true`, or a context with no span).
  const parentSpan = opts.root === true ? null : hasContext ? (sieveSpanIn(ctx) ?? null) : undefined;
  let attributes = opts.attributes as SieveAttributes | undefined;
  const kind = opts.kind;
  // INTERNAL is the default and says nothing. The others tell an incoming request from an outgoing one when
  // both carry the same http.* attributes; Sentry's OpenTelemetry bridge records the kind as `otel.kind` too.
  if (kind !== undefined && kind !== SpanKind.INTERNAL && typeof SpanKind[kind] === 'string') {
    attributes = { ...attributes, 'otel.kind': SpanKind[kind] };
  }
  // `opts.links` are not kept: Sieve's span format has no links yet (see RecordingSpan.addLink).
  const span = createSpan({ name, attributes, startTime: opts.startTime, parentSpan });
  // The AI SDK's provider calls are measured (tokens, latency, cost) whether or not the trace is sampled.
  return meterVercelSpan(span, name, attributes, opts.startTime);
}

/**
 * Under suppressed tracing (an exporter's own requests, say) nothing is recorded; the span keeps its
 * parent's trace so that what runs inside, Sieve spans included, stays non-recording and ids stay valid.
 */
function suppressedSpan(parent: AnySpan | undefined): AnySpan {
  if (parent !== undefined && !parent.isRemote) {
    return new NonRecordingSpan(parent.trace, parent.spanId, false, false, undefined);
  }
  const client = getClient();
  const trace =
    parent?.trace ?? TraceState.newTrace(client?.options.random ?? Math.random, client?.dscDefaults);
  return new NonRecordingSpan(trace, generateSpanId(), false, false, undefined);
}

function callWithSpan<F extends (span: OtelSpan) => unknown>(
  fn: F,
  span: AnySpan,
  _unused: undefined,
): unknown {
  return fn(asOtelSpan(span));
}

/** The tracer every `trace.getTracer(...)` returns once the bridge is installed. */
export class SieveTracer implements Tracer {
  startSpan(name: string, options?: SpanOptions, ctx?: Context): OtelSpan {
    return asOtelSpan(startSpanFromOtel(name, options, ctx));
  }

  startActiveSpan<F extends (span: OtelSpan) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: OtelSpan) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: OtelSpan) => unknown>(
    name: string,
    options: SpanOptions,
    ctx: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: OtelSpan) => unknown>(
    name: string,
    ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]
  ): ReturnType<F> {
    // The same reading of the arguments as OpenTelemetry's own tracer: by count.
    let options: SpanOptions | undefined;
    let ctx: Context | undefined;
    let fn: F;
    if (rest.length === 1) [fn] = rest;
    else if (rest.length === 2) [options, fn] = rest;
    else [options, ctx, fn] = rest;
    if (typeof fn !== 'function') {
      getClient()?.debugWarn('startActiveSpan needs a callback function; nothing was run');
      return undefined as ReturnType<F>;
    }
    const span = startSpanFromOtel(name, options, ctx);
    // Unlike Sieve's startSpan the callback ends the span: OpenTelemetry's contract.
    if (ctx === undefined || ctx === null) {
      // The Sieve path: the span becomes active, keeping the values of an OpenTelemetry context around it.
      return runWithSpanArgs(span, callWithSpan, fn, span, undefined) as ReturnType<F>;
    }
    return runInStore(
      storeOf(ctx.setValue(SPAN_KEY, span)),
      callWithSpan,
      fn,
      span,
      undefined,
    ) as ReturnType<F>;
  }
}

const sharedTracer = new SieveTracer();

/**
 * The OpenTelemetry tracer provider backed by Sieve: spans go through Sieve's sampler, span processors and
 * transport, whichever instrumentation scope asks.
 */
export class SieveTracerProvider implements TracerProvider {
  getTracer(_name: string, _version?: string, _options?: TracerOptions): Tracer {
    return sharedTracer;
  }
}
