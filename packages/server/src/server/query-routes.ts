import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MetricAggregate, Store } from '../store.js';
import { DEFAULT_PROJECT_ID } from './auth.js';
import { BadParameter, bool, int, interval, oneOf, type Query, str, time, traceId } from './params.js';

const AGGREGATES: readonly MetricAggregate[] = ['sum', 'avg', 'count', 'min', 'max', 'p50', 'p95', 'p99'];
const DAY = 86_400_000;

function limit(query: Query): number {
  return int(query, 'limit', 1, 1000) ?? 50;
}

/** `attr.<key>=<value>` parameters: exact matches on span attributes. */
function attributeFilters(query: Query): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const key of Object.keys(query)) {
    if (!key.startsWith('attr.')) continue;
    const name = key.slice(5);
    if (name === '') throw new BadParameter(key, 'needs an attribute name after "attr."');
    const value = str(query, key);
    if (value === undefined) continue;
    out ??= {};
    out[name] = value;
  }
  return out;
}

function range(query: Query): { from?: number; to?: number } {
  const from = time(query, 'from');
  const to = time(query, 'to');
  if (from !== undefined && to !== undefined && from > to) throw new BadParameter('from', 'is after "to"');
  const out: { from?: number; to?: number } = {};
  if (from !== undefined) out.from = from;
  if (to !== undefined) out.to = to;
  return out;
}

/** The JSON query API under /api/v1/ (PRODUCT.md); every bad parameter is a 400 naming it. */
export function registerQueryRoutes(app: FastifyInstance, store: Store): void {
  const q = (request: FastifyRequest) => request.query as Query;

  app.get('/api/v1/traces', async (request) => {
    const query = q(request);
    return store.listTraces({
      projectId: DEFAULT_PROJECT_ID,
      ...range(query),
      q: str(query, 'q'),
      status: oneOf(query, 'status', ['ok', 'error', 'unset'] as const),
      op: str(query, 'op'),
      model: str(query, 'model'),
      hasAi: bool(query, 'hasAi'),
      minDurationMs: int(query, 'minDuration', 0, 365 * DAY),
      attributes: attributeFilters(query),
      cursor: str(query, 'cursor'),
      limit: limit(query),
    });
  });

  app.get('/api/v1/traces/:traceId', async (request, reply) => {
    const id = traceId((request.params as { traceId: string }).traceId, 'traceId')!;
    const spans = await store.getTrace(DEFAULT_PROJECT_ID, id);
    if (spans.length === 0) return reply.code(404).send({ error: `no trace ${id}` });
    return { traceId: id, spans };
  });

  app.get('/api/v1/logs', async (request) => {
    const query = q(request);
    return store.queryLogs({
      projectId: DEFAULT_PROJECT_ID,
      ...range(query),
      traceId: traceId(str(query, 'traceId'), 'traceId'),
      q: str(query, 'q'),
      level: oneOf(query, 'level', ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const),
      attributes: attributeFilters(query),
      cursor: str(query, 'cursor'),
      limit: limit(query),
    });
  });

  app.get('/api/v1/metrics', async (request) => {
    const query = q(request);
    const name = str(query, 'name');
    if (name === undefined) throw new BadParameter('name', 'is required (the metric name)');
    const now = Date.now();
    const { from = now - DAY, to = now } = range(query);
    const intervalMs = interval(query, 'interval') ?? Math.max(1000, Math.ceil((to - from) / 60));
    if (intervalMs <= 0) throw new BadParameter('interval', 'must be positive');
    if ((to - from) / intervalMs > 10_000)
      throw new BadParameter('interval', 'gives more than 10 000 buckets for the range');
    const requested = str(query, 'aggregates');
    const aggregates = requested === undefined ? [...AGGREGATES] : requested.split(',').map((a) => a.trim());
    for (const a of aggregates) {
      if (!(AGGREGATES as readonly string[]).includes(a)) {
        throw new BadParameter('aggregates', `"${a}" is not one of ${AGGREGATES.join(', ')}`);
      }
    }
    return store.queryMetrics({
      projectId: DEFAULT_PROJECT_ID,
      name,
      from,
      to,
      intervalMs,
      groupBy: str(query, 'groupBy'),
      aggregates: aggregates as MetricAggregate[],
    });
  });

  app.get('/api/v1/sampling', async (request) => {
    const query = q(request);
    const span = range(query);
    const intervalMs = interval(query, 'interval');
    if (intervalMs !== undefined) {
      if (intervalMs <= 0) throw new BadParameter('interval', 'must be positive');
      const now = Date.now();
      if (((span.to ?? now) - (span.from ?? now - DAY)) / intervalMs > 10_000)
        throw new BadParameter('interval', 'gives more than 10 000 buckets for the range');
      if (span.from === undefined)
        throw new BadParameter('interval', 'needs "from" (the first bucket starts there)');
    }
    return store.samplingStats({ projectId: DEFAULT_PROJECT_ID, ...span, intervalMs });
  });

  app.get('/api/v1/agent-runs', async (request) => {
    const query = q(request);
    return store.listAgentRuns({
      projectId: DEFAULT_PROJECT_ID,
      ...range(query),
      agent: str(query, 'agent'),
      model: str(query, 'model'),
      status: oneOf(query, 'status', ['ok', 'error', 'unset'] as const),
      cursor: str(query, 'cursor'),
      limit: limit(query),
    });
  });

  app.get('/api/v1/errors', async (request) => {
    const query = q(request);
    return store.listErrors({
      projectId: DEFAULT_PROJECT_ID,
      ...range(query),
      traceId: traceId(str(query, 'traceId'), 'traceId'),
      q: str(query, 'q'),
      cursor: str(query, 'cursor'),
      limit: limit(query),
    });
  });
}
