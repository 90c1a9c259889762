/** HTTP server roots and client propagation over real loopback sockets, with node:http and fetch. */
import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  continueTrace,
  getActiveSpan,
  getTraceData,
  type ReadableSpan,
  type SamplingContext,
  type SieveOptions,
  startSpan,
} from '../src/index.js';
import { sentryBaggage, setup, teardown } from './helpers.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
let handler: Handler = (_req, res) => void res.end();
let server: http.Server;
let base = '';
/** Headers of every request the echo server saw, in order. */
const received: IncomingHttpHeaders[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    received.push(req.headers);
    void handler(req, res);
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(async () => {
  handler = (_req, res) => void res.end();
  received.length = 0;
  await teardown();
});

function start(options: SieveOptions) {
  return setup({ httpServer: true, httpClient: true, fetch: true, ...options });
}

function httpGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

async function settle(): Promise<void> {
  await sleep(20);
}

function find(spans: readonly ReadableSpan[], op: string, name?: string): ReadableSpan[] {
  return spans.filter((s) => s.op === op && (name === undefined || s.name === name));
}

describe('incoming requests', () => {
  test('get a root named METHOD /path with http attributes, continuing no trace', async () => {
    const memory = start({ tracesSampleRate: 1 });
    handler = (_req, res) => {
      res.statusCode = 201;
      res.end('ok');
    };
    await fetch(`${base}/api/chat?stream=1`, { method: 'POST', body: '{}' });
    await settle();
    const [root] = find(memory.getFinishedSpans(), 'http.server');
    assert.equal(root?.name, 'POST /api/chat');
    assert.equal(root?.parentSpanId, undefined);
    assert.equal(root?.attributes['http.request.method'], 'POST');
    assert.equal(root?.attributes['url.path'], '/api/chat');
    assert.equal(root?.attributes['url.query'], 'stream=1');
    assert.equal(root?.attributes['http.response.status_code'], 201);
    assert.equal(root?.status.code, 1);
  });

  test('the sampler sees the name and the request; the request is not recorded', async () => {
    let seen: SamplingContext | undefined;
    const memory = start({
      tracesSampler: (c) => {
        seen = c;
        return 1;
      },
    });
    await fetch(`${base}/search?q=secret`, { headers: { cookie: 'session=abc' } });
    await settle();
    assert.equal(seen?.name, 'GET /search');
    assert.equal(seen?.op, 'http.server');
    assert.equal(seen?.request?.method, 'GET');
    assert.equal(seen?.request?.path, '/search');
    assert.equal(seen?.request?.url, `${base}/search?q=secret`);
    assert.equal(seen?.request?.headers.cookie, 'session=abc');
    const [root] = find(memory.getFinishedSpans(), 'http.server');
    assert.doesNotMatch(JSON.stringify(root?.attributes), /session=abc/);
  });

  test('the DSC leaves out a raw-URL root name (it would leak ids into transaction names)', async () => {
    start({ tracesSampleRate: 1 });
    let baggage: string | undefined;
    handler = (_req, res) => {
      baggage = getTraceData().baggage;
      res.end();
    };
    await httpGet(`${base}/users/1234`);
    assert.equal(sentryBaggage(baggage).transaction, undefined);
    assert.equal(sentryBaggage(baggage).sampled, 'true');
  });

  test('continue the caller trace from sentry-trace and baggage', async () => {
    const memory = start({ tracesSampleRate: 0 });
    await httpGet(`${base}/work`, {
      'sentry-trace': `${T}-${S}-1`,
      baggage: `sentry-trace_id=${T},sentry-sample_rate=0.5,sentry-sample_rand=0.25`,
    });
    await settle();
    const [root] = find(memory.getFinishedSpans(), 'http.server');
    assert.equal(root?.traceId, T);
    assert.equal(root?.parentSpanId, S);
    assert.equal(root?.attributes['sentry.sample_rate'], 0.5);
  });

  test('continue from traceparent alone', async () => {
    const memory = start({ tracesSampleRate: 0 });
    await httpGet(`${base}/work`, { traceparent: `00-${T}-${S}-01` });
    await settle();
    assert.equal(find(memory.getFinishedSpans(), 'http.server')[0]?.traceId, T);
  });

  test('handler spans are children of the request root, also after await', async () => {
    const memory = start({ tracesSampleRate: 1 });
    handler = async (_req, res) => {
      await sleep(2);
      await startSpan({ name: 'llm', op: 'gen_ai.chat' }, () => sleep(2));
      res.end();
    };
    await Promise.all([httpGet(`${base}/a`), httpGet(`${base}/b`), fetch(`${base}/c`).then((r) => r.text())]);
    await settle();
    const spans = memory.getFinishedSpans();
    const roots = find(spans, 'http.server');
    const llms = find(spans, 'gen_ai.chat');
    assert.equal(roots.length, 3);
    assert.equal(llms.length, 3);
    for (const llm of llms) {
      const parent = roots.find((r) => r.spanId === llm.parentSpanId);
      assert.ok(parent, 'each llm span is under one request root');
      assert.equal(llm.traceId, parent.traceId);
    }
    assert.equal(new Set(llms.map((l) => l.parentSpanId)).size, 3);
  });

  test('5xx marks the root as an error; the handler context does not leak into the next request', async () => {
    const memory = start({ tracesSampleRate: 1 });
    handler = (req, res) => {
      res.statusCode = req.url === '/fail' ? 503 : 200;
      res.end(getActiveSpan()?.spanContext().spanId);
    };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const one = await new Promise<string>((resolve) =>
      http.get(`${base}/fail`, { agent }, (res) => {
        let b = '';
        res.on('data', (d) => {
          b += d;
        });
        res.on('end', () => resolve(b));
      }),
    );
    const two = await new Promise<string>((resolve) =>
      http.get(`${base}/ok`, { agent }, (res) => {
        let b = '';
        res.on('data', (d) => {
          b += d;
        });
        res.on('end', () => resolve(b));
      }),
    );
    agent.destroy();
    await settle();
    const roots = find(memory.getFinishedSpans(), 'http.server');
    const fail = roots.find((r) => r.name === 'GET /fail');
    const ok = roots.find((r) => r.name === 'GET /ok');
    assert.equal(fail?.status.code, 2);
    assert.equal(fail?.status.message, 'unavailable');
    assert.equal(fail?.spanId, one);
    assert.equal(ok?.spanId, two);
    assert.notEqual(one, two);
  });

  test('an aborted request ends its root as cancelled', async () => {
    const memory = start({ tracesSampleRate: 1 });
    // Abort only once the handler runs (a loaded machine can take longer than any fixed sleep to get
    // there), and answer only after the client has gone.
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let release!: () => void;
    const aborted = new Promise<void>((resolve) => {
      release = resolve;
    });
    handler = async (_req, res) => {
      entered();
      await aborted;
      await sleep(20);
      if (!res.destroyed) res.end();
    };
    const controller = new AbortController();
    const pending = fetch(`${base}/slow`, { signal: controller.signal }).catch(() => undefined);
    await inHandler;
    controller.abort();
    release();
    await pending;
    let root: ReadableSpan | undefined;
    for (let i = 0; i < 200 && root === undefined; i++) {
      await sleep(10);
      [root] = find(memory.getFinishedSpans(), 'http.server', 'GET /slow');
    }
    assert.equal(root?.status.message, 'cancelled');
  });
});

describe('outgoing requests', () => {
  for (const client of ['node:http', 'fetch'] as const) {
    test(`${client}: carries sentry-trace, baggage and traceparent with the http.client span as parent`, async () => {
      const memory = start({ tracesSampleRate: 1 });
      await startSpan({ name: 'job' }, async () => {
        if (client === 'fetch') await (await fetch(`${base}/down?x=1`)).text();
        else await httpGet(`${base}/down?x=1`);
      });
      await settle();
      const spans = memory.getFinishedSpans();
      const job = spans.find((s) => s.name === 'job')!;
      const [call] = find(spans, 'http.client');
      assert.equal(call?.name, `GET ${base}/down`);
      assert.equal(call?.parentSpanId, job.spanId);
      assert.equal(call?.attributes['http.response.status_code'], 200);
      assert.equal(call?.attributes['url.query'], 'x=1');
      const headers = received.at(-1)!;
      assert.equal(headers['sentry-trace'], `${job.traceId}-${call?.spanId}-1`);
      assert.equal(headers.traceparent, `00-${job.traceId}-${call?.spanId}-03`);
      assert.equal(sentryBaggage(headers.baggage as string).trace_id, job.traceId);
      // The server side of the same process continued the trace under the client span.
      const [serverRoot] = find(spans, 'http.server');
      assert.equal(serverRoot?.parentSpanId, call?.spanId);
      assert.equal(serverRoot?.traceId, job.traceId);
    });

    test(`${client}: a dropped trace sends -0 and a fresh parent id per request`, async () => {
      const memory = start({ tracesSampleRate: 0, httpServer: false });
      await startSpan({ name: 'job' }, async () => {
        for (let i = 0; i < 3; i++) {
          if (client === 'fetch') await (await fetch(`${base}/down`)).text();
          else await httpGet(`${base}/down`);
        }
      });
      assert.equal(memory.getFinishedSpans().length, 0);
      const parents = received.map((h) => String(h['sentry-trace']).split('-'));
      assert.equal(new Set(parents.map((p) => p[0])).size, 1);
      assert.equal(new Set(parents.map((p) => p[1])).size, 3);
      assert.ok(parents.every((p) => p[2] === '0'));
    });

    test(`${client}: tracePropagationTargets limits where headers go, not what is recorded`, async () => {
      const memory = start({
        tracesSampleRate: 1,
        httpServer: false,
        tracePropagationTargets: ['/allowed', /^https:\/\/api\./],
      });
      await startSpan({ name: 'job' }, async () => {
        for (const path of ['/allowed/x', '/blocked']) {
          if (client === 'fetch') await (await fetch(`${base}${path}`)).text();
          else await httpGet(`${base}${path}`);
        }
      });
      await settle();
      assert.ok(received[0]?.['sentry-trace']);
      assert.equal(received[1]?.['sentry-trace'], undefined);
      assert.equal(received[1]?.traceparent, undefined);
      assert.equal(received[1]?.baggage, undefined);
      assert.equal(find(memory.getFinishedSpans(), 'http.client').length, 2);
    });

    test(`${client}: a caller's own sentry-trace header is left alone`, async () => {
      start({ tracesSampleRate: 1, httpServer: false });
      const own = `${T}-${S}-1`;
      await startSpan({ name: 'job' }, async () => {
        if (client === 'fetch') await (await fetch(`${base}/x`, { headers: { 'sentry-trace': own } })).text();
        else await httpGet(`${base}/x`, { 'sentry-trace': own });
      });
      assert.equal(received[0]?.['sentry-trace'], own);
    });
  }

  test('outside any span, no headers are added', async () => {
    start({ tracesSampleRate: 1, httpServer: false });
    await httpGet(`${base}/x`);
    await (await fetch(`${base}/x`)).text();
    assert.equal(received[0]?.['sentry-trace'], undefined);
    assert.equal(received[1]?.['sentry-trace'], undefined);
  });

  test('baggage set by the caller is extended with the DSC', async () => {
    start({ tracesSampleRate: 1, httpServer: false });
    await startSpan({ name: 'job' }, () => httpGet(`${base}/x`, { baggage: 'userId=alice' }));
    assert.match(String(received[0]?.baggage), /^userId=alice,sentry-trace_id=/);
  });

  test('disabled tracing forwards the incoming decision unchanged through a server hop', async () => {
    const memory = start({});
    handler = async (req, res) => {
      if (req.url === '/hop') await httpGet(`${base}/leaf`);
      res.end();
    };
    await httpGet(`${base}/hop`, {
      'sentry-trace': `${T}-${S}-1`,
      baggage: `sentry-trace_id=${T},sentry-sample_rate=0.3`,
    });
    const leaf = received.at(-1)!;
    assert.match(String(leaf['sentry-trace']), new RegExp(`^${T}-[0-9a-f]{16}-1$`));
    assert.equal(sentryBaggage(leaf.baggage as string).sample_rate, '0.3');
    assert.equal(memory.getFinishedSpans().length, 0);
  });
});

describe('two services, the seed-1 sampler at the edge', () => {
  test('AI routes are kept whole downstream; plain routes inherit the edge decision', async () => {
    const memory = start({
      tracesSampler: ({ name, attributes, inheritOrSampleWith }) => {
        if (attributes?.['gen_ai.operation.name']) return 1.0;
        if (name?.includes('/api/chat')) return 1.0;
        return inheritOrSampleWith(0);
      },
    });
    handler = async (req, res) => {
      // The "edge" calls the "backend" (same process, same server) for everything under /edge.
      if (req.url?.startsWith('/edge')) await (await fetch(`${base}/backend${req.url.slice(5)}`)).text();
      res.end();
    };
    await httpGet(`${base}/edge/api/chat`);
    await httpGet(`${base}/edge/home`);
    await settle();
    const spans = memory.getFinishedSpans();
    const chat = spans.filter(
      (s) => s.traceId === spans.find((x) => x.name === 'GET /edge/api/chat')?.traceId,
    );
    assert.deepEqual(
      chat.map((s) => s.name).sort(),
      [`GET ${base}/backend/api/chat`, 'GET /backend/api/chat', 'GET /edge/api/chat'].sort(),
    );
    assert.equal(spans.filter((s) => s.name.includes('home')).length, 0);
    // The edge root of the backend hop records the inherited probability: weight 1.
    assert.equal(spans.find((s) => s.name === 'GET /backend/api/chat')?.attributes['sentry.sample_rate'], 1);
  });

  test('continueTrace around a manual hop behaves like the automatic one', () => {
    const memory = start({ tracesSampleRate: 0 });
    continueTrace({ sentryTrace: `${T}-${S}-1`, baggage: `sentry-trace_id=${T}` }, () =>
      startSpan({ name: 'consume' }, () => {}),
    );
    assert.equal(memory.getFinishedSpans()[0]?.traceId, T);
  });
});
