export interface SentryTraceHeader {
  traceId: string;
  spanId: string;
  /** undefined when the header carries no flag: the decision was deferred. */
  sampled: boolean | undefined;
}

// Lowercase hex only, as Sentry's SDKs emit; leading and trailing whitespace is tolerated.
const SENTRY_TRACE = /^[ \t]*([0-9a-f]{32})-([0-9a-f]{16})(?:-([01]))?[ \t]*$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

/** Parses `sentry-trace: <trace id>-<span id>[-1|-0]`; undefined for anything else (a new trace starts). */
export function parseSentryTrace(header: string | undefined): SentryTraceHeader | undefined {
  if (header === undefined) return undefined;
  const match = SENTRY_TRACE.exec(header);
  if (match === null) return undefined;
  const traceId = match[1]!;
  const spanId = match[2]!;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  const flag = match[3];
  return { traceId, spanId, sampled: flag === undefined ? undefined : flag === '1' };
}

export function formatSentryTrace(traceId: string, spanId: string, sampled: boolean | undefined): string {
  if (sampled === undefined) return `${traceId}-${spanId}`;
  return `${traceId}-${spanId}-${sampled ? '1' : '0'}`;
}
