/** The OTLP exporter against a real OTLP/HTTP receiver on loopback. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import zlib from 'node:zlib';
import { createContextKey, context as otelContext, trace as otelTrace } from '@opentelemetry/api';
import {
  continueTrace,
  flush,
  getClient,
  init,
  installOpenTelemetryBridge,
  type LogRecord,
  logger,
  type MetricRecord,
  metrics,
  OtlpExporter,
  type OtlpExporterOptions,
  otlpExporter,
  type SpanProcessor,
  startSpan,
  uninstallOpenTelemetryBridge,
} from '../src/index.js';
import { sampleRandToRv } from '../src/propagation/tracestate.js';
import { setup, teardown } from './helpers.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: the tests walk arbitrary received JSON
  body: any;
  at: number;
}

type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** An OTLP/HTTP receiver: records every request (gunzipped and parsed), answers per `respond`. */
class OtlpReceiver {
  readonly requests: Received[] = [];
  respond: (req: Received, index: number) => Reply = () => ({ status: 200, body: '{}' });
  url = '';
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw).toString();
      const received: Received = {
        path: req.url ?? '',
        headers: req.headers,
        raw,
        body: JSON.parse(text),
        at: Date.now(),
      };
      this.requests.push(received);
      const reply = this.respond(received, this.requests.length - 1);
      if (reply === 'hang') return;
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body ?? '{}');
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reset(): void {
    this.requests.length = 0;
    this.respond = () => ({ status: 200, body: '{}' });
    this.server.closeAllConnections();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  on(path: string): Received[] {
    return this.requests.filter((r) => r.path === path);
  }

  // biome-ignore lint/suspicious/noExplicitAny: received JSON
  spans(): any[] {
    return this.on('/v1/traces').flatMap((r) => r.body.resourceSpans[0].scopeSpans[0].spans);
  }
}

const receiver = new OtlpReceiver();
before(() => receiver.start());
after(() => receiver.stop());

let exporter: OtlpExporter | undefined;
/** Dropped counts by `reason category`, summed (a list of 100k entries would itself fill the heap). */
let drops = new Map<string, number>();

afterEach(async () => {
  await teardown();
  await exporter?.shutdown(0);
  exporter = undefined;
  receiver.reset();
});

/** An exporter to the receiver with fast retries, installed through init(); drops are recorded. */
function start(options: OtlpExporterOptions = {}, sieve: Parameters<typeof setup>[0] = {}): OtlpExporter {
  exporter = new OtlpExporter({
    url: receiver.url,
    serviceName: 'checkout',
    headers: { Authorization: 'Bearer s3cret' },
    initialBackoffMs: 10,
    maxBackoffMs: 50,
    ...options,
  });
  setup({ tracesSampleRate: 1, ...sieve, spanProcessors: [exporter, ...(sieve.spanProcessors ?? [])] });
  spyOnDrops();
  return exporter;
}

function spyOnDrops(): void {
  drops = new Map();
  const client = getClient()!;
  const record = client.recordDroppedEvent.bind(client);
  client.recordDroppedEvent = (reason, category, quantity) => {
    const key = `${reason} ${category}`;
    drops.set(key, (drops.get(key) ?? 0) + quantity);
    record(reason, category, quantity);
  };
}

function dropped(reason: string, category: string): number {
  return drops.get(`${reason} ${category}`) ?? 0;
}

// biome-ignore lint/suspicious/noExplicitAny: received JSON
function attrs(list: any[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((e: { key: string; value: unknown }) => [e.key, e.value]));
}

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

const log = (over: Partial<LogRecord> = {}): LogRecord => ({
  timestamp: Date.now(),
  level: 'info',
  severityNumber: 9,
  body: 'hello',
  traceId: T,
  spanId: PARENT,
  attributes: {},
  ...over,
});

const metric = (over: Partial<MetricRecord> = {}): MetricRecord => ({
  timestamp: Date.now(),
  name: 'requests',
  type: 'counter',
  value: 1,
  unit: undefined,
  traceId: T,
  spanId: undefined,
  attributes: {},
  ...over,
});

