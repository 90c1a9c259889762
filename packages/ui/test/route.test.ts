import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatRoute,
  parseRoute,
  queryString,
  type Route,
  timeWindow,
  tracesQuery,
} from '../src/lib/route.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

describe('routes', () => {
  it('parses the default and the views', () => {
    assert.deepEqual(parseRoute(''), { view: 'traces', filters: {} });
    assert.deepEqual(parseRoute('#/'), { view: 'traces', filters: {} });
    assert.deepEqual(parseRoute('#/sampling'), { view: 'sampling', params: {} });
    assert.deepEqual(parseRoute(`#/traces/${TRACE.toUpperCase()}`), { view: 'trace', traceId: TRACE });
    assert.deepEqual(parseRoute(`#/traces/${TRACE}?span=b7ad6b7169203331`), {
      view: 'trace',
      traceId: TRACE,
      spanId: 'b7ad6b7169203331',
    });
    assert.deepEqual(parseRoute('#/nope'), { view: 'notFound', path: '/nope' });
    assert.deepEqual(parseRoute('#/traces/not-an-id'), { view: 'notFound', path: '/traces/not-an-id' });
  });

  it('round-trips filters through the URL', () => {
    const routes: Route[] = [
      { view: 'traces', filters: {} },
      {
        view: 'traces',
        filters: {
          q: 'a & b=c',
          status: 'error',
          hasAi: true,
          model: 'gpt-4o',
          op: 'gen_ai.chat',
          minDuration: 250,
        },
      },
      { view: 'traces', filters: { hasAi: false, range: '24h' } },
      { view: 'traces', filters: { from: 1000, to: 2000 } },
      { view: 'trace', traceId: TRACE, spanId: 'abc' },
      { view: 'sampling', params: { range: '7d' } },
    ];
    for (const route of routes) assert.deepEqual(parseRoute(formatRoute(route)), route);
  });

  it('drops invalid filter values', () => {
    assert.deepEqual(parseRoute('#/traces?status=weird&hasAi=maybe&minDuration=-5&range=3y&q=%20%20'), {
      view: 'traces',
      filters: {},
    });
  });

  it('builds the API query, a preset range becoming from', () => {
    const now = 10_000_000;
    assert.equal(tracesQuery({}, now), 'limit=50');
    assert.equal(
      tracesQuery({ q: 'x y', hasAi: true, range: '1h' }, now, 'CUR'),
      `q=x+y&hasAi=true&from=${now - 3_600_000}&cursor=CUR&limit=50`,
    );
    assert.equal(tracesQuery({ range: '1h', from: 5, to: 9 }, now), 'from=5&to=9&limit=50');
  });
});

describe('list view routes', () => {
  it('parses each list view, keeping only known and valid parameters', () => {
    assert.deepEqual(parseRoute('#/runs?agent=support&status=error&range=1h&junk=1'), {
      view: 'runs',
      params: { range: '1h', agent: 'support', status: 'error' },
    });
    assert.deepEqual(parseRoute('#/runs?status=weird&range=3y&from=abc'), { view: 'runs', params: {} });
    assert.deepEqual(parseRoute(`#/logs?level=warn&traceId=${TRACE}&attr=model%3Dgpt-4o&q=%20x%20`), {
      view: 'logs',
      params: { q: 'x', level: 'warn', traceId: TRACE, attr: 'model=gpt-4o' },
    });
    assert.deepEqual(parseRoute('#/logs?level=loud&traceId=xyz&attr=novalue'), { view: 'logs', params: {} });
    assert.deepEqual(parseRoute('#/metrics?name=m&aggregate=p95&interval=5m&groupBy=route'), {
      view: 'metrics',
      params: { name: 'm', aggregate: 'p95', groupBy: 'route', interval: '5m' },
    });
    assert.deepEqual(parseRoute('#/metrics?aggregate=median&interval=soon'), { view: 'metrics', params: {} });
    // Names on Object.prototype are not views.
    assert.deepEqual(parseRoute('#/constructor'), { view: 'notFound', path: '/constructor' });
    assert.deepEqual(parseRoute('#/runs?range=constructor'), { view: 'runs', params: {} });
  });

  it('parses agent run links and round-trips every list view', () => {
    assert.deepEqual(parseRoute(`#/runs/${TRACE}/B7AD6B7169203331`), {
      view: 'run',
      traceId: TRACE,
      spanId: 'b7ad6b7169203331',
    });
    assert.deepEqual(parseRoute(`#/runs/${TRACE}/short`), { view: 'notFound', path: `/runs/${TRACE}/short` });
    const routes: Route[] = [
      { view: 'run', traceId: TRACE, spanId: 'b7ad6b7169203331' },
      { view: 'runs', params: { agent: 'a b&c', model: 'gpt-4o', from: '100', to: '200' } },
      { view: 'logs', params: { attr: 'k=v=w', level: 'error' } },
      { view: 'errors', params: { q: 'TypeError' } },
      { view: 'metrics', params: { view: 'cost-model', range: '7d' } },
      { view: 'traces', filters: { attr: 'sieve.rescued=true' } },
    ];
    for (const route of routes) assert.deepEqual(parseRoute(formatRoute(route)), route);
  });

  it('turns an attribute filter into the API parameter', () => {
    assert.equal(tracesQuery({ attr: 'sieve.rescued=true' }, 0), 'attr.sieve.rescued=true&limit=50');
  });

  it('resolves time windows: explicit from/to, then a preset, then the fallback', () => {
    const now = 100_000_000;
    assert.deepEqual(timeWindow({ from: '5', to: '9', range: '1h' }, now), { from: 5, to: 9 });
    assert.deepEqual(timeWindow({ range: '1h' }, now), { from: now - 3_600_000, to: now });
    assert.deepEqual(timeWindow({}, now), {});
    assert.deepEqual(timeWindow({}, now, '24h'), { from: now - 86_400_000, to: now });
    assert.deepEqual(timeWindow({ range: 'toString' }, now), {});
  });

  it('builds query strings from defined values only', () => {
    assert.equal(
      queryString({ a: 'x y', b: undefined, c: null, d: '', e: 0, f: false }),
      'a=x+y&e=0&f=false',
    );
  });
});
