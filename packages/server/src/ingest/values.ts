/**
 * Coercion of wire values into the model's plain forms, shared by the Sentry and OTLP paths: ids,
 * timestamps and attribute values. Each function returns undefined / null for what it cannot use, and
 * the caller decides whether that rejects the record.
 */
import type { PlainAttributes, PlainValue } from '../model.js';

/**
 * `table[key]` for own keys only: external strings such as 'constructor' or '__proto__' must not reach
 * Object.prototype through a lookup table.
 */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Whether an external key may be assigned on a plain object (`__proto__` would set its prototype). */
export function isSafeKey(key: string): boolean {
  return key !== '__proto__';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * Whether `id` is exactly `length` lower-case hex digits, not all zero: what SDKs send. The id
 * helpers below take this as a fast path (a char loop, no regex and no trimmed / lower-cased copies:
 * ~2 ids a span) and fall back to the normalising path for anything else, with the same result.
 */
export function isCanonicalId(id: string, length: number): boolean {
  if (id.length !== length) return false;
  let nonZero = false;
  for (let i = 0; i < length; i++) {
    const c = id.charCodeAt(i);
    if (c === 0x30) continue; // '0'
    if (!((c > 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false; // 1-9, a-f
    nonZero = true;
  }
  return nonZero;
}

/** 32 lower-case hex digits (a UUID's dashes removed), not all zero; else null. */
export function traceIdOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  if (isCanonicalId(value, 32)) return value;
  const id = value.trim().replaceAll('-', '').toLowerCase();
  return TRACE_ID.test(id) && id !== ZERO_TRACE ? id : null;
}

/** 16 lower-case hex digits, not all zero; else null. */
export function spanIdOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  if (isCanonicalId(value, 16)) return value;
  const id = value.trim().toLowerCase();
  return SPAN_ID.test(id) && id !== ZERO_SPAN ? id : null;
}

const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Epoch milliseconds from a Sentry timestamp: epoch seconds (number or numeric string, fractions
 * kept) or an RFC 3339 / ISO 8601 string (microseconds kept; no zone means UTC, as Relay reads it).
 */
export function sentryTimestampMs(value: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof value === 'number') ms = value * 1000;
  else if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return undefined;
    if (/^[0-9]+(\.[0-9]*)?$/.test(text)) ms = Number(text) * 1000;
    else {
      const match = ISO.exec(text);
      if (match) {
        let zone = match[4] ?? 'Z';
        if (/^[+-]\d{2}$/.test(zone)) zone += ':00';
        else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
        const base = Date.parse(`${match[1]}T${match[2]}${zone.toUpperCase()}`);
        ms = base + (match[3] ? Number(`0.${match[3]}`) * 1000 : 0);
      } else ms = Date.parse(text);
    }
  }
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

function isPrimitive(value: unknown): value is string | number | boolean {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

/**
 * A JSON value as a plain attribute value: primitives as they are, arrays of primitives as arrays,
 * anything else (objects, nested or mixed arrays) as its JSON text; null and undefined are dropped.
 */
export function plainValue(value: unknown): PlainValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (isPrimitive(value)) return value;
  if (typeof value === 'number') return String(value); // NaN / ±Infinity cannot be stored as numbers
  if (Array.isArray(value) && value.every(isPrimitive)) return value;
  if (typeof value === 'bigint') return value.toString();
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

const TYPED = new Set(['string', 'integer', 'double', 'boolean', 'array']);

/** Unwraps Sentry's typed attribute `{ value, type }` (span v2, logs, metrics); other values as they are. */
export function unwrapTyped(value: unknown): unknown {
  if (!isRecord(value) || !('value' in value) || typeof value.type !== 'string' || !TYPED.has(value.type)) {
    return value;
  }
  const inner = value.value;
  // Integers beyond 2^53 may be sent as strings; numbers stay numbers when they are exact.
  if (
    (value.type === 'integer' || value.type === 'double') &&
    typeof inner === 'string' &&
    inner.trim() !== ''
  ) {
    const n = Number(inner);
    if (Number.isFinite(n) && (value.type === 'double' || Number.isSafeInteger(n))) return n;
  }
  return inner;
}

/** Attributes of a JSON object (typed or plain values) as plain attributes. */
export function plainAttributes(value: unknown, into: PlainAttributes = {}): PlainAttributes {
  if (!isRecord(value)) return into;
  for (const key of Object.keys(value)) {
    const raw = value[key];
    // Fast path for the typed values SDKs send most (`{"value":"…","type":"string"}`, a finite number
    // typed integer or double, a boolean): the value itself, exactly what unwrapTyped + plainValue
    // return for them, without their checks and Set lookup. Everything else takes the general path.
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
      const typed = raw as Record<string, unknown>;
      const type = typed.type;
      const inner = typed.value;
      if (
        (type === 'string' && typeof inner === 'string') ||
        ((type === 'integer' || type === 'double') && typeof inner === 'number' && Number.isFinite(inner)) ||
        (type === 'boolean' && typeof inner === 'boolean')
      ) {
        if (isSafeKey(key)) into[key] = inner;
        continue;
      }
    }
    const plain = plainValue(unwrapTyped(raw));
    if (plain !== undefined && isSafeKey(key)) into[key] = plain;
  }
  return into;
}

/** A string for a text field (numbers and booleans written out), else null. */
export function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

/** A non-empty trimmed string, else null. */
export function nonEmpty(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  return text === '' ? null : text;
}

/** A finite number from a number or numeric string, else undefined. */
export function finiteNumber(value: unknown): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}
