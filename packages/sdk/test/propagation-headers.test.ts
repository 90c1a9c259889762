import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatBaggage, MAX_BAGGAGE_BYTES, parseBaggage } from '../src/propagation/baggage.js';
import { extractIncomingTrace, readHeader } from '../src/propagation/incoming.js';
import { formatSentryTrace, parseSentryTrace } from '../src/propagation/sentry-trace.js';
import { formatTraceparent, parseTraceparent } from '../src/propagation/traceparent.js';
import {
  parseTracestate,
  rateToThreshold,
  rvToSampleRand,
  sampleRandToRv,
  thresholdToRate,
} from '../src/propagation/tracestate.js';
import { seededRandom } from './helpers.js';

const T = '0af7651916cd43dd8448eb211c80319c';
const S = 'b7ad6b7169203331';

describe('sentry-trace', () => {
  const rows: Array<[string | undefined, ReturnType<typeof parseSentryTrace>]> = [
    [`${T}-${S}-1`, { traceId: T, spanId: S, sampled: true }],
    [`${T}-${S}-0`, { traceId: T, spanId: S, sampled: false }],
    [`${T}-${S}`, { traceId: T, spanId: S, sampled: undefined }],
    [`  ${T}-${S}-1\t`, { traceId: T, spanId: S, sampled: true }],
    [`${T}-${S}-2`, undefined],
    [`${T}-${S}-1-1`, undefined],
    [`${T.toUpperCase()}-${S}-1`, undefined],
    [`${T.slice(1)}-${S}-1`, undefined],
    [`${T}0-${S}-1`, undefined],
    [`${T}-${S.slice(1)}-1`, undefined],
    [`${'0'.repeat(32)}-${S}-1`, undefined],
    [`${T}-${'0'.repeat(16)}-1`, undefined],
    [`${T}${S}1`, undefined],
    ['', undefined],
    ['garbage', undefined],
    [undefined, undefined],
  ];
  for (const [header, expected] of rows) {
    test(`parse ${JSON.stringify(header)}`, () => assert.deepEqual(parseSentryTrace(header), expected));
  }
  test('format', () => {
    assert.equal(formatSentryTrace(T, S, true), `${T}-${S}-1`);
    assert.equal(formatSentryTrace(T, S, false), `${T}-${S}-0`);
    assert.equal(formatSentryTrace(T, S, undefined), `${T}-${S}`);
  });
});

describe('traceparent', () => {
  const rows: Array<[string, number | undefined]> = [
    [`00-${T}-${S}-01`, 1],
    [`00-${T}-${S}-00`, 0],
    [`00-${T}-${S}-03`, 3],
    [`00-${T}-${S}-02`, 2],
    [` 00-${T}-${S}-01 `, 1],
    [`\t00-${T}-${S}-01\t`, 1],
    [`cc-${T}-${S}-01`, 1],
    [`cc-${T}-${S}-01-what-the-future-will-be-like`, 1],
    [`cc-${T}-${S}-01.what-the-future-will-be-like`, undefined],
    [`00-${T}-${S}-01-what-the-future-will-be-like`, undefined],
    [`00-${T}-${S}-01.`, undefined],
    [`ff-${T}-${S}-01`, undefined],
    [`0-${T}-${S}-01`, undefined],
    [`000-${T}-${S}-01`, undefined],
    [`.0-${T}-${S}-01`, undefined],
    [`00-${'0'.repeat(32)}-${S}-01`, undefined],
    [`00-${T}-${'0'.repeat(16)}-01`, undefined],
    [`00-${T.toUpperCase()}-${S}-01`, undefined],
    [`00-${T}0-${S}-01`, undefined],
    [`00-${T.slice(1)}-${S}-01`, undefined],
    [`00-${T}-${S}0-01`, undefined],
    [`00-${T}-${S}-1`, undefined],
    [`00-${T}-${S}-001`, undefined],
    [`00-${T}-${S}-.0`, undefined],
    [`00-${T}-${S}-01, 00-${T}-${S}-01`, undefined],
    ['', undefined],
  ];
  for (const [header, flags] of rows) {
    test(`parse ${JSON.stringify(header.slice(0, 70))}`, () => {
      const parsed = parseTraceparent(header);
      assert.equal(parsed?.flags, flags);
      if (flags !== undefined) {
        assert.equal(parsed?.traceId, T);
        assert.equal(parsed?.spanId, S);
      }
    });
  }
  test('format always emits version 00', () => {
    assert.equal(formatTraceparent(T, S, 3), `00-${T}-${S}-03`);
    assert.equal(formatTraceparent(T, S, 0), `00-${T}-${S}-00`);
  });
});

