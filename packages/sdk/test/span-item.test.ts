import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commonAttributes, spanV2Json } from '../src/delivery/span-item.js';
import type { ReadableSpan } from '../src/index.js';

const segment = { name: 'GET /"quoted"\n', spanId: 'aaaaaaaaaaaaaaaa' } as ReadableSpan;

function span(overrides: Partial<ReadableSpan>): ReadableSpan {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: 'aaaaaaaaaaaaaaaa',
    name: 'child',
    op: undefined,
    attributes: {},
    status: { code: 0 },
    events: [],
    startTime: 1_700_000_000_123.456,
    endTime: 1_700_000_000_223.5,
    sampled: true,
    isSegment: false,
    segment,
    dynamicSamplingContext: () => ({}),
    ...overrides,
  } as ReadableSpan;
}

const common = commonAttributes({
  'sentry.sdk.name': { value: 'sieve.javascript.node', type: 'string' },
  'sentry.environment': { value: 'prod', type: 'string' },
});

test('the hand-written JSON parses to the span v2 shape, with every kind of attribute value', () => {
  const json = spanV2Json(
    span({
      op: 'gen_ai.chat',
      status: { code: 2, message: 'internal_error' },
      attributes: {
        str: 'he said "hi"\n\u2028 – ✓',
        int: 42,
        neg: -7,
        zero: -0,
        dbl: 0.1,
        big: 1e21,
        nan: Number.NaN,
        inf: Number.NEGATIVE_INFINITY,
        yes: true,
        no: false,
        arr: ['a', 'b"c'],
        nums: [1, 2.5],
        'key "with" quotes': 'v',
        'sentry.op': 'user value that gives way',
        'sentry.environment': 'user value that gives way',
        'sentry.custom': 'kept',
      },
    }),
    common,
  );
  const parsed = JSON.parse(json);
  assert.deepEqual(parsed, {
    trace_id: '0af7651916cd43dd8448eb211c80319c',
    span_id: 'b7ad6b7169203331',
    parent_span_id: 'aaaaaaaaaaaaaaaa',
    name: 'child',
    start_timestamp: 1_700_000_000.123456,
    end_timestamp: 1_700_000_000.2235,
    is_segment: false,
    status: 'error',
    attributes: {
      str: { value: 'he said "hi"\n\u2028 – ✓', type: 'string' },
      int: { value: 42, type: 'integer' },
      neg: { value: -7, type: 'integer' },
      zero: { value: 0, type: 'integer' },
      dbl: { value: 0.1, type: 'double' },
      big: { value: 1e21, type: 'integer' },
      nan: { value: 'NaN', type: 'string' },
      inf: { value: '-Infinity', type: 'string' },
      yes: { value: true, type: 'boolean' },
      no: { value: false, type: 'boolean' },
      arr: { value: ['a', 'b"c'], type: 'array' },
      nums: { value: [1, 2.5], type: 'array' },
      'key "with" quotes': { value: 'v', type: 'string' },
      'sentry.custom': { value: 'kept', type: 'string' },
      'sentry.op': { value: 'gen_ai.chat', type: 'string' },
      'sentry.status.message': { value: 'internal_error', type: 'string' },
      'sentry.segment.name': { value: 'GET /"quoted"\n', type: 'string' },
      'sentry.segment.id': { value: 'aaaaaaaaaaaaaaaa', type: 'string' },
      'sentry.sdk.name': { value: 'sieve.javascript.node', type: 'string' },
      'sentry.environment': { value: 'prod', type: 'string' },
    },
  });
  assert.doesNotMatch(json, /\n/, 'no raw newline: the payload may go into an envelope without a length');
});

test('a root has no parent_span_id and is_segment true; long strings are cut', () => {
  const root = span({ parentSpanId: undefined, isSegment: true, attributes: { long: 'x'.repeat(10_000) } });
  const parsed = JSON.parse(spanV2Json(root, common));
  assert.equal('parent_span_id' in parsed, false);
  assert.equal(parsed.is_segment, true);
  assert.equal(parsed.status, 'ok');
  assert.equal(parsed.attributes.long.value.length, 8193);
});
