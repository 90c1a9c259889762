/** Query-string parsing for the query API: every bad parameter is a 400 that names it. */
export class BadParameter extends Error {
  override name = 'BadParameter';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`parameter "${parameter}": ${message}`);
  }
}

export type Query = Record<string, string | string[] | undefined>;

export function str(query: Query, name: string, maxLength = 1000): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new BadParameter(name, 'given more than once');
  if (value.length > maxLength) throw new BadParameter(name, `longer than ${maxLength} characters`);
  return value === '' ? undefined : value;
}

export function int(query: Query, name: string, min: number, max: number): number | undefined {
  const value = str(query, name);
  if (value === undefined) return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(value)) throw new BadParameter(name, `"${value}" is not a number`);
  const n = Number(value);
  if (n < min || n > max) throw new BadParameter(name, `must be between ${min} and ${max}`);
  return n;
}

/** A time as epoch milliseconds, or an ISO 8601 date. */
export function time(query: Query, name: string): number | undefined {
  const value = str(query, name);
  if (value === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed))
    throw new BadParameter(name, `"${value}" is neither epoch milliseconds nor an ISO 8601 date`);
  return parsed;
}

export function bool(query: Query, name: string): boolean | undefined {
  const value = str(query, name);
  if (value === undefined) return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new BadParameter(name, `must be true or false, got "${value}"`);
}

export function oneOf<T extends string>(query: Query, name: string, allowed: readonly T[]): T | undefined {
  const value = str(query, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new BadParameter(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An interval such as `30s`, `5m`, `1h`, or plain milliseconds. */
export function interval(query: Query, name: string): number | undefined {
  const value = str(query, name);
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const match = DURATION.exec(value);
  if (match === null) throw new BadParameter(name, `"${value}" is not an interval such as 30s, 5m, 1h`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

const HEX32 = /^[0-9a-f]{32}$/;

export function traceId(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const id = value.toLowerCase().replace(/-/g, '');
  if (!HEX32.test(id)) throw new BadParameter(name, 'must be 32 hexadecimal characters');
  return id;
}
