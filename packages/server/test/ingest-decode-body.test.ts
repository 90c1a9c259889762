import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import { decodeBody, decodeBodySync, parseContentEncoding } from '../src/ingest/decode-body.js';
import { IngestError } from '../src/ingest/errors.js';
import { expectIngestError } from './fixtures/ingest/helpers.js';

const text = Buffer.from('{"hello":"world"}\n'.repeat(50));

describe('decodeBody: encodings', () => {
  const cases: Array<[string, string | string[] | undefined, Buffer]> = [
    ['no header', undefined, text],
    ['empty header', '', text],
    ['identity', 'identity', text],
    ['none', 'none', text],
    ['gzip', 'gzip', zlib.gzipSync(text)],
    ['x-gzip', 'x-gzip', zlib.gzipSync(text)],
    ['GZIP in upper case with spaces', '  GZIP ', zlib.gzipSync(text)],
    ['deflate (zlib wrapper)', 'deflate', zlib.deflateSync(text)],
    ['deflate (raw, as some clients send it)', 'deflate', zlib.deflateRawSync(text)],
    ['br', 'br', zlib.brotliCompressSync(text)],
    ['gzip then br, undone in reverse', 'gzip, br', zlib.brotliCompressSync(zlib.gzipSync(text))],
    ['deflate then gzip', 'deflate,gzip', zlib.gzipSync(zlib.deflateSync(text))],
    ['identity inside a list', 'identity, gzip', zlib.gzipSync(text)],
    ['header given as an array', ['gzip'], zlib.gzipSync(text)],
  ];
  for (const [name, encoding, body] of cases) {
    test(name, async () => {
      assert.deepEqual(await decodeBody(body, encoding), text);
      assert.deepEqual(decodeBodySync(body, encoding), text);
    });
  }
});

async function expectIngestErrorAsync(
  fn: () => Promise<unknown>,
  status: number,
  message: RegExp,
): Promise<void> {
  await assert.rejects(fn, (error: unknown) => {
    assert.ok(error instanceof IngestError, `not an IngestError: ${String(error)}`);
    assert.equal(error.status, status);
    assert.match(error.message, message);
    return true;
  });
}

describe('decodeBody: bad input', () => {
  const bomb = Buffer.alloc(64 * 1024 * 1024); // 64 MiB of zeros compresses to a few KiB
  const cases: Array<[string, string, Buffer, number, RegExp, number?]> = [
    ['unknown encoding', 'compress', text, 415, /unsupported Content-Encoding "compress"/],
    ['unknown encoding in a list', 'gzip, zstd', zlib.gzipSync(text), 415, /"zstd"/],
    ['corrupt gzip', 'gzip', Buffer.from('definitely not gzip'), 400, /not valid gzip data/],
    [
      'truncated gzip',
      'gzip',
      zlib.gzipSync(text).subarray(0, 20),
      400,
      /not valid gzip data.*unexpected end/,
    ],
    ['corrupt br', 'br', Buffer.from('garbage garbage'), 400, /not valid br data/],
    ['corrupt deflate', 'deflate', Buffer.from([0xff, 0xff, 0xff, 0xff]), 400, /not valid deflate data/],
    ['gzip body labelled br', 'br', zlib.gzipSync(text), 400, /not valid br data/],
    ['gzip zip bomb', 'gzip', zlib.gzipSync(bomb), 413, /larger than 1048576 bytes after gzip/, 1024 * 1024],
    ['br zip bomb', 'br', zlib.brotliCompressSync(bomb), 413, /after br decompression/, 1024 * 1024],
    ['deflate zip bomb', 'deflate', zlib.deflateSync(bomb), 413, /after deflate decompression/, 1024 * 1024],
    ['raw deflate zip bomb', 'deflate', zlib.deflateRawSync(bomb), 413, /after deflate/, 1024 * 1024],
    [
      'nested bomb: gzip inside br',
      'gzip, br',
      zlib.brotliCompressSync(zlib.gzipSync(bomb)),
      413,
      /after gzip/,
      1024 * 1024,
    ],
    ['identity body over the limit', 'identity', text, 413, /larger than 100 bytes/, 100],
  ];
  for (const [name, encoding, body, status, message, maxBytes] of cases) {
    test(name, async () => {
      await expectIngestErrorAsync(() => decodeBody(body, encoding, { maxBytes }), status, message);
      expectIngestError(() => decodeBodySync(body, encoding, { maxBytes }), status, message);
    });
  }

  test('a body exactly at the limit is accepted', async () => {
    assert.equal(
      (await decodeBody(zlib.gzipSync(text), 'gzip', { maxBytes: text.length })).length,
      text.length,
    );
  });
});

test('parseContentEncoding returns the codings in the order they are undone', () => {
  assert.deepEqual(parseContentEncoding('gzip, br'), ['br', 'gzip']);
  assert.deepEqual(parseContentEncoding('identity'), []);
  assert.deepEqual(parseContentEncoding(undefined), []);
});
