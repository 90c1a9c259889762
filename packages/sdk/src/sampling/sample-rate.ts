/**
 * Parses a sample rate as the sampling contract defines it: a number in [0, 1], a boolean (true → 1,
 * false → 0) or a numeric string such as '0.5'. Anything else is invalid and yields undefined, which
 * callers turn into a drop.
 */
export function parseSampleRate(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  let rate: number;
  if (typeof value === 'number') {
    rate = value;
  } else if (typeof value === 'string') {
    // Number('') and Number('  ') are 0; an empty string is not a rate.
    if (value.trim() === '') return undefined;
    rate = Number(value);
  } else {
    return undefined;
  }
  return rate >= 0 && rate <= 1 ? rate : undefined; // NaN fails both comparisons
}

/** Renders a value for a warning without risking a throw (symbols, cyclic objects, hostile toString). */
export function describeValue(value: unknown): string {
  try {
    if (typeof value === 'string') return JSON.stringify(value);
    if (typeof value === 'object' && value !== null) return JSON.stringify(value) ?? String(value);
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
