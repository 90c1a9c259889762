import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRoute, parseRoute, type Route, tracesQuery } from '../src/lib/route.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

describe('routes', () => {
  it('parses the default and the views', () => {
    assert.deepEqual(parseRoute(''), { view: 'traces', filters: {} });
    assert.deepEqual(parseRoute('#/'), { view: 'traces', filters: {} });
    assert.deepEqual(parseRoute('#/sampling'), { view: 'sampling' });
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
      { view: 'sampling' },
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
