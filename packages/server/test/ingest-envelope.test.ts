import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseEnvelope, storeBodyToEnvelope } from '../src/ingest/envelope.js';
import { expectIngestError } from './fixtures/ingest/helpers.js';

interface Expected {
  header: Record<string, unknown>;
  items: Array<{ type: string; payload: string }>;
}

function parsed(body: string | Buffer): Expected {
  const envelope = parseEnvelope(Buffer.isBuffer(body) ? body : Buffer.from(body));
  return {
    header: envelope.header,
    items: envelope.items.map((i) => ({ type: i.header.type, payload: i.payload.toString() })),
  };
}

describe('parseEnvelope: valid bodies', () => {
  const multiline = 'line one\nline two\n';
  const cases: Array<[string, string | Buffer, Expected]> = [
    ['header only', '{"event_id":"abc"}', { header: { event_id: 'abc' }, items: [] }],
    ['header only with a newline', '{}\n', { header: {}, items: [] }],
    [
      'item without length runs to the newline',
      '{}\n{"type":"event"}\n{"a":1}\n',
      { header: {}, items: [{ type: 'event', payload: '{"a":1}' }] },
    ],
    [
      'no trailing newline',
      '{}\n{"type":"event"}\n{"a":1}',
      { header: {}, items: [{ type: 'event', payload: '{"a":1}' }] },
    ],
    [
      'length covers a payload with newlines',
      `{}\n{"type":"attachment","length":${Buffer.byteLength(multiline)}}\n${multiline}\n{"type":"event"}\n{}\n`,
      {
        header: {},
        items: [
          { type: 'attachment', payload: multiline },
          { type: 'event', payload: '{}' },
        ],
      },
    ],
    [
      'length counts bytes, not characters',
      '{}\n{"type":"log","length":8}\n"héllo"\n',
      { header: {}, items: [{ type: 'log', payload: '"héllo"' }] },
    ],
    [
      'length payload at the very end without newline',
      '{}\n{"type":"event","length":2}\n{}',
      { header: {}, items: [{ type: 'event', payload: '{}' }] },
    ],
    [
      'zero length',
      '{}\n{"type":"attachment","length":0}\n\n',
      { header: {}, items: [{ type: 'attachment', payload: '' }] },
    ],
    [
      'zero length at the end, no newline after the header',
      '{}\n{"type":"attachment","length":0}',
      { header: {}, items: [{ type: 'attachment', payload: '' }] },
    ],
    [
      'empty payload without length',
      '{}\n{"type":"client_report"}\n\n{"type":"event"}\n{}',
      {
        header: {},
        items: [
          { type: 'client_report', payload: '' },
          { type: 'event', payload: '{}' },
        ],
      },
    ],
    [
      'CRLF line ends',
      '{"dsn":"x"}\r\n{"type":"event"}\r\n{"a":1}\r\n{"type":"log","length":2}\r\n{}\r\n',
      {
        header: { dsn: 'x' },
        items: [
          { type: 'event', payload: '{"a":1}' },
          { type: 'log', payload: '{}' },
        ],
      },
    ],
    [
      'several trailing newlines',
      '{}\n{"type":"event"}\n{}\n\n\n',
      { header: {}, items: [{ type: 'event', payload: '{}' }] },
    ],
    [
      'unknown item types are kept',
      '{}\n{"type":"profile_chunk"}\n{}\n',
      { header: {}, items: [{ type: 'profile_chunk', payload: '{}' }] },
    ],
    [
      'length: null is the same as no length',
      '{}\n{"type":"event","length":null}\n{}\n',
      { header: {}, items: [{ type: 'event', payload: '{}' }] },
    ],
  ];
  for (const [name, body, expected] of cases) {
    test(name, () => assert.deepEqual(parsed(body), expected));
  }

  test('payloads are views of the body, not copies', () => {
    const body = Buffer.from('{}\n{"type":"event"}\n{"a":1}\n');
    const envelope = parseEnvelope(body);
    assert.equal(envelope.items[0]!.payload.buffer, body.buffer);
  });
});

