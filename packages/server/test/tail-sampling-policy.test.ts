import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SpanRow } from '../src/model.js';
import {
  compilePolicies,
  type Decision,
  multiplyWeight,
  type PolicySpec,
  type PolicyState,
  RateLimitBuckets,
  traceRandom,
} from '../src/tail-sampling/policy.js';
import { child, makeSpan, traceIdOf } from './tail-sampling-helpers.js';

const T = 'a'.repeat(32);
const root = makeSpan({ traceId: T, spanId: 'f'.repeat(16), startTime: 1_000, endTime: 1_500 });
const plain = [root, child(T, 1)];
const failing = [root, child(T, 1, { status: 'error' })];
const ai = [root, child(T, 2, { op: 'gen_ai.chat', operation: 'chat' })];
const aiByAttribute = [
  root,
  child(T, 2, { op: 'function', attributes: { 'gen_ai.operation.name': 'chat' } }),
];
const aiByOp = [root, child(T, 2, { op: 'gen_ai.invoke_agent' })];
const slow = [root, child(T, 1, { startTime: 1_000, endTime: 9_000 })];
const withRoute = (route: string | number) => [makeSpan({ ...root, attributes: { 'http.route': route } })];

function state(now = 0): PolicyState {
  return { now, buckets: new RateLimitBuckets() };
}

function decide(
  policies: PolicySpec[],
  spans: SpanRow[],
  options: { errorEvent?: boolean; traceId?: string } = {},
) {
  const traceId = options.traceId ?? T;
  return compilePolicies(policies).evaluate(
    { traceId, spans: spans.map((s) => ({ ...s, traceId })), hasErrorEvent: options.errorEvent ?? false },
    state(),
  );
}

/** A trace id whose traceRandom is below / above the given rate (found by search, deterministic). */
function traceIdWithRandom(below: boolean, rate: number): string {
  for (let n = 1; ; n++) {
    const id = traceIdOf(n);
    if (traceRandom(id) < rate === below) return id;
  }
}

const KEEP = (policy: string, multiplier = 1): Decision => ({ keep: true, multiplier, policy });
const DROP = (policy: string): Decision => ({ keep: false, multiplier: 1, policy });

