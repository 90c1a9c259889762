import type { SpanStatus } from '../types.js';

/** Span status for an HTTP response code, with Sentry's status names (what Sentry's UI and server read). */
export function statusFromHttpCode(code: number): SpanStatus {
  if (code < 400) return { code: 1 };
  switch (code) {
    case 401:
      return { code: 2, message: 'unauthenticated' };
    case 403:
      return { code: 2, message: 'permission_denied' };
    case 404:
      return { code: 2, message: 'not_found' };
    case 409:
      return { code: 2, message: 'already_exists' };
    case 413:
      return { code: 2, message: 'failed_precondition' };
    case 429:
      return { code: 2, message: 'resource_exhausted' };
    case 499:
      return { code: 2, message: 'cancelled' };
    case 501:
      return { code: 2, message: 'unimplemented' };
    case 503:
      return { code: 2, message: 'unavailable' };
    case 504:
      return { code: 2, message: 'deadline_exceeded' };
    default:
      return { code: 2, message: code < 500 ? 'invalid_argument' : 'internal_error' };
  }
}
