import { performance } from 'node:perf_hooks';

/** Epoch milliseconds with sub-millisecond precision (performance.now() is monotonic; timeOrigin anchors it). */
// Imported rather than the global `performance`, whose lazy getter costs ~5 ns a read on Node 20.
const origin = performance.timeOrigin;

export function nowMs(): number {
  return origin + performance.now();
}

/** What users may pass as a span time: epoch ms or seconds (a number), a Date, or an [s, ns] hrtime tuple. */
export type TimeInput = number | Date | readonly [number, number];

/**
 * Normalises a user-supplied time to epoch milliseconds, or undefined when it is not a usable time.
 * Numbers below 1e11 are read as epoch seconds (Sentry's convention: 1e11 ms is 1973, 1e11 s is year 5138).
 */
export function toEpochMs(input: unknown): number | undefined {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return undefined;
    return input < 1e11 ? input * 1000 : input;
  }
  if (input instanceof Date) {
    const ms = input.getTime();
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (Array.isArray(input) && input.length === 2) {
    const [s, ns] = input as [unknown, unknown];
    if (typeof s === 'number' && typeof ns === 'number' && Number.isFinite(s) && Number.isFinite(ns)) {
      return s * 1000 + ns / 1e6;
    }
  }
  return undefined;
}
