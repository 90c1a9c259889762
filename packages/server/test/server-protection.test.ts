/** Bad input of every kind gets the right status and a message; the server keeps serving. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { RunningServer } from '../src/cli.js';
import { getJson, PUBLIC_KEY, startTestServer } from './helpers.js';

let server: RunningServer;

const T = '0af7651916cd43dd8448eb211c80319c';
const spanItem = JSON.stringify({
  version: 2,
  items: [
    {
      trace_id: T,
      span_id: 'b7ad6b7169203331',
      name: 'ok span',
      start_timestamp: Date.now() / 1000,
      end_timestamp: Date.now() / 1000 + 0.01,
      is_segment: true,
      status: 'ok',
      attributes: {},
    },
  ],
});
const validEnvelope = `{}\n{"type":"span","item_count":1,"content_type":"application/vnd.sentry.items.span.v2+json"}\n${spanItem}\n`;

async function envelope(
  body: string | Buffer,
  headers: Record<string, string> = {},
  query = `?sentry_key=${PUBLIC_KEY}`,
) {
  const response = await fetch(`${server.url}/api/1/envelope/${query}`, { method: 'POST', body, headers });
  return { status: response.status, body: (await response.json()) as { error?: string } };
}

async function otlp(
  path: string,
  body: string | Buffer,
  contentType: string,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType, authorization: `Bearer ${PUBLIC_KEY}`, ...headers },
  });
  return { status: response.status, text: await response.text() };
}

// Every case runs with requests parsed on a parse thread (the default on 2+ cores) and on the
// HTTP thread (--ingest-threads 0): both must answer alike.
for (const ingestThreads of [1, 0]) {
  describe(`--ingest-threads ${ingestThreads}`, () => {
    before(async () => {
      server = await startTestServer({
        maxBodyBytes: 2 * 1024 * 1024,
        maxDecompressedBytes: 8 * 1024 * 1024,
        ingestThreads,
      });
    });
    after(() => server.stop());

    describe('Sentry envelopes', () => {
      const rows: Array<
        [string, () => Promise<{ status: number; body: { error?: string } }>, number, RegExp]
      > = [
        ['a valid envelope', () => envelope(validEnvelope), 200, /.*/],
        ['an empty body', () => envelope(''), 400, /empty/],
        ['invalid JSON in the envelope header', () => envelope('{nope\n'), 400, /header/i],
        [
          'a truncated item (length past the end)',
          () => envelope('{}\n{"type":"span","length":500}\n{"version":2}'),
          400,
          /length|past|end/i,
        ],
        ['an invalid item header', () => envelope('{}\n{type:span}\n{}\n'), 400, /item/i],
        [
          'a body gzip-labelled but not gzip',
          () => envelope('not gzip at all', { 'content-encoding': 'gzip' }),
          400,
          /gzip/i,
        ],
        [
          'an unknown content-encoding',
          () => envelope(validEnvelope, { 'content-encoding': 'zstd-lol' }),
          415,
          /encoding/i,
        ],
        ['a body over the limit', () => envelope('x'.repeat(3 * 1024 * 1024)), 413, /larger than/],
        [
          'a zip bomb',
          () => envelope(gzipSync(Buffer.alloc(50 * 1024 * 1024, 'a')), { 'content-encoding': 'gzip' }),
          413,
          /.+/,
        ],
        [
          'an item over 1 MiB',
          () =>
            envelope(`{}\n{"type":"span","length":${1.5 * 1024 * 1024}}\n${'x'.repeat(1.5 * 1024 * 1024)}\n`),
          413,
          /item/i,
        ],
        ['no key', () => envelope(validEnvelope, {}, ''), 401, /key/],
        ['a wrong key', () => envelope(validEnvelope, {}, '?sentry_key=not-the-key-123'), 403, /key/],
        [
          'a malformed X-Sentry-Auth',
          () => envelope(validEnvelope, { 'x-sentry-auth': 'Bearer whatever' }, ''),
          400,
          /auth/i,
        ],
      ];
      for (const [what, send, status, message] of rows) {
        test(`${what} → ${status}`, async () => {
          const response = await send();
          assert.equal(response.status, status, JSON.stringify(response.body));
          if (status >= 400) assert.match(response.body.error ?? '', message);
        });
      }

      test('gzip, deflate and br bodies and the three auth forms are accepted', async () => {
        const zlib = await import('node:zlib');
        assert.equal(
          (await envelope(zlib.gzipSync(validEnvelope), { 'content-encoding': 'gzip' })).status,
          200,
        );
        assert.equal(
          (await envelope(zlib.deflateSync(validEnvelope), { 'content-encoding': 'deflate' })).status,
          200,
        );
        assert.equal(
          (await envelope(zlib.brotliCompressSync(validEnvelope), { 'content-encoding': 'br' })).status,
          200,
        );
        const viaHeader = await envelope(
          validEnvelope,
          { 'x-sentry-auth': `Sentry sentry_key=${PUBLIC_KEY}, sentry_version=7` },
          '',
        );
        assert.equal(viaHeader.status, 200);
        const withDsn = `{"dsn":"http://${PUBLIC_KEY}@localhost/1"}\n${validEnvelope.slice(3)}`;
        assert.equal((await envelope(withDsn, {}, '')).status, 200);
      });

      test('CORS preflight for browser SDKs', async () => {
        const response = await fetch(`${server.url}/api/1/envelope/`, {
          method: 'OPTIONS',
          headers: {
            origin: 'https://app.example',
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type',
          },
        });
        assert.ok(response.status === 204 || response.status === 200);
        assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example');
      });
    });

    describe('OTLP', () => {
      test('invalid JSON → 400, broken protobuf → 400, wrong content type → 415, wrong key → 403', async () => {
        assert.equal((await otlp('/v1/traces', '{not json', 'application/json')).status, 400);
        assert.equal(
          (
            await otlp(
              '/v1/traces',
              Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]),
              'application/x-protobuf',
            )
          ).status,
          400,
        );
        assert.equal((await otlp('/v1/traces', 'x', 'text/plain')).status, 415);
        assert.equal(
          (await otlp('/v1/logs', '{}', 'application/json', { authorization: 'Bearer wrong-key-123' }))
            .status,
          403,
        );
        assert.equal((await otlp('/v1/metrics', '{}', 'application/json')).status, 200);
      });

      test('requests without a key are accepted on loopback', async () => {
        const response = await fetch(`${server.url}/v1/traces`, {
          method: 'POST',
          body: '{}',
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(response.status, 200);
      });
    });

    describe('query API', () => {
      const rows: Array<[string, RegExp]> = [
        ['/api/v1/traces?limit=0', /limit/],
        ['/api/v1/traces?limit=abc', /limit/],
        ['/api/v1/traces?status=maybe', /status/],
        ['/api/v1/traces?hasAi=perhaps', /hasAi/],
        ['/api/v1/traces?from=yesterday', /from/],
        ['/api/v1/traces?from=2000&to=1000', /from/],
        ['/api/v1/traces/not-a-trace-id', /traceId/],
        ['/api/v1/logs?level=loud', /level/],
        ['/api/v1/metrics', /name/],
        ['/api/v1/metrics?name=x&interval=soon', /interval/],
        ['/api/v1/metrics?name=x&aggregates=median', /aggregates/],
        ['/api/v1/traces?cursor=garbage', /cursor/],
        ['/api/v1/logs?cursor=bm90IGEgY3Vyc29y', /cursor/],
      ];
      for (const [path, message] of rows) {
        test(`GET ${path} → 400 naming the parameter`, async () => {
          const { status, body } = await getJson(server, path);
          assert.equal(status, 400);
          assert.match(body.error, message);
        });
      }

      test('an unknown trace → 404; an unknown route → 404', async () => {
        assert.equal((await getJson(server, `/api/v1/traces/${'1'.repeat(32)}`)).status, 404);
        assert.equal((await getJson(server, '/api/v2/nothing')).status, 404);
      });

      test('after all of that the server still serves', async () => {
        assert.equal((await getJson(server, '/healthz')).status, 200);
        assert.equal((await envelope(validEnvelope)).status, 200);
      });
    });
  });
}

