import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** The API answered with an error status (its `{ error }` message when it sent one). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { signal, headers: { accept: 'application/json' } });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, 'The Sieve server cannot be reached. Is `sieve serve` running?');
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const message =
      body && typeof body === 'object' && 'error' in body && typeof body.error === 'string'
        ? body.error
        : `${response.status} ${response.statusText}`.trim();
    throw new ApiError(response.status, message);
  }
  if (body === undefined)
    throw new ApiError(response.status, 'The server answered with something other than JSON.');
  return body as T;
}

/** Delay before the n-th automatic retry (0-based): 1 s, 2 s, 4 s, 8 s, then every 10 s. */
export function retryDelay(attempt: number): number {
  return Math.min(10_000, 1000 * 2 ** attempt);
}

export interface FetchState<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  /** When the next automatic retry happens (epoch ms), while in error. */
  retryAt: number | undefined;
  /** Fetch again now. */
  reload: () => void;
}

/**
 * GETs `path` (null: nothing) and keeps the last good data. On any failure it shows the error and retries
 * by itself with back-off until the server answers, so the page recovers when the server comes back.
 */
export function useApi<T>(path: string | null): FetchState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const [retryAt, setRetryAt] = useState<number | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const attempt = useRef(0);
  const lastPath = useRef<string | null>(null);

  const reload = useCallback(() => setTick((t) => t + 1), []);

  // `tick` re-runs the request (retry, reload).
  useEffect(() => {
    if (path === null) {
      setLoading(false);
      return;
    }
    if (lastPath.current !== path) {
      lastPath.current = path;
      attempt.current = 0;
      setData(undefined);
    }
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setLoading(true);
    getJson<T>(path, controller.signal).then(
      (value) => {
        attempt.current = 0;
        setData(value);
        setError(undefined);
        setRetryAt(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        const apiError = failure instanceof ApiError ? failure : new ApiError(0, String(failure));
        const delay = retryDelay(attempt.current++);
        setError(apiError);
        setRetryAt(Date.now() + delay);
        setLoading(false);
        timer = setTimeout(() => setTick((t) => t + 1), delay);
      },
    );
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [path, tick]);

  return { data, error, loading, retryAt, reload };
}

export interface PagedState<P> {
  first: FetchState<P>;
  /** The first page and every page loaded after it. */
  pages: P[];
  nextCursor: string | null;
  loadMore: () => void;
  loadingMore: boolean;
  moreError: string | undefined;
}

/**
 * A cursor-paged list: the first page through useApi (errors shown and retried), later pages on demand.
 * Changing `path` starts over.
 */
export function usePagedApi<P extends { nextCursor: string | null }>(path: string | null): PagedState<P> {
  const first = useApi<P>(path);
  const [more, setMore] = useState<P[]>([]);
  const [moreError, setMoreError] = useState<string | undefined>(undefined);
  const [loadingMore, setLoadingMore] = useState(false);
  useEffect(() => {
    setMore([]);
    setMoreError(undefined);
  }, [path]);
  const pages = first.data ? [first.data, ...more] : [];
  const nextCursor = pages.length > 0 ? pages[pages.length - 1]!.nextCursor : null;
  const loadMore = () => {
    if (!nextCursor || path === null) return;
    setLoadingMore(true);
    setMoreError(undefined);
    const separator = path.includes('?') ? '&' : '?';
    getJson<P>(`${path}${separator}cursor=${encodeURIComponent(nextCursor)}`).then(
      (page) => {
        setMore((m) => [...m, page]);
        setLoadingMore(false);
      },
      (error: unknown) => {
        setMoreError(error instanceof ApiError ? error.message : String(error));
        setLoadingMore(false);
      },
    );
  };
  return { first, pages, nextCursor, loadMore, loadingMore, moreError };
}
