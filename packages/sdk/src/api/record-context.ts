import type { Client } from '../client.js';
import { describeValue } from '../sampling/sample-rate.js';
import { currentSpan } from '../trace/context.js';
import { generateTraceId } from '../trace/ids.js';
import type { DiscardCategory } from '../trace/span.js';
import type { Attributes } from '../types.js';

let orphanTraceId: string | undefined;

/**
 * The trace and span a log, metric or error belongs to: the active span's, sampled or not (these
 * signals are independent of trace sampling), else one process-wide trace id, as Sentry's global scope
 * has, so records outside any request still carry a valid trace id.
 */
export function recordContext(): { traceId: string; spanId: string | undefined } {
  const span = currentSpan();
  if (span !== undefined)
    return { traceId: span.trace.traceId, spanId: span.isRemote ? undefined : span.spanId };
  orphanTraceId ??= generateTraceId();
  return { traceId: orphanTraceId, spanId: undefined };
}

const MAX_SERIALISED = 8192;

/**
 * User-supplied attributes for logs, metrics and errors, made safe: primitives and arrays of primitives
 * kept, other objects serialised to JSON (cycles and throwing getters survive as a placeholder), functions
 * and symbols left out. Returns the number of values that had to be changed or left out.
 */
export function sanitizeAttributes(input: unknown, into: Attributes): number {
  if (input === null || input === undefined || typeof input !== 'object') return 0;
  let changed = 0;
  let keys: string[];
  try {
    keys = Object.keys(input);
  } catch {
    return 1;
  }
  for (const key of keys) {
    let value: unknown;
    try {
      value = (input as Record<string, unknown>)[key];
    } catch {
      changed++;
      continue;
    }
    const t = typeof value;
    if (t === 'string' || t === 'number' || t === 'boolean') {
      into[key] = value as string | number | boolean;
    } else if (
      Array.isArray(value) &&
      value.every((v) => typeof v === typeof value[0] && ['string', 'number', 'boolean'].includes(typeof v))
    ) {
      into[key] = value.slice() as string[];
    } else if (t === 'bigint') {
      into[key] = String(value);
    } else if (value !== undefined && value !== null && t !== 'function' && t !== 'symbol') {
      const text = describeValue(value);
      into[key] = text.length > MAX_SERIALISED ? `${text.slice(0, MAX_SERIALISED)}…` : text;
      changed++;
    } else if (value !== undefined) {
      changed++;
    }
  }
  return changed;
}

/**
 * Runs a user's before-send hook on a record. A null result or a throw drops the record (counted as
 * `before_send`); the result is what to send, or null.
 */
export function applyBeforeSend<T>(
  client: Client,
  hook: ((record: T) => T | null) | undefined,
  record: T,
  hookName: string,
  category: DiscardCategory,
): T | null {
  if (hook === undefined) return record;
  let result: T | null | undefined;
  try {
    result = hook(record);
  } catch (error) {
    client.debugWarn(`${hookName} threw (${String(error)}); the record is dropped`);
    result = null;
  }
  if (result === null || result === undefined) {
    client.recordDroppedEvent('before_send', category, 1);
    return null;
  }
  return result;
}
