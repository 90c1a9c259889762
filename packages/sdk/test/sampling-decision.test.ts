import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideRootSampling, parseSampleRate, type SamplingContext } from '../src/index.js';
import { newSampleRand, parseSampleRand, sampleRandForDecision } from '../src/sampling/sample-rand.js';
import { describeValue } from '../src/sampling/sample-rate.js';
import { seededRandom } from './helpers.js';

function ctx(extra: Partial<SamplingContext> = {}): SamplingContext {
  return {
    name: 'root',
    op: undefined,
    attributes: {},
    inheritOrSampleWith: (f: number) => f,
    transactionContext: { name: 'root', op: undefined, data: {} },
    ...extra,
  };
}

describe('parseSampleRate', () => {
  const table: Array<[unknown, number | undefined]> = [
    [0, 0],
    [1, 1],
    [0.25, 0.25],
    [true, 1],
    [false, 0],
    ['0.5', 0.5],
    [' 0.5 ', 0.5],
    ['1', 1],
    ['', undefined],
    ['  ', undefined],
    ['abc', undefined],
    ['x', undefined],
    [Number.NaN, undefined],
    [-0.1, undefined],
    [-1, undefined],
    [1.0001, undefined],
    [2, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    [undefined, undefined],
    [null, undefined],
    [{}, undefined],
    [[0.5], undefined],
    [() => 1, undefined],
    [Symbol('r'), undefined],
    [10n, undefined],
  ];
  for (const [input, expected] of table) {
    test(`${describeValue(input)} → ${expected}`, () => {
      assert.equal(parseSampleRate(input), expected);
    });
  }
});

describe('decideRootSampling: precedence forced → sampler → parent → rate', () => {
  const never = () => {
    throw new Error('sampler must not be called');
  };
  type Row = {
    why: string;
    forced?: boolean;
    sampler?: (c: SamplingContext) => unknown;
    rate?: number;
    parentSampled?: boolean;
    parentSampleRate?: number;
    rand?: number;
    sampled: boolean;
    sampleRate: number | undefined;
    source: string;
    invalid?: boolean;
  };
  const rows: Row[] = [
    { why: 'rate 1 keeps', rate: 1, rand: 0.999999, sampled: true, sampleRate: 1, source: 'rate' },
    { why: 'rate 0 drops', rate: 0, rand: 0, sampled: false, sampleRate: 0, source: 'rate' },
    {
      why: 'rand below rate keeps',
      rate: 0.2,
      rand: 0.199999,
      sampled: true,
      sampleRate: 0.2,
      source: 'rate',
    },
    {
      why: 'rand equal to rate drops',
      rate: 0.2,
      rand: 0.2,
      sampled: false,
      sampleRate: 0.2,
      source: 'rate',
    },
    {
      why: 'forced true beats rate 0',
      forced: true,
      rate: 0,
      sampler: never,
      sampled: true,
      sampleRate: 1,
      source: 'forced',
    },
    {
      why: 'forced false beats rate 1',
      forced: false,
      rate: 1,
      sampler: never,
      sampled: false,
      sampleRate: 0,
      source: 'forced',
    },
    {
      why: 'forced true beats parent -0',
      forced: true,
      parentSampled: false,
      sampled: true,
      sampleRate: 1,
      source: 'forced',
    },
    {
      why: 'forced false beats parent -1',
      forced: false,
      parentSampled: true,
      sampled: false,
      sampleRate: 0,
      source: 'forced',
    },
    { why: 'sampler beats rate', sampler: () => 1, rate: 0, sampled: true, sampleRate: 1, source: 'sampler' },
    {
      why: 'sampler beats parent -1',
      sampler: () => 0,
      parentSampled: true,
      sampled: false,
      sampleRate: 0,
      source: 'sampler',
    },
    {
      why: 'sampler beats parent -0',
      sampler: () => 1,
      parentSampled: false,
      sampled: true,
      sampleRate: 1,
      source: 'sampler',
    },
    {
      why: 'parent -1 beats rate 0',
      rate: 0,
      parentSampled: true,
      sampled: true,
      sampleRate: 1,
      source: 'parent',
    },
    {
      why: 'parent -0 beats rate 1',
      rate: 1,
      parentSampled: false,
      sampled: false,
      sampleRate: 0,
      source: 'parent',
    },
    {
      why: 'parent keeps its rate',
      rate: 1,
      parentSampled: true,
      parentSampleRate: 0.25,
      sampled: true,
      sampleRate: 0.25,
      source: 'parent',
    },
    { why: 'sampler true', sampler: () => true, sampled: true, sampleRate: 1, source: 'sampler' },
    { why: 'sampler false', sampler: () => false, rand: 0, sampled: false, sampleRate: 0, source: 'sampler' },
    {
      why: "sampler '0.5' (numeric string)",
      sampler: () => '0.5',
      rand: 0.4,
      sampled: true,
      sampleRate: 0.5,
      source: 'sampler',
    },
    {
      why: 'sampler 2',
      sampler: () => 2,
      sampled: false,
      sampleRate: undefined,
      source: 'sampler',
      invalid: true,
    },
    {
      why: 'sampler -1',
      sampler: () => -1,
      sampled: false,
      sampleRate: undefined,
      source: 'sampler',
      invalid: true,
    },
    {
      why: 'sampler NaN',
      sampler: () => Number.NaN,
      sampled: false,
      sampleRate: undefined,
      source: 'sampler',
      invalid: true,
    },
    {
      why: "sampler 'x'",
      sampler: () => 'x',
      sampled: false,
      sampleRate: undefined,
      source: 'sampler',
      invalid: true,
    },
    {
      why: 'sampler undefined',
      sampler: () => undefined,
      sampled: false,
      sampleRate: undefined,
      source: 'sampler',
      invalid: true,
    },
    {
      why: 'sampler null',
      sampler: () => null,
      sampled: false,
      sampleRate: undefined,
      source: 'sampler',
      invalid: true,
    },
    {
      why: 'sampler object',
      sampler: () => ({ rate: 1 }),
      sampled: false,
      sampleRate: undefined,
      source: 'sampler',
      invalid: true,
    },
    {
      why: 'sampler throws',
      sampler: never,
      rate: 1,
      sampled: false,
      sampleRate: undefined,
      source: 'sampler',
      invalid: true,
    },
    {
      why: 'sampler inheritOrSampleWith reproduces the parent rate',
      sampler: (c) => c.inheritOrSampleWith(0.2),
      parentSampled: true,
      parentSampleRate: 0.1337,
      rand: 0.1,
      sampled: true,
      sampleRate: 0.1337,
      source: 'sampler',
    },
  ];
  for (const row of rows) {
    test(row.why, () => {
      const parentSampled = row.parentSampled;
      const parentSampleRate = row.parentSampleRate;
      const decision = decideRootSampling({
        forced: row.forced,
        tracesSampler: row.sampler as never,
        tracesSampleRate: row.rate,
        parentSampled,
        parentSampleRate,
        sampleRand: row.rand ?? 0.5,
        context: ctx({
          inheritOrSampleWith: (f) =>
            parentSampleRate ?? (parentSampled === undefined ? f : Number(parentSampled)),
        }),
      });
      assert.equal(decision.sampled, row.sampled);
      assert.equal(decision.sampleRate, row.sampleRate);
      assert.equal(decision.source, row.source);
      assert.equal(decision.invalid !== undefined, row.invalid === true);
    });
  }
});

describe('sample_rand', () => {
  test('fresh values lie in [0, 1) with six decimals', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 10_000; i++) {
      const r = newSampleRand(random);
      assert.ok(r >= 0 && r < 1);
      assert.ok(Math.abs(Math.round(r * 1e6) - r * 1e6) < 1e-6, `${r} has more than six decimals`);
      assert.equal(Number(String(r)), r);
    }
    assert.equal(
      newSampleRand(() => 0.9999999999),
      0.999999,
    );
  });

  test('derived from an upstream decision it agrees with that decision', () => {
    const random = seededRandom(2);
    for (const rate of [0.000001, 0.1, 0.1337, 0.5, 0.75, 0.12345678, 0.999999]) {
      for (let i = 0; i < 2000; i++) {
        const kept = sampleRandForDecision(true, rate, random);
        assert.ok(kept >= 0 && kept < rate, `sampled at ${rate}: ${kept}`);
        const dropped = sampleRandForDecision(false, rate, random);
        assert.ok(dropped >= rate && dropped < 1, `dropped at ${rate}: ${dropped}`);
      }
    }
  });

  test('inconsistent upstream (sampled at 0, dropped at 1) falls back to a plain draw', () => {
    const r1 = sampleRandForDecision(true, 0, () => 0.5);
    const r2 = sampleRandForDecision(false, 1, () => 0.5);
    assert.equal(r1, 0.5);
    assert.equal(r2, 0.5);
  });

  test('parse accepts [0, 1) only', () => {
    assert.equal(parseSampleRand('0.424242'), 0.424242);
    assert.equal(parseSampleRand('0'), 0);
    assert.equal(parseSampleRand('1'), undefined);
    assert.equal(parseSampleRand('-0.1'), undefined);
    assert.equal(parseSampleRand('abc'), undefined);
    assert.equal(parseSampleRand(''), undefined);
    assert.equal(parseSampleRand(undefined), undefined);
  });
});