describe('tracestate', () => {
  const rows: Array<[string, string[] | undefined]> = [
    ['foo=1,bar=2', ['foo=1', 'bar=2']],
    ['foo=1 \t , \t bar=2, \t baz=3', ['foo=1', 'bar=2', 'baz=3']],
    ['\t foo=1 \t', ['foo=1']],
    ['foo=1, ', ['foo=1']],
    [', foo=1', ['foo=1']],
    ['foo=1,foo=2', ['foo=1']],
    ['foo@=1,bar=2', ['foo@=1', 'bar=2']],
    ['foo@bar@baz=1,bar=2', ['foo@bar@baz=1', 'bar=2']],
    ['@foo=1,bar=2', undefined],
    ['foo =1', undefined],
    ['FOO=1', undefined],
    ['foo.bar=1', undefined],
    ['foo=bar=baz', undefined],
    ['foo=,bar=3', undefined],
    ['foo= leading-space', ['foo= leading-space']],
    ['foo=trailing ', ['foo=trailing']],
    [`${'k'.repeat(256)}=1,foo=1`, [`${'k'.repeat(256)}=1`, 'foo=1']],
    [`${'k'.repeat(257)}=1,foo=1`, undefined],
    [
      Array.from({ length: 32 }, (_, i) => `m${i}=1`).join(','),
      Array.from({ length: 32 }, (_, i) => `m${i}=1`),
    ],
    [Array.from({ length: 33 }, (_, i) => `m${i}=1`).join(','), undefined],
    ['', undefined],
  ];
  for (const [header, expected] of rows) {
    test(`parse ${JSON.stringify(header.slice(0, 60))}`, () => {
      const parsed = parseTracestate(header);
      assert.deepEqual(
        parsed?.map((m) => `${m.key}=${m.value}`),
        expected,
      );
    });
  }

  test('ot rv and th agree with sample_rand and rate', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 1000; i++) {
      const rand = Math.floor(random() * 1e6) / 1e6;
      const rv = sampleRandToRv(rand);
      assert.match(rv, /^[0-9a-f]{14}$/);
      assert.ok(Math.abs(rvToSampleRand(BigInt(`0x${rv}`)) - rand) < 1e-12);
      for (const rate of [0.1, 0.25, 0.5, 1]) {
        const th = rateToThreshold(rate)!;
        const thValue = BigInt(`0x${th.padEnd(14, '0')}`);
        assert.equal(BigInt(`0x${rv}`) >= thValue, rand < rate, `rand ${rand} rate ${rate}`);
      }
    }
    assert.equal(rateToThreshold(1), '0');
    assert.equal(rateToThreshold(0.5), '8');
    assert.equal(rateToThreshold(0.25), 'c');
    assert.equal(rateToThreshold(0), undefined);
    assert.equal(thresholdToRate(BigInt('0xc0000000000000')), 0.25);
  });
});

describe('baggage', () => {
  test('splits sentry entries from third-party members and decodes values', () => {
    const parsed = parseBaggage(
      'other=1;prop=x, sentry-trace_id=abc,sentry-transaction=GET%20%2Fa, vendor=2',
    );
    assert.deepEqual(parsed.dsc, { trace_id: 'abc', transaction: 'GET /a' });
    assert.deepEqual(parsed.thirdParty, ['other=1;prop=x', 'vendor=2']);
  });
  test('malformed members are skipped, not fatal', () => {
    const parsed = parseBaggage('=x,novalue,sentry-bad=%E0%A4%A,sentry-ok=1');
    assert.deepEqual(parsed.dsc, { ok: '1' });
  });
  test('format stays within 8192 bytes and keeps the DSC', () => {
    const third = Array.from({ length: 200 }, (_, i) => `k${i}=${'v'.repeat(60)}`);
    const out = formatBaggage({ trace_id: T, sample_rand: '0.5' }, third);
    assert.ok(out.length <= MAX_BAGGAGE_BYTES, `length ${out.length}`);
    assert.match(out, /sentry-trace_id=/);
    assert.match(out, /sentry-sample_rand=0.5/);
  });
  test('encodes values', () => {
    assert.equal(formatBaggage({ transaction: 'GET /a b,c' }, []), 'sentry-transaction=GET%20%2Fa%20b%2Cc');
  });
});

