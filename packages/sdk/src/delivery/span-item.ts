import type { AttributeValue, ReadableSpan } from '../types.js';
import { MAX_STRING_LENGTH, type TypedAttributes } from './typed-attributes.js';

/**
 * One span as the JSON of a Sentry span v2 item, written by hand. Serialising is most of what a span
 * costs once it is sent (the bench's "serialised" row: ~5.9 µs a span through building typed-attribute
 * objects and JSON.stringify, most of it allocation); writing the fixed shape directly, with
 * JSON.stringify only for strings and arrays, avoids building an object per attribute.
 */

/** SDK-wide attributes every span carries, pre-serialised once as `,"key":{…}` pairs. */
export interface CommonAttributes {
  readonly json: string;
  readonly keys: ReadonlySet<string>;
}

export function commonAttributes(typed: TypedAttributes): CommonAttributes {
  let json = '';
  for (const key in typed) json += `,${JSON.stringify(key)}:${JSON.stringify(typed[key])}`;
  return { json, keys: new Set(Object.keys(typed)) };
}

// Attribute names repeat across spans; their JSON form is cached (bounded, cleared when full).
const keyCache = new Map<string, string>();
function keyJson(key: string): string {
  let json = keyCache.get(key);
  if (json === undefined) {
    json = JSON.stringify(key);
    if (keyCache.size >= 4096) keyCache.clear();
    keyCache.set(key, json);
  }
  return json;
}

/** `{"value":…,"type":…}` for one attribute value, as Sentry's SDKs type them. */
export function typedValueJson(value: AttributeValue): string | undefined {
  switch (typeof value) {
    case 'string': {
      const v = value.length > MAX_STRING_LENGTH ? `${value.slice(0, MAX_STRING_LENGTH)}…` : value;
      return `{"value":${JSON.stringify(v)},"type":"string"}`;
    }
    case 'number':
      if (!Number.isFinite(value)) return `{"value":"${value}","type":"string"}`;
      return Number.isInteger(value)
        ? `{"value":${value},"type":"integer"}`
        : `{"value":${value},"type":"double"}`;
    case 'boolean':
      return value ? '{"value":true,"type":"boolean"}' : '{"value":false,"type":"boolean"}';
    default:
      return Array.isArray(value) ? `{"value":${JSON.stringify(value)},"type":"array"}` : undefined;
  }
}

/** Attributes the SDK writes itself; a user attribute of the same name gives way. */
function reserved(key: string, span: ReadableSpan, common: CommonAttributes): boolean {
  if (!key.startsWith('sentry.')) return false;
  return (
    common.keys.has(key) ||
    key === 'sentry.segment.name' ||
    key === 'sentry.segment.id' ||
    (key === 'sentry.op' && span.op !== undefined) ||
    (key === 'sentry.status.message' && span.status.code === 2 && span.status.message !== undefined)
  );
}

/** The span v2 item JSON for one span (timestamps in epoch seconds, attributes typed). */
export function spanV2Json(span: ReadableSpan, common: CommonAttributes): string {
  const attributes = span.attributes;
  let attrs = '';
  for (const key in attributes) {
    if (reserved(key, span, common)) continue;
    const value = typedValueJson(attributes[key]!);
    if (value !== undefined) attrs += `${keyJson(key)}:${value},`;
  }
  if (span.op !== undefined) attrs += `"sentry.op":${typedValueJson(span.op)},`;
  const error = span.status.code === 2;
  if (error && span.status.message !== undefined) {
    attrs += `"sentry.status.message":${typedValueJson(span.status.message)},`;
  }
  const segment = span.segment;
  attrs += `"sentry.segment.name":${typedValueJson(segment.name)},"sentry.segment.id":{"value":"${segment.spanId}","type":"string"}`;
  const parent = span.parentSpanId === undefined ? '' : `"parent_span_id":"${span.parentSpanId}",`;
  return (
    `{"trace_id":"${span.traceId}","span_id":"${span.spanId}",${parent}"name":${JSON.stringify(span.name)},` +
    `"start_timestamp":${span.startTime / 1000},"end_timestamp":${(span.endTime ?? span.startTime) / 1000},` +
    `"is_segment":${span.isSegment},"status":"${error ? 'error' : 'ok'}","attributes":{${attrs}${common.json}}}`
  );
}