describe('traces', () => {
  test('POSTs gzipped OTLP/JSON with resource, scope, ids, times, kinds, status, events and weights', async () => {
    start(
      { resourceAttributes: { 'deployment.environment.name': 'staging' } },
      { tracesSampleRate: 0.5, random: () => 0.1, release: 'checkout@1.2.3', environment: 'prod' },
    );
    const headers = {
      traceparent: `00-${T}-${PARENT}-01`,
      baggage: 'sentry-sample_rate=0.5,sentry-sample_rand=0.1',
    };
    let rootId = '';
    let childId = '';
    const before = Date.now();
    continueTrace(headers, () =>
      startSpan(
        { name: 'POST /checkout', op: 'http.server', attributes: { 'http.request.method': 'POST' } },
        (root) => {
          rootId = root.spanContext().spanId;
          startSpan({ name: 'GET http://pay/api', op: 'http.client' }, (child) => {
            childId = child.spanContext().spanId;
            child.addEvent('retry', { attempt: 2 });
            child.recordException(new Error('card declined'));
          });
        },
      ),
    );
    assert.equal(await flush(2000), true);
    const after = Date.now();

    const [req, ...more] = receiver.on('/v1/traces');
    assert.ok(req, 'one request reached /v1/traces');
    assert.equal(more.length, 0);
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers['content-encoding'], 'gzip');
    assert.equal(req.raw[0], 0x1f, 'gzip magic');
    assert.equal(req.headers.authorization, 'Bearer s3cret');
    assert.equal(req.headers.traceparent, undefined, 'the export itself carries no trace headers');

    const rs = req.body.resourceSpans;
    assert.equal(rs.length, 1);
    const resource = attrs(rs[0].resource.attributes);
    assert.deepEqual(resource['service.name'], { stringValue: 'checkout' });
    assert.deepEqual(resource['telemetry.sdk.name'], { stringValue: 'sieve' });
    assert.deepEqual(resource['telemetry.sdk.language'], { stringValue: 'nodejs' });
    assert.equal(typeof (resource['telemetry.sdk.version'] as { stringValue: string }).stringValue, 'string');
    assert.deepEqual(resource['deployment.environment.name'], { stringValue: 'staging' }, 'given wins');
    assert.deepEqual(resource['service.version'], { stringValue: 'checkout@1.2.3' }, "init()'s release");
    assert.equal(rs[0].scopeSpans[0].scope.name, '@sieve/sdk');

    const spans = rs[0].scopeSpans[0].spans;
    const child = spans.find((s: { name: string }) => s.name === 'GET http://pay/api');
    const root = spans.find((s: { name: string }) => s.name === 'POST /checkout');
    assert.equal(root.traceId, T);
    assert.equal(root.spanId, rootId);
    assert.equal(root.parentSpanId, PARENT, 'a continued root points at its remote parent');
    assert.equal(root.flags, 0x301, 'sampled, parent known to be remote');
    assert.equal(child.spanId, childId);
    assert.equal(child.parentSpanId, rootId);
    assert.equal(child.flags, 0x101);
    assert.equal(root.kind, 2);
    assert.equal(child.kind, 3);
    for (const s of spans) {
      assert.match(s.startTimeUnixNano, /^\d{19}$/);
      assert.match(s.endTimeUnixNano, /^\d{19}$/);
      const startMs = Number(BigInt(s.startTimeUnixNano) / 1_000_000n);
      assert.ok(startMs >= before - 1 && startMs <= after, 'nanoseconds since the epoch');
      assert.ok(BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano));
      assert.equal(s.traceState, `ot=th:8;rv:${sampleRandToRv(0.1)}`, 'rate 0.5 → th:8, sample_rand → rv');
    }
    assert.deepEqual(attrs(root.attributes)['sentry.sample_rate'], { doubleValue: 0.5 });
    assert.deepEqual(attrs(root.attributes)['sentry.op'], { stringValue: 'http.server' });
    assert.deepEqual(attrs(root.attributes)['http.request.method'], { stringValue: 'POST' });
    assert.deepEqual(root.status, { code: 0 });
    assert.deepEqual(child.status, { code: 2, message: 'internal_error' });
    assert.deepEqual(
      child.events.map((e: { name: string }) => e.name),
      ['retry', 'exception'],
    );
    assert.deepEqual(attrs(child.events[0].attributes), { attempt: { intValue: '2' } });
    assert.deepEqual(attrs(child.events[1].attributes)['exception.message'], {
      stringValue: 'card declined',
    });
    assert.match(child.events[0].timeUnixNano, /^\d{19}$/);
  });

  test('a new root has no parentSpanId; unsampled spans (kept for a rescue processor) are not sent', async () => {
    const rescue: SpanProcessor = { recordsUnsampled: true, onEnd: () => {} };
    start({}, { tracesSampleRate: 1, spanProcessors: [rescue] });
    startSpan({ name: 'kept' }, () => {});
    startSpan({ name: 'dropped', sampled: false }, () => startSpan({ name: 'dropped child' }, () => {}));
    assert.equal(await flush(2000), true);
    const spans = receiver.spans();
    assert.deepEqual(
      spans.map((s) => s.name),
      ['kept'],
    );
    assert.equal('parentSpanId' in spans[0], false);
    assert.equal(spans[0].kind, 1);
  });

  test("the exporter's own requests are not traced, even with http.client instrumentation on", async () => {
    start({}, { httpClient: true });
    startSpan({ name: 'one' }, () => {});
    assert.equal(await flush(2000), true);
    // Anything the export recorded would be flushed now.
    assert.equal(await flush(2000), true);
    assert.deepEqual(
      receiver.spans().map((s) => s.name),
      ['one'],
    );
    for (const r of receiver.requests) {
      assert.equal(r.headers['sentry-trace'], undefined);
      assert.equal(r.headers.traceparent, undefined);
    }
  });

  test('under the OpenTelemetry bridge, an OpenTelemetry http instrumentation sees tracing suppressed', async () => {
    const SUPPRESS = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');
    const seen: Array<{ suppressed: boolean; span: boolean }> = [];
    const original = http.request;
    // What @opentelemetry/instrumentation-http does: a client span per request unless tracing is suppressed.
    http.request = function (this: unknown, ...args: Parameters<typeof http.request>) {
      const ctx = otelContext.active();
      const suppressed = ctx.getValue(SUPPRESS) === true;
      seen.push({ suppressed, span: otelTrace.getSpan(ctx) !== undefined });
      if (!suppressed) otelTrace.getTracer('fake-http').startSpan('POST').end();
      return original.apply(this, args);
    } as typeof http.request;
    try {
      start();
      assert.equal(installOpenTelemetryBridge(), true);
      startSpan({ name: 'work' }, () => {});
      assert.equal(await flush(2000), true);
      assert.equal(await flush(2000), true);
    } finally {
      http.request = original;
      uninstallOpenTelemetryBridge();
    }
    assert.ok(seen.length > 0);
    assert.deepEqual(
      new Set(seen.map((x) => JSON.stringify(x))),
      new Set([JSON.stringify({ suppressed: true, span: false })]),
    );
    assert.deepEqual(
      receiver.spans().map((sp) => sp.name),
      ['work'],
    );
  });

  test("compression 'none' sends plain JSON; per-signal URLs are used as given", async () => {
    start({ compression: 'none', tracesUrl: `${receiver.url}/custom/spans` });
    startSpan({ name: 'plain' }, () => {});
    assert.equal(await flush(2000), true);
    const [req] = receiver.requests;
    assert.equal(req?.path, '/custom/spans');
    assert.equal(req.headers['content-encoding'], undefined);
    assert.equal(req.raw.toString()[0], '{');
  });

  test('a full batch is sent without waiting for the timer', async () => {
    start({ maxBatchSize: 10, scheduledDelayMs: 60_000 });
    for (let i = 0; i < 25; i++) startSpan({ name: `s${i}` }, () => {});
    const deadline = Date.now() + 2000;
    while (receiver.spans().length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(receiver.spans().length, 20, 'two full batches, the partial one waits');
    assert.ok(
      receiver.on('/v1/traces').every((r) => r.body.resourceSpans[0].scopeSpans[0].spans.length === 10),
    );
    assert.equal(await flush(2000), true);
    assert.equal(receiver.spans().length, 25);
  });
  test('a batch over 4 MiB of JSON is split into smaller requests', async () => {
    start();
    const big = 'x'.repeat(1_500_000);
    for (let i = 0; i < 4; i++) startSpan({ name: `big${i}`, attributes: { big } }, () => {});
    assert.equal(await flush(5000), true);
    const requests = receiver.on('/v1/traces');
    assert.deepEqual(
      requests.map((r) => r.body.resourceSpans[0].scopeSpans[0].spans.length),
      [2, 2],
    );
    assert.deepEqual(
      receiver.spans().map((sp) => sp.name),
      ['big0', 'big1', 'big2', 'big3'],
    );
  });
});

