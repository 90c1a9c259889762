import type { SpanStatus } from '../types.js';

// Sentry's status names for HTTP codes: what Sentry's UI and server read from span status.
const NAMED: Readonly<Record<number, string>> = {
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'already_exists',
  413: 'failed_precondition',
  429: 'resource_exhausted',
  499: 'cancelled',
  501: 'unimplemented',
  503: 'unavailable',
  504: 'deadline_exceeded',
};

/** Span status for an HTTP response code: ok below 400, else error with Sentry's status name. */
export function statusFromHttpCode(code: number): SpanStatus {
  if (code < 400) return { code: 1 };
  return { code: 2, message: NAMED[code] ?? (code < 500 ? 'invalid_argument' : 'internal_error') };
}
