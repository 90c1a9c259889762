import { describeValue } from '../sampling/sample-rate.js';
import type { RescueReason } from './triggers.js';

/** `init({ rescue })`: keep a trace the head dropped when it turns out to hold AI work or a failure. */
export interface RescueOptions {
  /** What promotes a dropped trace: `'gen_ai'`, `'error'`, both (the default), or `false` for none. */
  on?: ReadonlyArray<RescueReason> | false;
  /** Spans held across all buffered traces (open local roots count as one each). Default 20 000. */
  maxBufferedSpans?: number;
  /** Estimated bytes held across all buffered traces. Default 16 MiB. */
  maxBufferedBytes?: number;
  /** A buffered trace older than this (from its local root's start) is given up. Default 5 minutes. */
  maxTraceDurationMs?: number;
}

/** Rescue settings after validation; undefined when rescue is off. */
export interface ResolvedRescue {
  genAi: boolean;
  error: boolean;
  maxBufferedSpans: number;
  maxBufferedBytes: number;
  maxTraceDurationMs: number;
}

export const RESCUE_DEFAULTS: Readonly<ResolvedRescue> = Object.freeze({
  genAi: true,
  error: true,
  maxBufferedSpans: 20_000,
  maxBufferedBytes: 16 * 1024 * 1024,
  maxTraceDurationMs: 5 * 60_000,
});

function positive(value: unknown, fallback: number, name: string, warnings: string[]): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 1) return Math.floor(value);
  warnings.push(`option rescue.${name} must be a number ≥ 1, got ${describeValue(value)}; using ${fallback}`);
  return fallback;
}

/**
 * Validates `init({ rescue })`. `undefined` and `true` give the defaults; `false`, `{ on: false }` and
 * `{ on: [] }` turn rescue off. Never throws: an invalid value warns and falls back to the default.
 */
export function resolveRescueOptions(value: unknown, warnings: string[]): ResolvedRescue | undefined {
  if (value === undefined || value === true) return { ...RESCUE_DEFAULTS };
  if (value === false || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    warnings.push(
      `option rescue must be an object or a boolean, got ${describeValue(value)}; using defaults`,
    );
    return { ...RESCUE_DEFAULTS };
  }
  const o = value as Record<string, unknown>;
  let genAi = RESCUE_DEFAULTS.genAi;
  let error = RESCUE_DEFAULTS.error;
  if (o.on === false) return undefined;
  if (o.on !== undefined) {
    if (Array.isArray(o.on) && o.on.every((t) => t === 'gen_ai' || t === 'error')) {
      genAi = o.on.includes('gen_ai');
      error = o.on.includes('error');
      if (!genAi && !error) return undefined;
    } else {
      warnings.push(
        `option rescue.on must be false or a list of 'gen_ai' and 'error', got ${describeValue(o.on)}; using both`,
      );
    }
  }
  return {
    genAi,
    error,
    maxBufferedSpans: positive(
      o.maxBufferedSpans,
      RESCUE_DEFAULTS.maxBufferedSpans,
      'maxBufferedSpans',
      warnings,
    ),
    maxBufferedBytes: positive(
      o.maxBufferedBytes,
      RESCUE_DEFAULTS.maxBufferedBytes,
      'maxBufferedBytes',
      warnings,
    ),
    maxTraceDurationMs: positive(
      o.maxTraceDurationMs,
      RESCUE_DEFAULTS.maxTraceDurationMs,
      'maxTraceDurationMs',
      warnings,
    ),
  };
}
