/**
 * W3C `tracestate`: vendor list-members `key=value`, comma-separated, at most 32.
 * One malformed member discards the whole header (the harness and the spec agree); empty members
 * (what Node makes of an empty extra header) are skipped, duplicate keys tolerated (first kept).
 */
const KEY = /^[a-z0-9][_0-9a-z\-*/@]{0,255}$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const MAX_MEMBERS = 32;
const SEPARATOR = /[ \t]*,[ \t]*/;

export interface TracestateMember {
  key: string;
  value: string;
}

export function parseTracestate(header: string | undefined): TracestateMember[] | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.replace(/^[ \t]+|[ \t]+$/g, '');
  if (trimmed === '') return undefined;
  const members: TracestateMember[] = [];
  const seen = new Set<string>();
  for (const raw of trimmed.split(SEPARATOR)) {
    if (raw === '') continue;
    const eq = raw.indexOf('=');
    if (eq <= 0) return undefined;
    const key = raw.slice(0, eq);
    const value = raw.slice(eq + 1);
    if (!KEY.test(key) || !VALUE.test(value)) return undefined;
    if (seen.has(key)) continue;
    seen.add(key);
    members.push({ key, value });
    if (members.length > MAX_MEMBERS) return undefined;
  }
  return members.length === 0 ? undefined : members;
}

/** The OpenTelemetry entry `ot=th:<hex>;rv:<14 hex>` carried inside tracestate. */
export interface OtTracestate {
  /** Rejection threshold as a 56-bit integer: sampled when rv >= th. */
  threshold?: bigint;
  /** Explicit randomness, 56 bits. */
  randomness?: bigint;
}

const MAX_56 = 1n << 56n;

export function parseOtValue(value: string): OtTracestate {
  const out: OtTracestate = {};
  for (const part of value.split(';')) {
    const colon = part.indexOf(':');
    if (colon < 0) continue;
    const k = part.slice(0, colon);
    const v = part.slice(colon + 1);
    if (k === 'th' && /^[0-9a-f]{1,14}$/.test(v)) out.threshold = BigInt(`0x${v.padEnd(14, '0')}`);
    else if (k === 'rv' && /^[0-9a-f]{14}$/.test(v)) out.randomness = BigInt(`0x${v}`);
  }
  return out;
}

/** sample_rand ↔ rv: rv = 2^56 − 1 − floor(sample_rand · 2^56), so that rand < p ⇔ rv ≥ th(p). */
export function sampleRandToRv(sampleRand: number): string {
  const scaled = BigInt(Math.floor(sampleRand * 2 ** 56));
  return (MAX_56 - 1n - scaled).toString(16).padStart(14, '0');
}

export function rvToSampleRand(rv: bigint): number {
  return Number(MAX_56 - 1n - rv) / 2 ** 56;
}

/** th for a rate p: (1 − p) · 2^56 in hex with trailing zeros dropped; rate 1 is `0`. Undefined for rate 0. */
export function rateToThreshold(rate: number): string | undefined {
  if (!(rate > 0) || rate > 1) return undefined;
  const th = BigInt(Math.round((1 - rate) * 2 ** 56));
  if (th === 0n) return '0';
  return th.toString(16).padStart(14, '0').replace(/0+$/, '');
}

export function thresholdToRate(threshold: bigint): number {
  return Number(MAX_56 - threshold) / 2 ** 56;
}

export function formatTracestate(members: readonly TracestateMember[]): string {
  let out = '';
  for (const m of members) out += out === '' ? `${m.key}=${m.value}` : `,${m.key}=${m.value}`;
  return out;
}
