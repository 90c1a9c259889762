import { rateToThreshold, sampleRandToRv } from '../../propagation/tracestate.js';
import { parseSampleRand } from '../../sampling/sample-rand.js';
import { parseSampleRate } from '../../sampling/sample-rate.js';
import type { ReadableSpan, SpanEvent } from '../../types.js';
import { TRACE_FLAG_SAMPLED } from '../../types.js';
import { msToNanos, SCOPE, toKeyValues } from './common.js';
import {
  type ExportTraceServiceRequest,
  type OtlpResource,
  type OtlpSpan,
  type OtlpSpanEvent,
  type OtlpStatus,
  SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE,
  SPAN_FLAGS_CONTEXT_IS_REMOTE,
  SPAN_KIND_CLIENT,
  SPAN_KIND_INTERNAL,
  SPAN_KIND_SERVER,
  STATUS_CODE_ERROR,
} from './types.js';

/** Sieve spans carry no kind; the op says it for the two kinds the SDK itself creates. */
export function spanKind(op: string | undefined): number {
  if (op === 'http.server') return SPAN_KIND_SERVER;
  if (op === 'http.client') return SPAN_KIND_CLIENT;
  return SPAN_KIND_INTERNAL;
}

/** Sieve and OTLP share the codes (0 unset, 1 ok, 2 error); only an error's message means anything. */
export function spanStatus(status: ReadableSpan['status']): OtlpStatus {
  const code = status?.code === 1 || status?.code === 2 ? status.code : 0;
  if (code === STATUS_CODE_ERROR && typeof status.message === 'string' && status.message !== '') {
    return { code, message: status.message };
  }
  return { code };
}

/**
 * The W3C tracestate an OpenTelemetry backend reads the sampling probability from: `ot=th:…` for the
 * trace's rate (weight 1 / rate) and `rv:…` for its sample_rand, the same entry the SDK propagates
 * downstream. The rate comes from the DSC (it follows a rescue's promotion), else from the segment's
 * `sentry.sample_rate`. Undefined when no rate is known.
 */
export function otTraceState(span: ReadableSpan): string | undefined {
  let dsc: Readonly<Record<string, string>> | undefined;
  try {
    dsc = span.dynamicSamplingContext();
  } catch {
    dsc = undefined;
  }
  let rate = parseSampleRate(dsc?.sample_rate);
  if (rate === undefined) {
    const attr = span.segment?.attributes?.['sentry.sample_rate'] ?? span.attributes['sentry.sample_rate'];
    if (typeof attr === 'number') rate = parseSampleRate(attr);
  }
  const th = rate === undefined ? undefined : rateToThreshold(rate);
  if (th === undefined) return undefined;
  const rand = parseSampleRand(dsc?.sample_rand);
  return rand === undefined ? `ot=th:${th}` : `ot=th:${th};rv:${sampleRandToRv(rand)}`;
}

function convertEvents(events: readonly SpanEvent[]): OtlpSpanEvent[] {
  const out: OtlpSpanEvent[] = [];
  for (const event of events) {
    const e: OtlpSpanEvent = { timeUnixNano: msToNanos(event.time), name: event.name };
    if (event.attributes !== undefined && Object.keys(event.attributes).length > 0) {
      e.attributes = toKeyValues(event.attributes);
    }
    out.push(e);
  }
  return out;
}

/** One ended span as an OTLP span. `op` travels as `sentry.op` so Sentry-aware backends keep it. */
export function spanToOtlp(span: ReadableSpan): OtlpSpan {
  const attributes = toKeyValues(span.attributes);
  if (typeof span.op === 'string' && span.attributes['sentry.op'] === undefined) {
    attributes.push({ key: 'sentry.op', value: { stringValue: span.op } });
  }
  // A local root with a parent continues a trace from another process: its parent is remote.
  const remoteParent = span.isSegment && span.parentSpanId !== undefined;
  const out: OtlpSpan = {
    traceId: span.traceId,
    spanId: span.spanId,
    flags:
      (span.sampled ? TRACE_FLAG_SAMPLED : 0) |
      SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE |
      (remoteParent ? SPAN_FLAGS_CONTEXT_IS_REMOTE : 0),
    name: span.name,
    kind: spanKind(span.op),
    startTimeUnixNano: msToNanos(span.startTime),
    endTimeUnixNano: msToNanos(span.endTime ?? span.startTime),
    attributes,
    status: spanStatus(span.status),
  };
  if (span.parentSpanId !== undefined) out.parentSpanId = span.parentSpanId;
  const traceState = otTraceState(span);
  if (traceState !== undefined) out.traceState = traceState;
  if (span.events.length > 0) out.events = convertEvents(span.events);
  return out;
}

/** An ExportTraceServiceRequest for `spans`: one resource, one scope. */
export function spansToOtlp(
  spans: readonly ReadableSpan[],
  resource: OtlpResource,
): ExportTraceServiceRequest {
  const converted: OtlpSpan[] = [];
  for (const span of spans) converted.push(spanToOtlp(span));
  return { resourceSpans: [{ resource, scopeSpans: [{ scope: SCOPE, spans: converted }] }] };
}
