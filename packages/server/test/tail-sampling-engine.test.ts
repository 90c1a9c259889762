import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type EngineBounds, TailSamplingEngine } from '../src/tail-sampling/engine.js';
import { compilePolicies, type PolicySpec, traceRandom } from '../src/tail-sampling/policy.js';
import { child, makeSpan, traceIdOf } from './tail-sampling-helpers.js';

const BOUNDS: EngineBounds = {
  decisionWaitMs: 1_000,
  maxTraceWaitMs: 60_000,
  maxTraces: 1_000,
  maxSpans: 10_000,
  maxHeldBytes: 64 * 1024 * 1024,
  maxDecisions: 1_000,
};

function engine(policies: PolicySpec[], bounds: Partial<EngineBounds> = {}) {
  return new TailSamplingEngine(compilePolicies(policies), { ...BOUNDS, ...bounds });
}

const rootOf = (traceId: string, overrides = {}) =>
  makeSpan({ traceId, spanId: 'f'.repeat(16), parentSpanId: null, ...overrides });

describe('tail-sampling engine (injected clock)', () => {
  test('decides decisionWaitMs after the root arrives, with the spans that came before and during the wait', () => {
    const e = engine([{ type: 'error' }, { type: 'always', name: 'rest' }]);
    const t = traceIdOf(1);
    e.offer([child(t, 1)], [], 0);
    e.offer([rootOf(t)], [], 500);
    assert.deepEqual(e.due(1_499), []);
    // Another service's span, with an error, arrives during the wait: it is part of the decision.
    e.offer([child(t, 2, { status: 'error', serviceName: 'worker' })], [], 1_200);
    const [decided, ...more] = e.due(1_500);
    assert.equal(more.length, 0);
    assert.equal(decided!.decision.policy, 'policies[0]');
    assert.equal(decided!.kept.length, 3);
    assert.equal(decided!.early, false);
    assert.equal(e.stats.heldSpans, 0);
  });

  test('a trace whose root never arrives is decided maxTraceWaitMs after its first span', () => {
    const e = engine([{ type: 'gen_ai' }], { maxTraceWaitMs: 10_000 });
    const t = traceIdOf(2);
    e.offer([child(t, 1)], [], 0);
    e.offer([child(t, 2, { op: 'gen_ai.chat' })], [], 9_000);
    assert.deepEqual(e.due(9_999), []);
    const decided = e.due(10_000);
    assert.equal(decided.length, 1);
    assert.equal(decided[0]!.decision.keep, true);
    assert.equal(decided[0]!.kept.length, 2);
  });

  test('an error event seen before any span keeps the trace its spans arrive for later', () => {
    const e = engine([{ type: 'error' }]);
    const t = traceIdOf(3);
    e.offer([], [{ projectId: 1, traceId: t }], 0);
    e.offer([rootOf(t), child(t, 1)], [], 100);
    const [decided] = e.due(1_100);
    assert.equal(decided!.decision.keep, true);
    assert.equal(decided!.kept.length, 2);
  });

  test('late spans follow the remembered decision: kept with the same multiplier, dropped counted', () => {
    const lucky = findTrace((r) => r < 0.5);
    const unlucky = findTrace((r) => r >= 0.5);
    const e = engine([{ type: 'probabilistic', rate: 0.5 }]);
    e.offer([rootOf(lucky, { weight: 4 }), rootOf(unlucky, { weight: 4 })], [], 0);
    const decided = e.due(1_000);
    assert.deepEqual(
      decided.map((d) => [d.traceId, d.decision.keep, d.kept.map((s) => s.weight)]),
      [
        [lucky, true, [8]],
        [unlucky, false, []],
      ],
    );
    const late = e.offer([child(lucky, 7, { weight: 4 }), child(unlucky, 7), child(unlucky, 8)], [], 5_000);
    assert.deepEqual(
      late.forward.map((s) => [s.traceId, s.weight]),
      [[lucky, 8]],
    );
    assert.equal(late.held.length, 0);
    assert.equal(e.stats.heldTraces, 0);
    const reports = e.takeDropReports(5_000);
    const quantity = (category: string) =>
      reports.find((r) => r.reason === 'tail_sampling' && r.category === category)?.quantity;
    assert.equal(quantity('span'), 3, 'the dropped root and its 2 late spans');
    assert.equal(quantity('transaction'), 1, 'the dropped root; the late spans are not segments');
    assert.deepEqual(e.takeDropReports(5_000), [], 'reported once');
    // A downstream service's segment arriving late: one more transaction dropped.
    e.offer([child(unlucky, 9, { isSegment: true, serviceName: 'worker' })], [], 6_000);
    assert.deepEqual(
      e.takeDropReports(6_000).map((r) => [r.category, r.quantity]),
      [
        ['span', 1],
        ['transaction', 1],
      ],
    );
    assert.equal(e.stats.lateSpansKept, 1);
    assert.equal(e.stats.lateSpansDropped, 3);
  });

  test('a span offered twice (a retried request) is held once', () => {
    const e = engine([{ type: 'drop' }]);
    const t = traceIdOf(6);
    e.offer([rootOf(t), child(t, 1)], [], 0);
    const again = e.offer([rootOf(t), child(t, 1), child(t, 2)], [], 10);
    assert.deepEqual(
      again.held.map((s) => s.spanId),
      [child(t, 2).spanId],
    );
    assert.equal(e.stats.heldSpans, 3);
    e.due(1_000);
    assert.equal(e.takeDropReports(0).find((r) => r.category === 'span')?.quantity, 3);
  });

  test('a 100 000-span trace: held spans stay within maxSpans, decided early, every span accounted for', () => {
    const e = engine([{ type: 'always' }], { maxSpans: 10_000 });
    const t = traceIdOf(4);
    let stored = 0;
    let maxHeld = 0;
    for (let batch = 0; batch < 100; batch++) {
      const spans = Array.from({ length: 1_000 }, (_, i) => child(t, batch * 1_000 + i + 1));
      const result = e.offer(spans, [], batch);
      stored += result.forward.length + result.decided.reduce((n, d) => n + d.kept.length, 0);
      maxHeld = Math.max(maxHeld, e.stats.heldSpans);
    }
    assert.ok(maxHeld <= 10_000, `held ${maxHeld}`);
    assert.equal(e.stats.earlyDecisions, 1);
    assert.equal(stored, 100_000, 'kept trace stays complete: later spans follow the early decision');
  });

  test('a trace that never ends: decided at the fallback, then its spans are never held again', () => {
    const e = engine([{ type: 'drop' }], { maxTraceWaitMs: 1_000 });
    const t = traceIdOf(5);
    let maxHeld = 0;
    for (let now = 0; now < 100_000; now += 10) {
      e.offer([child(t, now + 1)], [], now);
      e.due(now);
      maxHeld = Math.max(maxHeld, e.stats.heldSpans);
    }
    assert.ok(maxHeld <= 101, `held ${maxHeld}`);
    assert.equal(e.stats.droppedTraces, 1);
    const spans = e.takeDropReports(0).find((r) => r.category === 'span')?.quantity;
    assert.equal(spans, 10_000);
  });

  test('a flood of late spans of remembered traces holds nothing', () => {
    const e = engine([{ type: 'drop' }], { maxDecisions: 100 });
    const traces = Array.from({ length: 100 }, (_, i) => traceIdOf(1_000 + i));
    e.offer(
      traces.map((t) => rootOf(t)),
      [],
      0,
    );
    assert.equal(e.due(1_000).length, 100);
    for (let round = 0; round < 1_000; round++) {
      const result = e.offer(
        traces.map((t, i) => child(t, round * 100 + i + 1)),
        [],
        2_000,
      );
      assert.equal(result.held.length, 0);
    }
    assert.equal(e.stats.heldSpans, 0);
    assert.equal(e.stats.lateSpansDropped, 100_000);
    assert.equal(e.stats.rememberedDecisions, 100);
  });

  test('a flood of new traces: maxTraces holds, the oldest are decided early and their drops reported as overflow', () => {
    const e = engine([{ type: 'error' }], { maxTraces: 100, maxDecisions: 500 });
    for (let i = 0; i < 10_000; i++) {
      e.offer([child(traceIdOf(10_000 + i), 1)], [], i);
      assert.ok(e.stats.heldTraces <= 100);
    }
    assert.equal(e.stats.earlyDecisions, 9_900);
    assert.equal(e.stats.rememberedDecisions, 500, 'decisions are bounded too');
    assert.equal(e.stats.forgottenDecisions, 9_400);
    const overflow = e
      .takeDropReports(0)
      .find((r) => r.reason === 'tail_sampling_overflow' && r.category === 'span');
    assert.equal(overflow?.quantity, 9_900);
  });

  test('a flood of roots decided early leaves a bounded decision queue', () => {
    const e = engine([{ type: 'always' }], { maxTraces: 100 });
    for (let i = 0; i < 20_000; i++) {
      e.offer([rootOf(traceIdOf(30_000 + i))], [], 0);
      assert.ok(e.stats.queuedRoots <= 2 * 100 + 1024 + 1, `queued ${e.stats.queuedRoots}`);
    }
    assert.equal(e.due(1_000).length, 100, 'the live ones are still decided on time');
    assert.equal(e.stats.queuedRoots, 0);
  });

  test('maxHeldBytes holds against large spans', () => {
    const e = engine([{ type: 'always' }], { maxHeldBytes: 1024 * 1024 });
    const big = 'x'.repeat(50_000);
    for (let i = 0; i < 200; i++) {
      e.offer([child(traceIdOf(20_000 + i), 1, { attributes: { prompt: big } })], [], i);
      assert.ok(e.stats.heldBytes <= 1024 * 1024, `held ${e.stats.heldBytes} bytes`);
    }
    assert.ok(e.stats.earlyDecisions > 150);
  });
});

function findTrace(test: (random: number) => boolean): string {
  for (let n = 1; ; n++) if (test(traceRandom(traceIdOf(n)))) return traceIdOf(n);
}
