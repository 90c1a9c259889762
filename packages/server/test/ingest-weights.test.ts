import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MAX_WEIGHT,
  parseRate,
  rateFromTraceState,
  weightFromRate,
  weightOf,
} from '../src/ingest/weights.js';

describe('parseRate', () => {
  const cases: Array<[unknown, number | undefined]> = [
    [1, 1],
    [0.25, 0.25],
    ['0.5', 0.5],
    [' 0.1 ', 0.1],
    ['1.0', 1],
    [0, undefined],
    ['0', undefined],
    [-0.5, undefined],
    [1.5, undefined],
    ['abc', undefined],
    ['', undefined],
    [Number.NaN, undefined],
    [null, undefined],
    [true, undefined],
    [{}, undefined],
  ];
  for (const [input, expected] of cases)
    test(`${JSON.stringify(input) ?? String(input)} → ${expected}`, () =>
      assert.equal(parseRate(input), expected));
});

describe('rateFromTraceState (ot=th)', () => {
  const cases: Array<[unknown, number | undefined]> = [
    ['ot=th:0', 1],
    ['ot=th:8', 0.5],
    ['ot=th:c', 0.25],
    ['ot=th:c0', 0.25],
    ['ot=th:e', 0.125],
    ['ot=th:fd70a3d70a3d7', 0.01], // the OpenTelemetry spec's 1 % example, 13 digits
    ['ot=th:8;rv:1234567890abcd', 0.5],
    ['ot=rv:1234567890abcd;th:c', 0.25],
    ['vendor=abc,ot=th:8,other=x', 0.5],
    [' ot = th:8 ', 0.5],
    ['ot=rv:1234567890abcd', undefined],
    ['ot=th:', undefined],
    ['ot=th:123456789012345', undefined], // 15 digits
    ['ot=th:XYZ', undefined],
    ['ot=th:C', undefined], // upper case is not valid in the spec
    ['vendor=th:8', undefined],
    ['', undefined],
    [undefined, undefined],
    [42, undefined],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input) ?? 'undefined'} → ${expected}`, () => {
      const rate = rateFromTraceState(input);
      if (expected === undefined) assert.equal(rate, undefined);
      else assert.ok(rate !== undefined && Math.abs(rate - expected) < 1e-9, `got ${rate}`);
    });
  }
});

describe('weightFromRate', () => {
  const cases: Array<[number | undefined, number]> = [
    [undefined, 1],
    [1, 1],
    [0.5, 2],
    [0.1, 10],
    [0.001, 1000],
    [1e-9, MAX_WEIGHT],
    [0, 1],
    [-1, 1],
    [2, 1],
    [Number.NaN, 1],
  ];
  for (const [rate, weight] of cases)
    test(`${rate} → ${weight}`, () => assert.equal(weightFromRate(rate), weight));
});

describe('weightOf: precedence', () => {
  const cases: Array<[string, Parameters<typeof weightOf>[0], number]> = [
    ['span attribute first', { sampleRateAttribute: 0.5, dscSampleRate: '0.25', traceState: 'ot=th:e' }, 2],
    ['DSC when no attribute', { dscSampleRate: '0.25', traceState: 'ot=th:e' }, 4],
    ['tracestate last', { traceState: 'ot=th:e' }, 8],
    ['invalid attribute falls through', { sampleRateAttribute: 'x', dscSampleRate: '0.25' }, 4],
    ['rate 0 falls through to 1', { sampleRateAttribute: 0 }, 1],
    ['nothing', {}, 1],
  ];
  for (const [name, sources, weight] of cases) test(name, () => assert.equal(weightOf(sources), weight));
});