describe('overload', () => {
  // In-process store: a request waits for its commit. Threaded store: a request waits for the
  // ingest journal and the rows it acknowledged wait for their commit, counted against the bound
  // too; requests are parsed on a parse thread.
  for (const threaded of [false, true]) {
    test(`a full ingest queue answers 429 with Retry-After; nothing acknowledged is lost (${threaded ? 'journaled store, parse thread' : 'in-process store'})`, async () => {
      const small = await startTestServer({});
      // Rebuilt with a tiny queue (3 rows: commits drain a larger one before 40 concurrent requests
      // fill it): the app is the real one, on the real store.
      await small.stop();
      const { buildApp } = await import('../src/server/app.js');
      const { DuckDbStore, ThreadedDuckDbStore } = await import('../src/storage/duckdb/index.js');
      const store = threaded
        ? new ThreadedDuckDbStore({ dataDir: small.config.dataDir })
        : new DuckDbStore({ dataDir: small.config.dataDir });
      await store.open();
      const app = await buildApp({
        config: small.config,
        store,
        allowAnonymous: true,
        maxPendingRows: 3,
        parseThreads: threaded ? 1 : 0,
      });
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) => {
            const traceId = i.toString(16).padStart(32, 'c');
            const body = validEnvelope.replaceAll(T, traceId);
            return fetch(`${url}/api/1/envelope/?sentry_key=${PUBLIC_KEY}`, { method: 'POST', body }).then(
              async (r) => ({
                traceId,
                status: r.status,
                retryAfter: r.headers.get('retry-after'),
              }),
            );
          }),
        );
        const refused = results.filter((r) => r.status === 429);
        const accepted = results.filter((r) => r.status === 200);
        assert.ok(refused.length > 0, 'some requests were refused');
        assert.ok(refused.every((r) => r.retryAfter === '1'));
        assert.equal(refused.length + accepted.length, 40);
        for (const { traceId } of accepted) {
          const response = await fetch(`${url}/api/v1/traces/${traceId}`);
          assert.equal(response.status, 200, `acknowledged trace ${traceId} is stored`);
        }
      } finally {
        await app.close();
        await store.close();
      }
    });
  }
});