describe('logs and metrics', () => {
  test('logs: /v1/logs with severity, body, ids, attributes and both times', async () => {
    const exp = start();
    const at = 1_700_000_000_000.5;
    exp.onLog(
      log({
        timestamp: at,
        level: 'error',
        severityNumber: 17,
        body: 'payment failed',
        attributes: { order: 42 },
      }),
    );
    exp.onLog(log({ traceId: '', spanId: undefined }));
    assert.equal(await exp.forceFlush(2000), true);
    const [req] = receiver.on('/v1/logs');
    assert.ok(req);
    assert.equal(req.headers['content-encoding'], 'gzip');
    assert.deepEqual(attrs(req.body.resourceLogs[0].resource.attributes)['service.name'], {
      stringValue: 'checkout',
    });
    assert.equal(req.body.resourceLogs[0].scopeLogs[0].scope.name, '@sieve/sdk');
    const [first, second] = req.body.resourceLogs[0].scopeLogs[0].logRecords;
    assert.deepEqual(first, {
      timeUnixNano: '1700000000000500000',
      observedTimeUnixNano: '1700000000000500000',
      severityNumber: 17,
      severityText: 'error',
      body: { stringValue: 'payment failed' },
      attributes: [{ key: 'order', value: { intValue: '42' } }],
      traceId: T,
      spanId: PARENT,
    });
    assert.equal(second.traceId, undefined);
  });

  test('metrics: counters summed, gauges last, distributions as consistent histograms', async () => {
    const exp = start();
    const t0 = 1_700_000_000_000;
    exp.onMetric(metric({ value: 2, attributes: { route: '/a' }, timestamp: t0 }));
    exp.onMetric(metric({ value: 3, attributes: { route: '/a' }, timestamp: t0 + 10 }));
    exp.onMetric(metric({ value: 1, attributes: { route: '/b' }, timestamp: t0 + 20 }));
    exp.onMetric(metric({ type: 'gauge', name: 'inflight', value: 4, timestamp: t0 }));
    exp.onMetric(metric({ type: 'gauge', name: 'inflight', value: 9, timestamp: t0 + 30 }));
    for (const value of [12, 80, 80, 450, 3000]) {
      exp.onMetric(
        metric({ type: 'distribution', name: 'llm.latency', unit: 'millisecond', value, timestamp: t0 }),
      );
    }
    exp.onMetric(metric({ value: Number.NaN }));
    assert.equal(await exp.forceFlush(2000), true);
    const [req] = receiver.on('/v1/metrics');
    assert.ok(req);
    const out = req.body.resourceMetrics[0].scopeMetrics[0].metrics;
    const byName = Object.fromEntries(out.map((m: { name: string }) => [m.name, m]));

    const sum = byName.requests.sum;
    assert.equal(sum.aggregationTemporality, 1);
    assert.equal(sum.isMonotonic, true);
    assert.deepEqual(
      sum.dataPoints.map((p: { asDouble: number; attributes: unknown[] }) => [
        attrs(p.attributes).route,
        p.asDouble,
      ]),
      [
        [{ stringValue: '/a' }, 5],
        [{ stringValue: '/b' }, 1],
      ],
    );
    assert.equal(sum.dataPoints[0].startTimeUnixNano, '1700000000000000000');
    assert.equal(sum.dataPoints[0].timeUnixNano, '1700000000010000000');
    assert.equal(sum.dataPoints[0].exemplars[0].traceId, T);

    assert.deepEqual(
      byName.inflight.gauge.dataPoints.map((p: { asDouble: number }) => p.asDouble),
      [9],
    );

    const h = byName['llm.latency'];
    assert.equal(h.unit, 'ms');
    assert.equal(h.histogram.aggregationTemporality, 1);
    const p = h.histogram.dataPoints[0];
    assert.equal(p.count, '5');
    assert.equal(p.sum, 3622);
    assert.equal(p.min, 12);
    assert.equal(p.max, 3000);
    assert.equal(p.bucketCounts.length, p.explicitBounds.length + 1);
    assert.equal(
      p.bucketCounts.reduce((n: number, c: string) => n + Number(c), 0),
      5,
    );
    for (const c of p.bucketCounts) assert.equal(typeof c, 'string');
    assert.equal(dropped('invalid_data', 'trace_metric'), 1, 'the NaN measurement');
  });

  test('logger and metrics APIs reach the exporter end to end', async () => {
    start();
    startSpan({ name: 'job' }, () => {
      logger.info('started', { job: 'sync' });
      metrics.count('jobs', 1, { attributes: { kind: 'sync' } });
      metrics.distribution('job.duration', 120, { unit: 'millisecond' });
    });
    assert.equal(await flush(2000), true);
    const logs = receiver.on('/v1/logs').flatMap((r) => r.body.resourceLogs[0].scopeLogs[0].logRecords);
    assert.equal(logs.length, 1);
    assert.equal(logs[0].body.stringValue, 'started');
    assert.equal(logs[0].severityNumber, 9);
    assert.equal(logs[0].traceId, receiver.spans()[0].traceId, 'stamped with the active trace');
    const names = receiver
      .on('/v1/metrics')
      .flatMap((r) => r.body.resourceMetrics[0].scopeMetrics[0].metrics.map((m: { name: string }) => m.name));
    assert.deepEqual(names.sort(), ['job.duration', 'jobs']);
  });
});

