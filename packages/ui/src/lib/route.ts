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
  /** `key=value`: an exact attribute match on any span (e.g. `sieve.rescued=true`). */
  attr?: string;
  /** A preset window back from now ('15m', '1h', '24h', '7d', '30d'); ignored when from/to are set. */
  range?: string;
  /** Epoch milliseconds. */
  from?: number;
  to?: number;
}

/** List views other than traces keep their filters as plain URL parameters, checked against VIEW_PARAMS. */
export type ListView = 'runs' | 'logs' | 'errors' | 'metrics' | 'sampling';
export type ViewParams = Record<string, string>;

export type Route =
  | { view: 'traces'; filters: TraceFilters }
  | { view: 'trace'; traceId: string; spanId?: string }
  | { view: 'run'; traceId: string; spanId: string }
  | { view: ListView; params: ViewParams }
  | { view: 'notFound'; path: string };

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const AGGREGATES = ['sum', 'avg', 'count', 'min', 'max', 'p50', 'p95', 'p99'];
const anyText = (v: string) => v.trim() !== '';
const oneOf = (values: readonly string[]) => (v: string) => values.includes(v);
const rangeKey = (v: string) => Object.hasOwn(RANGES, v);
const epochMs = (v: string) => /^\d{1,15}$/.test(v);
const traceIdText = (v: string) => /^[0-9a-f]{32}$/.test(v);
/** `key=value`: an attribute filter. */
const attribute = (v: string) => /^[^=]+=.*$/.test(v);
const TIME = { range: rangeKey, from: epochMs, to: epochMs };

/** The URL parameters each list view understands, with the check a value must pass to be kept. */
export const VIEW_PARAMS: Record<ListView, Record<string, (value: string) => boolean>> = {
  runs: { ...TIME, agent: anyText, model: anyText, status: oneOf(['ok', 'error', 'unset']) },
  logs: { ...TIME, q: anyText, level: oneOf(LEVELS), traceId: traceIdText, attr: attribute },
  errors: { ...TIME, q: anyText },
  metrics: {
    ...TIME,
    view: anyText,
    name: anyText,
    aggregate: oneOf(AGGREGATES),
    groupBy: anyText,
    interval: (v) => /^\d+(ms|s|m|h|d)$/.test(v),
  },
  sampling: { ...TIME },
};

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
  const list = path.slice(1);
  if (Object.hasOwn(VIEW_PARAMS, list)) {
    const view = list as ListView;
    return { view, params: parseViewParams(view, params) };
  }
  const run = /^\/runs\/([0-9a-fA-F]{32})\/([0-9a-fA-F]{16})$/.exec(path);
  if (run) return { view: 'run', traceId: run[1]!.toLowerCase(), spanId: run[2]!.toLowerCase() };
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
    case 'run':
      return `#/runs/${route.traceId}/${route.spanId}`;
    case 'notFound':
      return `#${route.path}`;
    default: {
      const query = viewParamsToString(route.view, route.params);
      return query ? `#/${route.view}?${query}` : `#/${route.view}`;
    }
  }
}

/** Keeps the parameters the view knows whose values pass its checks, trimmed. */
export function parseViewParams(view: ListView, params: URLSearchParams): ViewParams {
  const out: ViewParams = {};
  for (const [key, check] of Object.entries(VIEW_PARAMS[view])) {
    const value = params.get(key)?.trim();
    if (value && check(value)) out[key] = value;
  }
  return out;
}

/** The query string of a list view's URL, in the order VIEW_PARAMS lists them (stable links). */
export function viewParamsToString(view: ListView, params: ViewParams): string {
  const p = new URLSearchParams();
  for (const key of Object.keys(VIEW_PARAMS[view])) {
    const value = params[key];
    if (value) p.set(key, value);
  }
  return p.toString();
}

/**
 * The `from`/`to` of an API query for a view's time parameters: explicit from/to win, a preset
 * range counts back from `now`, and `fallback` (a RANGES key) applies when neither is set.
 */
export function timeWindow(
  params: { range?: string; from?: string | number; to?: string | number },
  now: number,
  fallback?: string,
): { from?: number; to?: number } {
  const from = params.from === undefined ? undefined : Number(params.from);
  const to = params.to === undefined ? undefined : Number(params.to);
  if (from !== undefined || to !== undefined) {
    const out: { from?: number; to?: number } = {};
    if (from !== undefined && Number.isFinite(from)) out.from = from;
    if (to !== undefined && Number.isFinite(to)) out.to = to;
    return out;
  }
  const range = params.range && Object.hasOwn(RANGES, params.range) ? params.range : fallback;
  return range && Object.hasOwn(RANGES, range) ? { from: now - RANGES[range]!, to: now } : {};
}

/** A query string from defined values only (API requests). */
export function queryString(values: Record<string, string | number | boolean | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(values))
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  return p.toString();
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
  const attr = text('attr');
  if (attr && attribute(attr)) f.attr = attr;
  const range = text('range');
  if (range && Object.hasOwn(RANGES, range)) f.range = range;
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
  if (f.attr) p.set('attr', f.attr);
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
  if (f.attr) {
    const at = f.attr.indexOf('=');
    p.set(`attr.${f.attr.slice(0, at).trim()}`, f.attr.slice(at + 1));
  }
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
