// The demo's pure decisions: its sampler (the seeds' samplers combined) and the traffic mix.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SamplingContext } from '@sieve/sdk';
import { demoSampler } from '../src/sampler.js';
import { DEFAULT_WEIGHTS, pickRoute, ROUTE_NAMES } from '../src/traffic.js';

function context(
  name: string,
  path: string | undefined,
  extra: Partial<SamplingContext> = {},
): SamplingContext {
  return {
    name,
    op: undefined,
    attributes: {},
    inheritOrSampleWith: (fallback) => fallback,
    transactionContext: { name, op: undefined, data: {} },
    ...(path === undefined ? {} : { request: { method: 'GET', url: `http://x${path}`, path, headers: {} } }),
    ...extra,
  };
}

describe('demoSampler', () => {
  const sampler = demoSampler(0.2);
  const table: [string, SamplingContext, number][] = [
    ['AI route /api/agent', context('POST /api/agent', '/api/agent'), 1],
    ['AI route /api/chat', context('POST /api/chat', '/api/chat'), 1],
    [
      'a gen_ai root outside HTTP',
      context('invoke_agent nightly', undefined, { attributes: { 'gen_ai.operation.name': 'invoke_agent' } }),
      1,
    ],
    ['/health never', context('GET /health', '/health'), 0],
    ['/search at the fallback', context('GET /search', '/search'), 0.2],
    [
      '/recommendations (an AI call the route list misses) at the fallback',
      context('POST /recommendations', '/recommendations'),
      0.2,
    ],
    [
      'an upstream decision is honoured',
      context('POST /payment', '/payment', { inheritOrSampleWith: () => 1 }),
      1,
    ],
  ];
  for (const [label, ctx, expected] of table) it(label, () => assert.equal(sampler(ctx), expected));
  it('takes the fallback rate', () => assert.equal(demoSampler(0.5)(context('GET /search', '/search')), 0.5));
});

describe('pickRoute', () => {
  it('splits [0, 1) by weight', () => {
    const weights = { chat: 1, agent: 1, recommendations: 0, search: 2, payment: 0, health: 0 };
    const table: [number, string][] = [
      [0, 'chat'],
      [0.24, 'chat'],
      [0.25, 'agent'],
      [0.49, 'agent'],
      [0.5, 'search'],
      [0.999, 'search'],
    ];
    for (const [u, route] of table) assert.equal(pickRoute(weights, u), route, String(u));
  });
  it('reaches every route with the default weights', () => {
    const seen = new Set(Array.from({ length: 100 }, (_, i) => pickRoute(DEFAULT_WEIGHTS, i / 100)));
    assert.deepEqual([...seen].sort(), [...ROUTE_NAMES].sort());
  });
  it('rejects weights that sum to nothing', () => {
    assert.throws(
      () => pickRoute({ chat: 0, agent: 0, recommendations: 0, search: 0, payment: 0, health: 0 }, 0.5),
      RangeError,
    );
  });
});
