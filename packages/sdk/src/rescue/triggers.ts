import type { Attributes, SpanEvent, SpanStatus } from '../types.js';

/** Why a trace was kept by rescue: recorded as `sieve.rescued` on the local root. */
export type RescueReason = 'gen_ai' | 'error';

/**
 * True when a span is AI work from its start: `gen_ai.operation.name` set (the OpenTelemetry GenAI
 * conventions), `ai.operationId` (the Vercel AI SDK's spans carry only `ai.*` attributes at start), or an
 * op `gen_ai.*`. The same test the ready-made `aiFirst` sampler applies to roots.
 */
export function isGenAiStart(op: string | undefined, attributes: Readonly<Attributes> | undefined): boolean {
  if (attributes !== undefined && attributes !== null) {
    if (attributes['gen_ai.operation.name'] !== undefined) return true;
    if (attributes['ai.operationId'] !== undefined) return true;
  }
  return typeof op === 'string' && op.startsWith('gen_ai.');
}

/**
 * True when a span records a failure: error status, except an HTTP client error (a 4xx response:
 * the caller's mistake, a bot probing for `/wp-login.php`), which would otherwise rescue every 404.
 * A 5xx `http.server` root is an error (its status is set from the response code).
 */
export function isFailure(status: Readonly<SpanStatus>, attributes: Readonly<Attributes>): boolean {
  if (status.code !== 2) return false;
  const code = attributes['http.response.status_code'];
  return !(typeof code === 'number' && code >= 400 && code < 500);
}

// Rough heap costs, measured on Node 20 with --expose-gc (a RecordingSpan with its ids, name and an empty
// attributes object is about 300 bytes; each attribute adds a property slot plus its key and value).
const SPAN_BASE_BYTES = 320;
const ATTRIBUTE_BYTES = 32;
const EVENT_BYTES = 96;
const NUMBER_BYTES = 16;

/**
 * A cheap estimate of the heap a buffered span holds: a fixed cost, its name, and per attribute its key
 * and value (string length, 16 bytes for other scalars, array length × 16). One pass over the attributes
 * and no allocation; exact sizes would need a heap walk, and the caps only need the right order of size.
 */
export function estimateSpanBytes(
  name: string,
  attributes: Readonly<Attributes>,
  events: readonly SpanEvent[],
): number {
  let bytes = SPAN_BASE_BYTES + name.length;
  for (const key in attributes) {
    const value = attributes[key];
    bytes += ATTRIBUTE_BYTES + key.length;
    if (typeof value === 'string') bytes += value.length;
    else if (Array.isArray(value)) bytes += value.length * NUMBER_BYTES;
    else bytes += NUMBER_BYTES;
  }
  for (let i = 0; i < events.length; i++) {
    bytes += EVENT_BYTES;
    const attrs = events[i]!.attributes;
    if (attrs !== undefined) {
      for (const key in attrs) {
        const value = attrs[key];
        bytes += ATTRIBUTE_BYTES + key.length + (typeof value === 'string' ? value.length : NUMBER_BYTES);
      }
    }
  }
  return bytes;
}
