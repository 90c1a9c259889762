/**
 * Sentry's rate limits: `X-Sentry-Rate-Limits: <seconds>:<categories>:<scope>[:<reason>[:<namespaces>]], …`
 * (empty categories = all), else `Retry-After` on a 429. State maps a category (or 'all') to the epoch
 * millisecond until which it is limited. Pure functions, table-tested.
 */
export type RateLimits = Readonly<Record<string, number>>;

const DEFAULT_RETRY_AFTER_MS = 60_000;

/** Parses Retry-After: delta seconds or an HTTP date; falls back to 60 s. */
export function parseRetryAfter(header: string | undefined, now: number): number {
  if (header === undefined) return DEFAULT_RETRY_AFTER_MS;
  const seconds = Number.parseInt(header, 10);
  if (!Number.isNaN(seconds) && /^\s*\d+\s*$/.test(header)) return seconds * 1000;
  const date = Date.parse(header);
  if (!Number.isNaN(date)) return Math.max(0, date - now);
  return DEFAULT_RETRY_AFTER_MS;
}

export function updateRateLimits(
  limits: RateLimits,
  response: { statusCode: number; rateLimits?: string | undefined; retryAfter?: string | undefined },
  now: number,
): RateLimits {
  const next: Record<string, number> = { ...limits };
  if (response.rateLimits !== undefined && response.rateLimits.trim() !== '') {
    for (const limit of response.rateLimits.split(',')) {
      const [retryAfter, categories] = limit.trim().split(':', 2);
      const seconds = Number.parseInt(retryAfter ?? '', 10);
      const until = now + (Number.isNaN(seconds) ? 60 : seconds) * 1000;
      if (categories === undefined || categories === '') {
        next.all = until;
      } else {
        for (const category of categories.split(';')) {
          if (category !== '') next[category] = until;
        }
      }
    }
  } else if (response.statusCode === 429) {
    next.all = now + parseRetryAfter(response.retryAfter, now);
  }
  return next;
}

export function isRateLimited(limits: RateLimits, category: string, now: number): boolean {
  return (limits[category] ?? 0) > now || (limits.all ?? 0) > now;
}