describe('extractIncomingTrace', () => {
  const random = seededRandom(3);
  test('sentry-trace wins; baggage of the same trace becomes the frozen DSC', () => {
    const trace = extractIncomingTrace(
      {
        'sentry-trace': `${T}-${S}-1`,
        baggage: `sentry-trace_id=${T},sentry-sample_rate=0.25,sentry-sample_rand=0.1,x=y`,
      },
      random,
      undefined,
    )!;
    assert.equal(trace.traceId, T);
    assert.equal(trace.remoteParentSpanId, S);
    assert.equal(trace.sampled, true);
    assert.equal(trace.sampleRate, 0.25);
    assert.equal(trace.sampleRand, 0.1);
    assert.deepEqual(trace.thirdPartyBaggage, ['x=y']);
  });
  test('baggage of another trace is not used', () => {
    const trace = extractIncomingTrace(
      { 'sentry-trace': `${T}-${S}-1`, baggage: `sentry-trace_id=${'1'.repeat(32)},sentry-sample_rand=0.1` },
      () => 0.9,
      undefined,
    )!;
    assert.equal(trace.incomingDsc, undefined);
    assert.equal(trace.sampleRand, 0.9);
  });
  test('baggage without sentry-trace or traceparent: a new trace', () => {
    assert.equal(
      extractIncomingTrace({ baggage: 'sentry-trace_id=abc,sentry-sample_rand=0.1' }, random, undefined),
      undefined,
    );
  });
  test('traceparent alone: decision from the sampled flag, random flag kept, tracestate read', () => {
    const trace = extractIncomingTrace(
      { traceparent: `00-${T}-${S}-02`, tracestate: 'foo=1' },
      random,
      undefined,
    )!;
    assert.equal(trace.sampled, false);
    assert.equal(trace.randomFlag, true);
    assert.deepEqual(trace.vendorTracestate, [{ key: 'foo', value: '1' }]);
  });
  test('ot th and rv in tracestate stand in for a missing sentry rate and rand', () => {
    const trace = extractIncomingTrace(
      { traceparent: `00-${T}-${S}-01`, tracestate: 'ot=th:c;rv:20000000000000,foo=1' },
      random,
      undefined,
    )!;
    assert.equal(trace.sampleRate, 0.25);
    // rv 0x20000000000000 = 2^53: sample_rand = (2^56 - 1 - 2^53) / 2^56 ≈ 0.875
    assert.ok(Math.abs(trace.sampleRand - 0.875) < 1e-12);
    assert.deepEqual(trace.vendorTracestate, [{ key: 'foo', value: '1' }]);
  });
  test('traceparent of another trace does not lend its tracestate', () => {
    const trace = extractIncomingTrace(
      { 'sentry-trace': `${T}-${S}-1`, traceparent: `00-${'1'.repeat(32)}-${S}-03`, tracestate: 'foo=1' },
      random,
      undefined,
    )!;
    assert.equal(trace.randomFlag, false);
    assert.deepEqual(trace.vendorTracestate, []);
  });
  test('headers are read case-insensitively, from Headers objects and from { sentryTrace, baggage }', () => {
    assert.equal(readHeader({ 'Sentry-Trace': 'x' }, 'sentry-trace'), 'x');
    assert.equal(readHeader({ sentryTrace: 'y' }, 'sentry-trace'), 'y');
    assert.equal(readHeader(new Headers({ TraceParent: 'z' }), 'traceparent'), 'z');
    assert.equal(readHeader({ tracestate: ['a=1', 'b=2'] }, 'tracestate'), 'a=1, b=2');
    assert.equal(readHeader({ 'sentry-trace': 5 }, 'sentry-trace'), undefined);
  });
});