describe('tail-sampling policies (first-match, default drop)', () => {
  const lucky = traceIdWithRandom(true, 0.1);
  const unlucky = traceIdWithRandom(false, 0.1);
  const cases: Array<{
    name: string;
    policies: PolicySpec[];
    spans: SpanRow[];
    errorEvent?: boolean;
    traceId?: string;
    want: Decision;
  }> = [
    {
      name: 'error: a span with status error',
      policies: [{ type: 'error' }],
      spans: failing,
      want: KEEP('policies[0]'),
    },
    {
      name: 'error: an error event in the trace',
      policies: [{ type: 'error' }],
      spans: plain,
      errorEvent: true,
      want: KEEP('policies[0]'),
    },
    {
      name: 'error: none → default drop',
      policies: [{ type: 'error' }],
      spans: plain,
      want: DROP('default'),
    },
    {
      name: 'gen_ai: normalised operation',
      policies: [{ type: 'gen_ai' }],
      spans: ai,
      want: KEEP('policies[0]'),
    },
    {
      name: 'gen_ai: gen_ai.operation.name attribute',
      policies: [{ type: 'gen_ai' }],
      spans: aiByAttribute,
      want: KEEP('policies[0]'),
    },
    { name: 'gen_ai: op gen_ai.*', policies: [{ type: 'gen_ai' }], spans: aiByOp, want: KEEP('policies[0]') },
    { name: 'gen_ai: none', policies: [{ type: 'gen_ai' }], spans: plain, want: DROP('default') },
    {
      name: 'duration: at least',
      policies: [{ type: 'duration', minMs: 8_000 }],
      spans: slow,
      want: KEEP('policies[0]'),
    },
    {
      name: 'duration: shorter',
      policies: [{ type: 'duration', minMs: 8_001 }],
      spans: slow,
      want: DROP('default'),
    },
    {
      name: 'attribute equals',
      policies: [{ type: 'attribute', key: 'http.route', equals: '/chat' }],
      spans: withRoute('/chat'),
      want: KEEP('policies[0]'),
    },
    {
      name: 'attribute equals: number vs text',
      policies: [{ type: 'attribute', key: 'http.route', equals: 500 }],
      spans: withRoute('500'),
      want: KEEP('policies[0]'),
    },
    {
      name: 'attribute equals: other',
      policies: [{ type: 'attribute', key: 'http.route', equals: '/chat' }],
      spans: withRoute('/health'),
      want: DROP('default'),
    },
    {
      name: 'attribute regex',
      policies: [{ type: 'attribute', key: 'http.route', regex: '^/api/' }],
      spans: withRoute('/api/x'),
      want: KEEP('policies[0]'),
    },
    {
      name: 'attribute regex: no match',
      policies: [{ type: 'attribute', key: 'http.route', regex: '^/api/' }],
      spans: withRoute('/x'),
      want: DROP('default'),
    },
    {
      name: 'attribute range',
      policies: [{ type: 'attribute', key: 'http.route', min: 500, max: 599 }],
      spans: withRoute(503),
      want: KEEP('policies[0]'),
    },
    {
      name: 'attribute range: numeric text',
      policies: [{ type: 'attribute', key: 'http.route', min: 500 }],
      spans: withRoute('503'),
      want: KEEP('policies[0]'),
    },
    {
      name: 'attribute range: outside',
      policies: [{ type: 'attribute', key: 'http.route', min: 500, max: 599 }],
      spans: withRoute(404),
      want: DROP('default'),
    },
    {
      name: 'attribute range: absent key',
      policies: [{ type: 'attribute', key: 'other', min: 0 }],
      spans: withRoute(1),
      want: DROP('default'),
    },
    {
      name: 'probabilistic: kept, weight × 1/rate',
      policies: [{ type: 'probabilistic', rate: 0.1 }],
      spans: plain,
      traceId: lucky,
      want: KEEP('policies[0]', 10),
    },
    {
      name: 'probabilistic: dropped',
      policies: [{ type: 'probabilistic', rate: 0.1 }],
      spans: plain,
      traceId: unlucky,
      want: DROP('policies[0]'),
    },
    { name: 'always', policies: [{ type: 'always' }], spans: plain, want: KEEP('policies[0]') },
    { name: 'drop', policies: [{ type: 'drop', name: 'nothing' }], spans: failing, want: DROP('nothing') },
    {
      name: 'first match: error before probabilistic',
      policies: [
        { type: 'error', name: 'errors' },
        { type: 'probabilistic', rate: 0.1 },
      ],
      spans: failing,
      traceId: unlucky,
      want: KEEP('errors'),
    },
    {
      name: 'first match: a decided drop ends the list',
      policies: [{ type: 'probabilistic', rate: 0.1 }, { type: 'error' }],
      spans: failing,
      traceId: unlucky,
      want: DROP('policies[0]'),
    },
    {
      name: 'and: all conditions, multipliers multiply',
      policies: [
        {
          type: 'and',
          name: 'ai sample',
          policies: [{ type: 'gen_ai' }, { type: 'probabilistic', rate: 0.1 }],
        },
      ],
      spans: ai,
      traceId: lucky,
      want: KEEP('ai sample', 10),
    },
    {
      name: 'and: a condition fails → not matched, next policy asked',
      policies: [
        { type: 'and', policies: [{ type: 'gen_ai' }, { type: 'drop' }] },
        { type: 'always', name: 'rest' },
      ],
      spans: plain,
      want: KEEP('rest'),
    },
    {
      name: 'and: conditions hold, a refusing part drops (not passed on: weights stay unbiased)',
      policies: [
        {
          type: 'and',
          name: 'health',
          policies: [{ type: 'attribute', key: 'http.route', equals: '/health' }, { type: 'drop' }],
        },
        { type: 'always' },
      ],
      spans: withRoute('/health'),
      want: DROP('health'),
    },
    {
      name: 'nested first_match',
      policies: [
        {
          type: 'first_match',
          policies: [
            { type: 'gen_ai', name: 'ai' },
            { type: 'error', name: 'err' },
          ],
        },
      ],
      spans: failing,
      want: KEEP('err'),
    },
    {
      name: 'weighted: first matching branch, within its budget',
      policies: [
        {
          type: 'weighted',
          tracesPerSecond: 10,
          policies: [
            { share: 0.5, policy: { type: 'gen_ai', name: 'ai' } },
            { share: 0.5, policy: { type: 'always', name: 'any' } },
          ],
        },
      ],
      spans: plain,
      want: KEEP('any'),
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(decide(c.policies, c.spans, { errorEvent: c.errorEvent, traceId: c.traceId }), c.want);
    });
  }

  test('probabilistic keeps ~rate of traces, deterministically per trace id', () => {
    const policy = compilePolicies([{ type: 'probabilistic', rate: 0.1 }]);
    let kept = 0;
    for (let n = 0; n < 20_000; n++) {
      const view = { traceId: traceIdOf(n), spans: plain, hasErrorEvent: false };
      const first = policy.evaluate(view, state())!;
      assert.equal(policy.evaluate(view, state())!.keep, first.keep);
      if (first.keep) kept++;
    }
    // Binomial(20 000, 0.1): sd ≈ 42; ±6 sd.
    assert.ok(Math.abs(kept - 2_000) < 260, `kept ${kept}`);
  });
});

