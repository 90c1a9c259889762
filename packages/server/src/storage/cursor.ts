/**
 * Opaque page cursors: base64url of a JSON array holding the sort key of the last row of a page
 * (time, then a unique tie-breaker). Keyset pagination, not OFFSET: a page costs the same however
 * deep it is, and rows inserted meanwhile neither repeat nor shift later pages.
 */

export type CursorKey = [time: number, tieBreaker: string];

export function encodeCursor(time: number, tieBreaker: string | number | bigint): string {
  return Buffer.from(JSON.stringify([time, String(tieBreaker)]), 'utf8').toString('base64url');
}

import { InvalidCursorError } from '../store.js';

export { InvalidCursorError };

export function decodeCursor(cursor: string): CursorKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'number' ||
    !Number.isFinite(parsed[0]) ||
    typeof parsed[1] !== 'string'
  ) {
    throw new InvalidCursorError();
  }
  return [parsed[0], parsed[1]];
}
