/**
 * SQL literals for the ClickHouse store. Values are spliced into the query text as literals because
 * ClickHouse 18.16 has no query parameters (`{name:Type}` arrived in 19.11; the HTTP client's
 * `query_params` become `param_*` settings that 18.16 refuses as unknown). Every caller value goes
 * through one of these functions; nothing else from outside reaches SQL text.
 */

/** A string literal: backslash and single quote escaped (ClickHouse's quoted-string syntax). */
export function str(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0')}'`;
}

/** A Float64 literal; refuses NaN and infinities (no literal for them in both old and new versions). */
export function f64(value: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  // JS prints the shortest text that reads back as the same double; ClickHouse parses it exactly.
  return String(value);
}

/** An integer literal (safe integers, or a bigint). */
export function int(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (!Number.isSafeInteger(value)) throw new Error(`not a safe integer: ${value}`);
  return String(value);
}

/** `(a, b, c)` for IN; never empty (an empty IN list is a syntax error in 18.16). */
export function strList(values: Iterable<string>): string {
  const out: string[] = [];
  for (const v of values) out.push(str(v));
  if (out.length === 0) throw new Error('empty IN list');
  return `(${out.join(', ')})`;
}

export function intList(values: Iterable<number>): string {
  const out: string[] = [];
  for (const v of values) out.push(int(v));
  if (out.length === 0) throw new Error('empty IN list');
  return `(${out.join(', ')})`;
}

const DAY_MS = 86_400_000;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/**
 * The `day` column of spans (days since the epoch of the start time, clamped to Int32): the
 * second key column, so time ranges and a trace's known time bounds prune the primary index.
 * Computed here, not by a DEFAULT expression: 18.16's JSONEachRow input fills omitted columns with
 * the type's zero, not the DEFAULT.
 */
export function dayOf(time: number): number {
  const d = Math.floor(time / DAY_MS);
  return Math.max(INT32_MIN, Math.min(d, INT32_MAX));
}

export type TsvValue = string | number | boolean | null;

/**
 * One value in ClickHouse's TabSeparated format: `\N` for NULL, 1/0 for booleans, backslash escapes
 * for the characters that would end a field or a row. Inserts use TSV rather than JSONEachRow: it
 * is ClickHouse's cheapest text format to parse (bench/store-backends.mjs, 100k spans against 18.16:
 * ~5k spans/s with JSONEachRow, ~8k with TSV), and rows are built in slices between which the
 * event loop runs.
 */
export function tsv(value: TsvValue): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return f64(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  return TSV_SPECIAL.test(value) ? value.replace(TSV_ESCAPES, escapeTsvChar) : value;
}

const TSV_SPECIAL = /[\\\t\n\r\0]/;
const TSV_ESCAPES = /[\\\t\n\r\0]/g;
const TSV_REPLACEMENTS: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\0': '\\0',
};

function escapeTsvChar(c: string): string {
  return TSV_REPLACEMENTS[c]!;
}

/** A row of TSV values, newline-terminated. */
export function tsvRow(values: readonly TsvValue[]): string {
  let line = tsv(values[0] ?? null);
  for (let i = 1; i < values.length; i++) line += `\t${tsv(values[i] ?? null)}`;
  return `${line}\n`;
}
