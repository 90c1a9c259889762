// Hash routes: the URL holds the view and its filters, so every view can be linked to and reloaded.
// Pure: unit-tested in test/route.test.ts.

export interface TraceFilters {
  q?: string;
  status?: 'ok' | 'error' | 'unset';
  hasAi?: boolean;
  model?: string;
  op?: string;
  /** Milliseconds. */
  minDuration?: number;
  /** A preset window back from now ('15m', '1h', '24h', '7d', '30d'); ignored when from/to are set. */
  range?: string;
  /** Epoch milliseconds. */
  from?: number;
  to?: number;
}

export type Route =
  | { view: 'traces'; filters: TraceFilters }
  | { view: 'trace'; traceId: string; spanId?: string }
  | { view: 'sampling' }
  | { view: 'notFound'; path: string };

export const RANGES: Record<string, number> = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

const STATUSES = ['ok', 'error', 'unset'] as const;

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const [pathPart = '', queryPart = ''] = splitOnce(raw, '?');
  const path = pathPart.replace(/\/+$/, '') || '/traces';
  const params = new URLSearchParams(queryPart);
  if (path === '/' || path === '/traces') return { view: 'traces', filters: parseFilters(params) };
  if (path === '/sampling') return { view: 'sampling' };
  const trace = /^\/traces\/([0-9a-fA-F]{32})$/.exec(path);
  if (trace) {
    const spanId = params.get('span');
    return spanId
      ? { view: 'trace', traceId: trace[1]!.toLowerCase(), spanId }
      : { view: 'trace', traceId: trace[1]!.toLowerCase() };
  }
  return { view: 'notFound', path };
}

export function formatRoute(route: Route): string {
  switch (route.view) {
    case 'traces': {
      const query = filtersToParams(route.filters).toString();
      return query ? `#/traces?${query}` : '#/traces';
    }
    case 'trace':
      return route.spanId
        ? `#/traces/${route.traceId}?span=${encodeURIComponent(route.spanId)}`
        : `#/traces/${route.traceId}`;
    case 'sampling':
      return '#/sampling';
    case 'notFound':
      return `#${route.path}`;
  }
}

export function parseFilters(params: URLSearchParams): TraceFilters {
  const f: TraceFilters = {};
  const text = (name: string) => {
    const v = params.get(name)?.trim();
    return v ? v : undefined;
  };
  const q = text('q');
  if (q) f.q = q;
  const status = text('status');
  if (status && (STATUSES as readonly string[]).includes(status)) f.status = status as TraceFilters['status'];
  const hasAi = text('hasAi');
  if (hasAi === 'true' || hasAi === 'false') f.hasAi = hasAi === 'true';
  const model = text('model');
  if (model) f.model = model;
  const op = text('op');
  if (op) f.op = op;
  const minDuration = Number(text('minDuration'));
  if (Number.isFinite(minDuration) && minDuration > 0) f.minDuration = Math.round(minDuration);
  const range = text('range');
  if (range && range in RANGES) f.range = range;
  const from = Number(text('from'));
  if (text('from') && Number.isFinite(from)) f.from = from;
  const to = Number(text('to'));
  if (text('to') && Number.isFinite(to)) f.to = to;
  return f;
}

export function filtersToParams(f: TraceFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.q) p.set('q', f.q);
  if (f.status) p.set('status', f.status);
  if (f.hasAi !== undefined) p.set('hasAi', String(f.hasAi));
  if (f.model) p.set('model', f.model);
  if (f.op) p.set('op', f.op);
  if (f.minDuration) p.set('minDuration', String(f.minDuration));
  if (f.range) p.set('range', f.range);
  if (f.from !== undefined) p.set('from', String(f.from));
  if (f.to !== undefined) p.set('to', String(f.to));
  return p;
}

/** The query string of `GET /api/v1/traces` for these filters; a preset range becomes `from` relative to now. */
export function tracesQuery(f: TraceFilters, now: number, cursor?: string, limit = 50): string {
  const p = new URLSearchParams();
  if (f.q) p.set('q', f.q);
  if (f.status) p.set('status', f.status);
  if (f.hasAi !== undefined) p.set('hasAi', String(f.hasAi));
  if (f.model) p.set('model', f.model);
  if (f.op) p.set('op', f.op);
  if (f.minDuration) p.set('minDuration', String(f.minDuration));
  if (f.from !== undefined || f.to !== undefined) {
    if (f.from !== undefined) p.set('from', String(f.from));
    if (f.to !== undefined) p.set('to', String(f.to));
  } else if (f.range && RANGES[f.range]) {
    p.set('from', String(now - RANGES[f.range]!));
  }
  if (cursor) p.set('cursor', cursor);
  p.set('limit', String(limit));
  return p.toString();
}

export function hasFilters(f: TraceFilters): boolean {
  return filtersToParams(f).toString() !== '';
}

function splitOnce(text: string, sep: string): [string, string] {
  const i = text.indexOf(sep);
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 1)];
}