describe('delivery', () => {
  test('503 then success: retried, the data arrives once', async () => {
    start();
    receiver.respond = (_r, i) => (i === 0 ? { status: 503 } : { status: 200 });
    startSpan({ name: 'retry me' }, () => {});
    assert.equal(await flush(3000), true);
    assert.equal(receiver.requests.length, 2);
    assert.deepEqual(receiver.requests[0]!.body, receiver.requests[1]!.body, 'the same batch again');
    assert.equal(drops.size, 0);
  });

  test('429 with Retry-After: the retry waits that long', async () => {
    start({ maxBackoffMs: 10 });
    receiver.respond = (_r, i) =>
      i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 };
    startSpan({ name: 'throttled' }, () => {});
    assert.equal(await flush(5000), true);
    assert.equal(receiver.requests.length, 2);
    const waited = receiver.requests[1]!.at - receiver.requests[0]!.at;
    assert.ok(waited >= 950, `waited ${waited} ms`);
  });

  test('400: not retried, dropped and counted as send_error', async () => {
    start();
    receiver.respond = () => ({ status: 400, body: '{"message":"bad data"}' });
    startSpan({ name: 'a' }, () => {});
    startSpan({ name: 'b' }, () => {});
    assert.equal(await flush(2000), false, 'flush reports that not everything was delivered');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(receiver.requests.length, 1);
    assert.equal(dropped('send_error', 'span'), 2);
  });

  test('partial success: the rejected count is counted as send_error, nothing retried', async () => {
    const exp = start();
    receiver.respond = () => ({
      status: 200,
      body: '{"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"too old"}}',
    });
    for (let i = 0; i < 3; i++) exp.onLog(log());
    assert.equal(await exp.forceFlush(2000), false);
    assert.equal(receiver.requests.length, 1);
    assert.equal(dropped('send_error', 'log_item'), 2);
  });

  test('retries give up after maxRetries and count the batch', async () => {
    start({ maxRetries: 2 });
    receiver.respond = () => ({ status: 502 });
    startSpan({ name: 'x' }, () => {});
    assert.equal(await flush(3000), false);
    assert.equal(receiver.requests.length, 3);
    assert.equal(dropped('send_error', 'span'), 1);
  });

  test('forceFlush against a receiver that never answers returns false on time', async () => {
    const exp = start({ timeoutMs: 60_000 });
    receiver.respond = () => 'hang';
    startSpan({ name: 'stuck' }, () => {});
    const t = Date.now();
    assert.equal(await exp.forceFlush(200), false);
    assert.ok(Date.now() - t < 1000);
    const s = Date.now();
    await exp.shutdown(100);
    assert.ok(Date.now() - s < 1000, 'shutdown abandons the request in flight');
    assert.equal(dropped('network_error', 'span'), 1);
    // After shutdown nothing is queued any more.
    startSpan({ name: 'late' }, () => {});
    assert.deepEqual(exp.queueSizes(), { traces: 0, logs: 0, metrics: 0 });
  });

  test('a dead endpoint: the queue stays bounded, overflow is counted, the heap barely grows', async () => {
    // A port that was just free: connections are refused.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const deadPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // No setup(): its in-memory processor would keep every span and hide what the exporter holds.
    exporter = new OtlpExporter({
      url: `http://127.0.0.1:${deadPort}`,
      initialBackoffMs: 50,
      maxBackoffMs: 200,
    });
    const exp = exporter;
    init({ tracesSampleRate: 1, httpServer: false, httpClient: false, fetch: false, spanProcessors: [exp] });
    spyOnDrops();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const N = 100_000;
    for (let i = 0; i < N; i++) {
      startSpan({ name: 'span', attributes: { i, payload: 'x'.repeat(64) } }, () => {});
      if (i % 10_000 === 0) await new Promise((r) => setImmediate(r));
    }
    const queued = exp.queueSizes().traces;
    assert.ok(queued <= 2048, `queue ${queued}`);
    const overflow = dropped('queue_overflow', 'span');
    // Held: the queue plus the one batch in flight (retrying); everything else overflowed.
    assert.ok(overflow >= N - 2048 - 512, `overflow ${overflow}`);
    gc();
    const grown = process.memoryUsage().heapUsed - heapBefore;
    // ~1 KiB per held span: 2048 queued + 512 in flight is ~2.5 MiB; unbounded would be ~100 MiB.
    assert.ok(grown < 8 * 1024 * 1024, `heap grew ${Math.round(grown / 1024)} KiB`);
    assert.equal(await flush(100), false);
  });
});

