/**
 * Sample weights (reference/sampling.md, "Weights and extrapolation"): a stored trace's weight is
 * 1 / P(it was stored). Ingest learns the head sample rate from, in order of preference:
 * - the span attribute `sentry.sample_rate` (written on sampled segments / roots by Sentry SDKs and Sieve),
 * - the envelope header's dynamic sampling context `trace.sample_rate` (Sentry envelopes),
 * - the W3C `tracestate` OpenTelemetry entry `ot=th:<hex>` (OTLP spans; OpenTelemetry's consistent
 *   probability sampling: rejection threshold th over 2^56, so rate = 1 − th / 2^56).
 * The weight is 1 / rate, clamped to [1, 1e6] so one bogus tiny rate cannot dominate a sum; it is 1
 * when the rate is unknown, 0 (a dropped trace that was sent anyway, e.g. rescued) or invalid.
 */

export const MAX_WEIGHT = 1e6;

/**
 * A sample rate in (0, 1] from a number or numeric string (DSC values are strings: `"0.25"`);
 * undefined for anything else, including 0 (no usable weight).
 */
export function parseRate(value: unknown): number | undefined {
  let rate: number;
  if (typeof value === 'number') rate = value;
  else if (typeof value === 'string' && value.trim() !== '') rate = Number(value.trim());
  else return undefined;
  return Number.isFinite(rate) && rate > 0 && rate <= 1 ? rate : undefined;
}

/**
 * The sampling probability of an OpenTelemetry `tracestate` (`…,ot=th:c;rv:…,…`): th is 1–14 hex
 * digits with trailing zeros dropped, so `th:c` is 0xc0000000000000 and means rate 0.25; `th:0` is
 * rate 1. Undefined when there is no valid `th`.
 */
export function rateFromTraceState(traceState: unknown): number | undefined {
  if (typeof traceState !== 'string') return undefined;
  for (const member of traceState.split(',')) {
    const eq = member.indexOf('=');
    if (eq < 0 || member.slice(0, eq).trim() !== 'ot') continue;
    for (const field of member
      .slice(eq + 1)
      .trim()
      .split(';')) {
      const match = /^th:([0-9a-f]{1,14})$/.exec(field.trim());
      if (!match) continue;
      const threshold = Number.parseInt(match[1]!.padEnd(14, '0'), 16);
      const rate = 1 - threshold / 2 ** 56;
      return rate > 0 ? rate : undefined;
    }
  }
  return undefined;
}

/** 1 / rate clamped to [1, MAX_WEIGHT]; 1 when the rate is unknown or invalid. */
export function weightFromRate(rate: number | undefined): number {
  if (rate === undefined || !Number.isFinite(rate) || rate <= 0 || rate > 1) return 1;
  return Math.min(MAX_WEIGHT, Math.max(1, 1 / rate));
}

/** The weight from the first source that has a valid rate (see the module comment for the order). */
export function weightOf(sources: {
  sampleRateAttribute?: unknown;
  dscSampleRate?: unknown;
  traceState?: unknown;
}): number {
  return weightFromRate(
    parseRate(sources.sampleRateAttribute) ??
      parseRate(sources.dscSampleRate) ??
      rateFromTraceState(sources.traceState),
  );
}
