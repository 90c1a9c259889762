import { createRequire } from 'node:module';
import type { Attributes, AttributeValue } from '../../types.js';
import type { Int64String, OtlpAnyValue, OtlpKeyValue, OtlpResource, OtlpScope } from './types.js';

export const SCOPE_NAME = '@sieve/sdk';

function readSdkVersion(): string {
  try {
    // src/exporters/otlp and dist/exporters/otlp are both three levels below the package root.
    const pkg = createRequire(import.meta.url)('../../../package.json') as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const SDK_VERSION: string = readSdkVersion();

export const SCOPE: Readonly<OtlpScope> = Object.freeze({ name: SCOPE_NAME, version: SDK_VERSION });

/**
 * Epoch milliseconds (with sub-millisecond digits) as nanoseconds in a decimal string. Nanosecond
 * epochs exceed 2^53, so the digits are assembled from the whole milliseconds and the remainder instead
 * of multiplying a double. The remainder is rounded to microseconds: at today's epoch a double in
 * milliseconds resolves about 0.25 µs, so finer digits would be float noise.
 */
export function msToNanos(ms: number): Int64String {
  if (!(ms > 0) || !Number.isFinite(ms)) return '0';
  let whole = Math.floor(ms);
  let micros = Math.round((ms - whole) * 1000);
  if (micros >= 1000) {
    whole += 1;
    micros -= 1000;
  }
  if (whole === 0) return micros === 0 ? '0' : `${micros}000`;
  return `${whole}${String(micros).padStart(3, '0')}000`;
}

function isInt64(n: number): boolean {
  return Number.isSafeInteger(n);
}

function doubleValue(n: number): OtlpAnyValue {
  if (Number.isFinite(n)) return { doubleValue: n };
  // JSON has no NaN/Infinity: proto3's JSON mapping spells them as strings.
  return { doubleValue: Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity' };
}

/**
 * JavaScript has one number type: integers become intValue, everything else doubleValue. An array is
 * typed as a whole (all integers → intValue, else doubleValue) because OTLP arrays should be homogeneous.
 */
export function toAnyValue(value: AttributeValue): OtlpAnyValue {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'number':
      return isInt64(value) ? { intValue: String(value) } : doubleValue(value);
  }
  const values: OtlpAnyValue[] = [];
  if (Array.isArray(value)) {
    const allInts = (value as readonly unknown[]).every((v) => typeof v === 'number' && isInt64(v));
    for (const v of value as readonly (string | number | boolean)[]) {
      if (typeof v === 'number') values.push(allInts ? { intValue: String(v) } : doubleValue(v));
      else if (typeof v === 'string') values.push({ stringValue: v });
      else if (typeof v === 'boolean') values.push({ boolValue: v });
    }
  }
  return { arrayValue: { values } };
}

/** Attributes as OTLP key-values; values that are no attribute value (a hostile record) are skipped. */
export function toKeyValues(attributes: Readonly<Attributes> | undefined): OtlpKeyValue[] {
  const out: OtlpKeyValue[] = [];
  if (attributes === undefined || attributes === null) return out;
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    const t = typeof value;
    if (t === 'string' || t === 'number' || t === 'boolean' || Array.isArray(value)) {
      out.push({ key, value: toAnyValue(value as AttributeValue) });
    }
  }
  return out;
}

export interface ResourceOptions {
  /** `service.name`; OpenTelemetry's default is `unknown_service:node`. */
  serviceName?: string;
  /** Further resource attributes, e.g. `deployment.environment.name`, `service.version`. */
  attributes?: Readonly<Attributes>;
}

/**
 * The resource every request carries. User attributes may override the defaults except `service.name`,
 * which follows `serviceName` when that is given (it is the option people look for).
 */
export function otlpResource(options: ResourceOptions = {}): OtlpResource {
  const merged: Attributes = {
    'service.name': 'unknown_service:node',
    'telemetry.sdk.name': 'sieve',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': SDK_VERSION,
    ...options.attributes,
  };
  if (typeof options.serviceName === 'string' && options.serviceName !== '') {
    merged['service.name'] = options.serviceName;
  }
  return { attributes: toKeyValues(merged) };
}