test('an export in flight or waiting to retry does not keep the process alive', async () => {
  receiver.respond = () => 'hang';
  const index = new URL('../src/index.ts', import.meta.url).href;
  const script = `
    import { init, startSpan, flush, OtlpExporter } from ${JSON.stringify(index)};
    const exporter = new OtlpExporter({ url: ${JSON.stringify(receiver.url)}, timeoutMs: 60000 });
    init({ tracesSampleRate: 1, httpServer: false, httpClient: false, fetch: false, spanProcessors: [exporter] });
    startSpan({ name: 'in flight' }, () => {});
    void flush(60000);
  `;
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: 'inherit',
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 10_000, 'exited without waiting for the request');
  const deadline = Date.now() + 1000;
  while (receiver.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(receiver.on('/v1/traces').length, 1, 'the request had been sent');
});

test('otlpExporter() is a span processor with logs and metrics', () => {
  exporter = otlpExporter({ url: 'http://127.0.0.1:4318' });
  assert.ok(exporter instanceof OtlpExporter);
  assert.equal(typeof exporter.onEnd, 'function');
  assert.equal(typeof exporter.onLog, 'function');
  assert.equal(typeof exporter.onMetric, 'function');
  assert.equal(exporter.options.urls.metrics?.href, 'http://127.0.0.1:4318/v1/metrics');
});
