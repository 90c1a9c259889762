/**
 * W3C baggage with Sentry's `sentry-` entries (the dynamic sampling context, DSC).
 * Incoming: sentry- entries become the frozen DSC; other members are kept verbatim to forward.
 * Outgoing: third-party members first as received, then the DSC, within 8192 bytes.
 */
export const MAX_BAGGAGE_BYTES = 8192;
const SENTRY_PREFIX = 'sentry-';

export interface ParsedBaggage {
  /** `sentry-*` values without the prefix, percent-decoded. Undefined when there were none. */
  dsc: Record<string, string> | undefined;
  /** Other list-members, verbatim (still encoded), to forward unchanged. */
  thirdParty: string[];
}

export function parseBaggage(header: string | undefined): ParsedBaggage {
  const result: ParsedBaggage = { dsc: undefined, thirdParty: [] };
  if (header === undefined || header === '') return result;
  // A header over the limit is read up to the last whole member within it.
  const input =
    header.length > MAX_BAGGAGE_BYTES ? header.slice(0, header.lastIndexOf(',', MAX_BAGGAGE_BYTES)) : header;
  for (const raw of input.split(',')) {
    const member = raw.trim();
    if (member === '') continue;
    const eq = member.indexOf('=');
    if (eq <= 0) continue;
    const key = member.slice(0, eq).trim();
    if (key.startsWith(SENTRY_PREFIX)) {
      const semi = member.indexOf(';', eq);
      const rawValue = member.slice(eq + 1, semi < 0 ? undefined : semi).trim();
      const value = safeDecode(rawValue);
      if (value === undefined) continue;
      if (result.dsc === undefined) result.dsc = {};
      result.dsc[key.slice(SENTRY_PREFIX.length)] = value;
    } else {
      result.thirdParty.push(member);
    }
  }
  return result;
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * Serialises third-party members and the DSC. Members that would push the header past 8192 bytes are
 * left out (third-party ones go first so the DSC, which Sieve needs, is kept when space runs short).
 */
export function formatBaggage(dsc: Readonly<Record<string, string>>, thirdParty: readonly string[]): string {
  const sentry: string[] = [];
  let size = 0;
  for (const key in dsc) {
    const value = dsc[key];
    if (value === undefined || value === '') continue;
    const member = `${SENTRY_PREFIX}${key}=${encodeURIComponent(value)}`;
    sentry.push(member);
    size += member.length + 1;
  }
  const kept: string[] = [];
  for (const member of thirdParty) {
    if (size + member.length + 1 > MAX_BAGGAGE_BYTES) continue;
    kept.push(member);
    size += member.length + 1;
  }
  return kept.concat(sentry).join(',');
}
