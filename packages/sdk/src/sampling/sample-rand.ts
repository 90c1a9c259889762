/**
 * `sample_rand`: one random number in [0, 1) per trace, made at its head. A root is sampled when
 * `sample_rand < rate`, so every service applying the same rate to the trace decides the same way.
 *
 * Values carry six decimal places (what baggage carries), so the number used locally is exactly the one
 * downstream services parse back. Working in integer micro-units keeps the range bounds exact.
 */
const UNITS = 1_000_000;

export type RandomSource = () => number;

/** A fresh sample_rand in [0, 0.999999]. */
export function newSampleRand(random: RandomSource): number {
  return Math.floor(random() * UNITS) / UNITS;
}

/**
 * A sample_rand that agrees with a decision made upstream without one: from [0, rate) when the upstream
 * sampled, from [rate, 1) when it did not. Falls back to a plain draw when the range is empty (an
 * inconsistent upstream such as "sampled at rate 0").
 */
export function sampleRandForDecision(sampled: boolean, rate: number, random: RandomSource): number {
  const bound = Math.ceil(rate * UNITS); // first unit that is >= rate
  const lo = sampled ? 0 : bound;
  const hi = sampled ? bound : UNITS;
  if (hi <= lo) return newSampleRand(random);
  return (lo + Math.floor(random() * (hi - lo))) / UNITS;
}

/** Parses an incoming `sentry-sample_rand`: a number in [0, 1), else undefined. */
export function parseSampleRand(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const rand = Number(value);
  return rand >= 0 && rand < 1 ? rand : undefined;
}

/**
 * Baggage form of a sample_rand. String() round-trips exactly (Number(String(x)) === x), so a downstream
 * service compares the very same number; rands made here have at most six decimals and print short.
 */
export function formatSampleRand(rand: number): string {
  return String(rand);
}
