export interface Traceparent {
  traceId: string;
  spanId: string;
  /** The trace flags byte; bit 0 sampled, bit 1 random. */
  flags: number;
}

const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';
// version "-" trace-id "-" parent-id "-" flags, lowercase hex only (W3C Trace Context level 2).
const V00 = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Parses a W3C `traceparent`. Version 00 must be exactly 55 characters. A future version (01–fe) is
 * read by its first 55 characters when what follows starts with '-', as the spec asks; version ff is
 * invalid. Several traceparent headers (joined by Node as "a, b") are invalid, as is any all-zero id.
 */
export function parseTraceparent(header: string | undefined): Traceparent | undefined {
  if (header === undefined) return undefined;
  const value = header.replace(/^[ \t]+|[ \t]+$/g, '');
  if (value.length < 55) return undefined;
  const version = value.slice(0, 2);
  let head = value;
  if (version === '00') {
    if (value.length !== 55) return undefined;
  } else {
    if (version === 'ff') return undefined;
    if (value.length > 55 && value[55] !== '-') return undefined;
    head = value.slice(0, 55);
  }
  const match = V00.exec(head);
  if (match === null) return undefined;
  const traceId = match[2]!;
  const spanId = match[3]!;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, flags: Number.parseInt(match[4]!, 16) };
}

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Always emits version 00. */
export function formatTraceparent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${HEX2[flags & 0xff]}`;
}