describe('rate_limit (token bucket, injected clock)', () => {
  const policy = compilePolicies([{ type: 'rate_limit', tracesPerSecond: 2, burst: 2, by: 'root.name' }]);
  const view = (name: string) => ({ traceId: T, spans: [makeSpan({ name })], hasErrorEvent: false });

  test('burst, then refill at the rate; keys are separate', () => {
    const s = state(0);
    const at = (now: number, name = '/a') => {
      s.now = now;
      return policy.evaluate(view(name), s)!.keep;
    };
    assert.deepEqual([at(0), at(0), at(0)], [true, true, false]);
    assert.equal(at(0, '/b'), true, 'another route has its own bucket');
    assert.equal(at(100), false, '0.2 tokens after 100 ms');
    assert.equal(at(500), true, 'one token after 500 ms');
    assert.equal(at(500), false);
  });

  test("a kept trace's multiplier is offered / kept over the key's previous second", () => {
    const s = state(0);
    // 8 traces offered in the first second, 3 kept (2 of burst, 1 refilled by 500 ms), …
    for (let i = 0; i < 8; i++) {
      s.now = i * 100;
      policy.evaluate(view('/a'), s);
    }
    // … so the next second's keeps carry ×(8 / 3).
    s.now = 1_500;
    const decision = policy.evaluate(view('/a'), s)!;
    assert.equal(decision.keep, true);
    assert.ok(Math.abs(decision.multiplier - 8 / 3) < 1e-9, `multiplier ${decision.multiplier}`);
    // A long gap: the old ratio says nothing about now.
    s.now = 10_000;
    assert.deepEqual(policy.evaluate(view('/a'), s), KEEP('policies[0]', 1));
  });

  test('the number of keys is bounded (least recently used forgotten)', () => {
    const buckets = new RateLimitBuckets(100);
    for (let i = 0; i < 10_000; i++) buckets.take(`route ${i}`, 0, 1, 1);
    assert.equal(buckets.size, 100);
  });
});

describe('weights', () => {
  test('multiply with the head weight, clamped like ingest weights', () => {
    assert.equal(multiplyWeight(4, 10), 40);
    assert.equal(multiplyWeight(1, 1), 1);
    assert.equal(multiplyWeight(1e5, 100), 1e6);
  });
});