describe('parseEnvelope: malformed bodies', () => {
  const cases: Array<[string, string, number, RegExp, { maxItemBytes?: number; maxItems?: number }?]> = [
    ['empty body', '', 400, /envelope is empty/],
    ['blank first line', '\n{"type":"event"}\n{}', 400, /envelope is empty/],
    ['header not JSON', 'hello\n', 400, /envelope header \(line 1\) is not valid JSON/],
    ['header is an array', '[1,2]\n', 400, /envelope header \(line 1\) must be a JSON object/],
    [
      'item header not JSON',
      '{}\n{"type":"event"}\n{}\n{type:span}\n{}',
      400,
      /item 1: header at byte 23 is not valid JSON/,
    ],
    ['item header without type', '{}\n{"length":2}\n{}', 400, /item 0: header at byte 3 has no "type"/],
    ['item header with an empty type', '{}\n{"type":""}\n{}', 400, /item 0: .*no "type"/],
    ['item header is a string', '{}\n"event"\n{}', 400, /item 0: header at byte 3 must be a JSON object/],
    [
      'negative length',
      '{}\n{"type":"span","length":-1}\n{}',
      400,
      /item 0 \(type span\): "length" must be a non-negative integer, got -1/,
    ],
    [
      'fractional length',
      '{}\n{"type":"span","length":1.5}\n{}',
      400,
      /"length" must be a non-negative integer, got 1.5/,
    ],
    [
      'length as a string',
      '{}\n{"type":"span","length":"2"}\n{}',
      400,
      /"length" must be a non-negative integer, got "2"/,
    ],
    [
      'length past the end (truncated body)',
      '{}\n{"type":"event"}\n{}\n{"type":"span","length":120}\n{"version":2}',
      400,
      /item 1 \(type span\): length 120 runs past the end of the body at byte 65/,
    ],
    [
      'length on the last header, no payload',
      '{}\n{"type":"span","length":5}',
      400,
      /length 5 runs past the end of the body at byte 29/,
    ],
    [
      'length too short: payload followed by garbage',
      '{}\n{"type":"event","length":3}\n{"a":1}\n',
      400,
      /item 0 \(type event\): payload of length 3 is followed by "\\"" at byte 34 instead of a newline \(wrong length\?\)/,
    ],
    [
      'oversized item by length',
      '{}\n{"type":"attachment","length":2000}\n',
      413,
      /item 0 \(type attachment\): length 2000 exceeds the item limit of 1000 bytes/,
      { maxItemBytes: 1000 },
    ],
    [
      'oversized item without length',
      `{}\n{"type":"event"}\n{"a":"${'x'.repeat(2000)}"}\n`,
      413,
      /item 0 \(type event\): payload of 2008 bytes exceeds the item limit of 1000 bytes/,
      { maxItemBytes: 1000 },
    ],
    [
      'too many items',
      '{}\n{"type":"a"}\n{}\n{"type":"b"}\n{}\n{"type":"c"}\n{}\n',
      413,
      /more than 2 items/,
      { maxItems: 2 },
    ],
  ];
  for (const [name, body, status, message, limits] of cases) {
    test(name, () => expectIngestError(() => parseEnvelope(Buffer.from(body), limits), status, message));
  }

  test('the default item limit is 1 MiB', () => {
    const big = `"${'x'.repeat(1024 * 1024)}"`;
    expectIngestError(
      () => parseEnvelope(Buffer.from(`{}\n{"type":"event"}\n${big}\n`)),
      413,
      /limit of 1048576 bytes/,
    );
    const fits = `"${'x'.repeat(1024 * 1024 - 2)}"`;
    assert.equal(parseEnvelope(Buffer.from(`{}\n{"type":"event"}\n${fits}\n`)).items.length, 1);
  });
});

describe('storeBodyToEnvelope (legacy /store/ endpoint)', () => {
  test('an error event becomes one event item', () => {
    const body = Buffer.from('{"event_id":"e1","level":"error"}');
    const envelope = storeBodyToEnvelope(body);
    assert.deepEqual(envelope.header, { event_id: 'e1' });
    assert.equal(envelope.items[0]!.header.type, 'event');
    assert.equal(envelope.items[0]!.payload, body);
  });
  test('a transaction event becomes a transaction item', () => {
    assert.equal(
      storeBodyToEnvelope(Buffer.from('{"type":"transaction"}')).items[0]!.header.type,
      'transaction',
    );
  });
  test('bad bodies', () => {
    expectIngestError(() => storeBodyToEnvelope(Buffer.from('nope')), 400, /store body is not valid JSON/);
    expectIngestError(
      () => storeBodyToEnvelope(Buffer.from('{}'), { maxItemBytes: 1 }),
      413,
      /exceeds the item limit/,
    );
  });
});
