import type { ReadableSpan } from '../types.js';
import { type TypedAttributes, toTypedAttributes, typedValue } from './typed-attributes.js';

/** SDK-wide attributes every span, log and metric carries (release, environment, SDK identity). */
export interface CommonAttributes {
  readonly typed: TypedAttributes;
}

export interface SpanV2Item {
  trace_id: string;
  span_id: string;
  parent_span_id?: string;
  name: string;
  start_timestamp: number;
  end_timestamp: number;
  is_segment: boolean;
  status: 'ok' | 'error';
  attributes: TypedAttributes;
}

/**
 * One span as a Sentry span v2 item (timestamps in epoch seconds, attributes typed). The segment's name
 * and id go on every span so a backend can group spans that arrive in different envelopes.
 */
export function toSpanV2Item(span: ReadableSpan, common: CommonAttributes): SpanV2Item {
  const attributes = toTypedAttributes(span.attributes);
  if (span.op !== undefined) attributes['sentry.op'] = typedValue(span.op);
  if (span.status.code === 2 && span.status.message !== undefined) {
    attributes['sentry.status.message'] = typedValue(span.status.message);
  }
  const segment = span.segment;
  attributes['sentry.segment.name'] = typedValue(segment.name);
  attributes['sentry.segment.id'] = typedValue(segment.spanId);
  for (const key in common.typed) attributes[key] = common.typed[key]!;
  const item: SpanV2Item = {
    trace_id: span.traceId,
    span_id: span.spanId,
    name: span.name,
    start_timestamp: span.startTime / 1000,
    end_timestamp: (span.endTime ?? span.startTime) / 1000,
    is_segment: span.isSegment,
    status: span.status.code === 2 ? 'error' : 'ok',
    attributes,
  };
  if (span.parentSpanId !== undefined) item.parent_span_id = span.parentSpanId;
  return item;
}
