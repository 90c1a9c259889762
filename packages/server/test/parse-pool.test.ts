/**
 * ParsePool: request bodies parsed on threads give the same batch as the main-thread path, bad
 * input keeps its status and message, a dead thread is replaced, and a closed pool refuses work.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { deserialize } from 'node:v8';
import type { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { IngestError } from '../src/ingest/errors.js';
import { ParsePool } from '../src/server/parse-pool.js';
import { ingestOtlp } from '../src/server/pipeline.js';
import { type EncodedBatch, encodeBatch } from '../src/storage/duckdb/writer.js';
import { PUBLIC_KEY } from './helpers.js';

const auth = { publicKey: PUBLIC_KEY, allowAnonymous: false };
const limits = { maxDecompressedBytes: 1 << 20 };
const pool = new ParsePool(2, { auth, limits });
after(() => pool.close());

const T = '5b8efff798038103d269b633813fc60c';
const otlpBody = JSON.stringify({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
      scopeSpans: [
        {
          spans: Array.from({ length: 3 }, (_, i) => ({
            traceId: T,
            spanId: `eee19b7ec3c1b17${i}`,
            parentSpanId: i === 0 ? '' : 'eee19b7ec3c1b170',
            name: i === 0 ? 'POST /chat' : 'chat gpt-4o',
            startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n),
            endTimeUnixNano: String(1_700_000_000_500_000_000n),
            attributes: i === 0 ? [] : [{ key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } }],
          })),
        },
      ],
    },
  ],
});
const headers = { 'content-type': 'application/json', authorization: `Bearer ${PUBLIC_KEY}` };

test('a parsed request is the batch the main-thread path makes, ready for the store', async () => {
  const parsed = await pool.parse({
    kind: 'otlp',
    signal: 'traces',
    body: gzipSync(otlpBody),
    headers: {
      ...headers,
      'content-encoding': 'gzip',
    },
  });
  const direct = await ingestOtlp('traces', Buffer.from(otlpBody), { headers, auth, limits });
  assert.equal(parsed.rows, 3);
  assert.deepEqual(deserialize(parsed.bytes) as EncodedBatch, encodeBatch(direct.batch));
  assert.equal(parsed.contentType, 'application/json');
  assert.deepEqual(JSON.parse(String(parsed.response)), JSON.parse(String(direct.response)));
});

test('bad input keeps its status and message', async () => {
  const rejected = await pool
    .parse({ kind: 'otlp', signal: 'traces', body: Buffer.from('{nope'), headers })
    .then(
      () => assert.fail('accepted'),
      (error: unknown) => error,
    );
  assert.ok(rejected instanceof IngestError);
  assert.equal(rejected.status, 400);
  assert.match(rejected.message, /invalid OTLP JSON/);
  const wrongKey = await pool
    .parse({
      kind: 'envelope',
      body: Buffer.from('{}\n'),
      headers: {},
      projectParam: '1',
      query: { sentry_key: 'not-the-key-0000' },
      legacyStore: false,
    })
    .catch((error: unknown) => error);
  assert.ok(wrongKey instanceof IngestError);
  assert.equal(wrongKey.status, 403);
});

test('a thread that dies fails its requests and is replaced', async () => {
  const threads = (pool as unknown as { threads: Array<{ worker: Worker }> }).threads;
  const before = threads.map((t) => t.worker);
  await before[0]!.terminate();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.notEqual(threads[0]!.worker, before[0], 'a new thread took its place');
  for (let i = 0; i < 4; i++) {
    const parsed = await pool.parse({ kind: 'otlp', signal: 'traces', body: Buffer.from(otlpBody), headers });
    assert.equal(parsed.rows, 3);
  }
});

test('a closed pool refuses work', async () => {
  const closing = new ParsePool(1, { auth, limits });
  await closing.close();
  await assert.rejects(
    closing.parse({ kind: 'otlp', signal: 'traces', body: Buffer.from(otlpBody), headers }),
    /closed/,
  );
});
