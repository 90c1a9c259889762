// Tables for the wire-value helpers whose fast paths (canonical ids, typed attributes, decimal
// nanoseconds, string AnyValues) must give exactly what the general paths give.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { otlpTracesToBatch } from '../src/ingest/otlp.js';
import { plainAttributes, spanIdOf, traceIdOf } from '../src/ingest/values.js';

const HEX32 = '0af7651916cd43dd8448eb211c80319c';
const HEX16 = 'b7ad6b7169203331';

describe('ids', () => {
  const traceCases: [unknown, string | null][] = [
    [HEX32, HEX32], // canonical: the fast path
    [HEX32.toUpperCase(), HEX32],
    [` ${HEX32} `, HEX32],
    ['0af76519-16cd-43dd-8448-eb211c80319c', HEX32], // a UUID
    ['0'.repeat(32), null],
    ['0'.repeat(31) + 'g', null],
    [HEX32.slice(1), null],
    [`${HEX32}0`, null],
    [42, null],
  ];
  for (const [input, expected] of traceCases)
    test(`traceIdOf(${JSON.stringify(input)})`, () => assert.equal(traceIdOf(input), expected));

  const spanCases: [unknown, string | null][] = [
    [HEX16, HEX16],
    [HEX16.toUpperCase(), HEX16],
    [`${HEX16}\n`, HEX16],
    ['0'.repeat(16), null],
    ['000000000000000g', null],
    [HEX16.slice(2), null],
    [null, null],
  ];
  for (const [input, expected] of spanCases)
    test(`spanIdOf(${JSON.stringify(input)})`, () => assert.equal(spanIdOf(input), expected));
});

test('plainAttributes: typed values, fast and general paths', () => {
  const attributes = plainAttributes({
    s: { value: 'text', type: 'string' },
    i: { value: 42, type: 'integer' },
    d: { value: 0.5, type: 'double' },
    b: { value: false, type: 'boolean' },
    bigInt: { value: '9007199254740993', type: 'integer' }, // beyond 2^53: stays text
    intText: { value: '12', type: 'integer' },
    arr: { value: ['a', 1], type: 'array' },
    mistyped: { value: 3, type: 'string' }, // not the fast path's shape: the value as sent
    untyped: { value: 'x', type: 'other' }, // not a typed wrapper: its JSON text
    nothing: { value: null, type: 'string' },
    plain: 'as is',
  });
  assert.deepEqual(attributes, {
    s: 'text',
    i: 42,
    d: 0.5,
    b: false,
    bigInt: '9007199254740993',
    intText: 12,
    arr: ['a', 1],
    mistyped: 3,
    untyped: '{"value":"x","type":"other"}',
    plain: 'as is',
  });
});

describe('OTLP times and string values', () => {
  const span = (start: unknown, attributes: unknown[] = []) => ({
    resourceSpans: [
      {
        scopeSpans: [
          { spans: [{ traceId: HEX32, spanId: HEX16, name: 'x', startTimeUnixNano: start, attributes }] },
        ],
      },
    ],
  });
  const cases: [unknown, number | undefined][] = [
    ['1795292833123456789', 1795292833123.456], // decimal text: the fast path (µs kept, ns dropped)
    ['1500', 0.001],
    ['0999', 0], // under a µs: 0 ms (not zero, so a time)
    ['0000', undefined],
    ['18446744073709551615', 18446744073709.55], // the largest uint64: µs beyond 2^53
    [1_795_292_833_000_000, 1795292833], // a number
    [' 1795292833123456789', 1795292833123.456], // padded text: the general path trims it
  ];
  for (const [start, expected] of cases) {
    test(`startTimeUnixNano ${JSON.stringify(start)}`, () => {
      const { batch } = otlpTracesToBatch(span(start), 1);
      assert.equal(batch.spans[0]?.startTime, expected);
    });
  }

  test('a stringValue wins over other fields, as the general decoder has it', () => {
    const { batch } = otlpTracesToBatch(
      span('1795292833123456789', [
        { key: 'a', value: { stringValue: 'text', intValue: '5' } },
        { key: 'b', value: { intValue: '5' } },
        { key: 'c', value: { string_value: 'snake' } },
      ]),
      1,
    );
    const attributes = batch.spans[0]!.attributes;
    assert.equal(attributes.a, 'text');
    assert.equal(attributes.b, 5);
    assert.equal(attributes.c, 'snake');
  });
});
