/** The envelope transport against a real HTTP receiver on loopback. */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  captureException,
  close,
  flush,
  getClient,
  logger,
  makeHttpTransport,
  metrics,
  type SieveOptions,
  startSpan,
} from '../src/index.js';
import { SDK_VERSION } from '../src/version.js';
import { setup } from './helpers.js';
import { Receiver } from './receiver.js';

let receiver: Receiver;
before(async () => {
  receiver = await new Receiver().start();
});
after(() => receiver.stop());
afterEach(async () => {
  await close(1000);
  receiver.envelopes.length = 0;
  receiver.respond = () => undefined;
});

function start(options: SieveOptions = {}) {
  return setup({
    dsn: receiver.dsn(),
    transport: undefined,
    release: 'app@2.0.0',
    environment: 'staging',
    ...options,
  });
}

describe('every item type arrives well-formed', () => {
  test('spans: one envelope per trace, DSC in the header, span v2 items, auth in the query', async () => {
    start({ tracesSampleRate: 1 });
    const traceId = startSpan(
      {
        name: 'invoke_agent weather',
        op: 'gen_ai.invoke_agent',
        attributes: { s: 'x', i: 3, d: 1.5, b: true, arr: ['a'] },
      },
      (root) => {
        startSpan(
          { name: 'chat claude', op: 'gen_ai.chat', attributes: { 'gen_ai.usage.input_tokens': 10 } },
          (child) => child.setStatus({ code: 2, message: 'internal_error' }),
        );
        return root.spanContext().traceId;
      },
    );
    assert.equal(await flush(2000), true);
    const [envelope] = receiver.envelopes;
    assert.ok(envelope);
    assert.match(
      envelope.url,
      /^\/api\/42\/envelope\/\?sentry_version=7&sentry_key=pubkey&sentry_client=sieve\.javascript\.node%2F/,
    );
    assert.equal(envelope.headers['content-type'], 'application/x-sentry-envelope');
    assert.equal(envelope.header.sdk && (envelope.header.sdk as { version: string }).version, SDK_VERSION);
    assert.match(String(envelope.header.sent_at), /^\d{4}-\d\d-\d\dT/);
    const dsc = envelope.header.trace as Record<string, string>;
    assert.deepEqual(
      { ...dsc, sample_rand: undefined },
      {
        trace_id: traceId,
        public_key: 'pubkey',
        environment: 'staging',
        release: 'app@2.0.0',
        transaction: 'invoke_agent weather',
        sample_rate: '1',
        sampled: 'true',
        sample_rand: undefined,
      },
    );
    const [item] = envelope.items;
    assert.deepEqual(item?.header, {
      type: 'span',
      item_count: 2,
      content_type: 'application/vnd.sentry.items.span.v2+json',
    });
    const spans = receiver.records<
      Record<string, unknown> & { attributes: Record<string, { value: unknown; type: string }> }
    >('span');
    const root = spans.find((s) => s.is_segment)!;
    const child = spans.find((s) => !s.is_segment)!;
    assert.equal(child.parent_span_id, root.span_id);
    assert.equal(child.status, 'error');
    assert.deepEqual(child.attributes['sentry.status.message'], { value: 'internal_error', type: 'string' });
    assert.deepEqual(root.attributes.s, { value: 'x', type: 'string' });
    assert.deepEqual(root.attributes.i, { value: 3, type: 'integer' });
    assert.deepEqual(root.attributes.d, { value: 1.5, type: 'double' });
    assert.deepEqual(root.attributes.b, { value: true, type: 'boolean' });
    assert.deepEqual(root.attributes.arr, { value: ['a'], type: 'array' });
    assert.deepEqual(root.attributes['sentry.op'], { value: 'gen_ai.invoke_agent', type: 'string' });
    assert.deepEqual(root.attributes['sentry.release'], { value: 'app@2.0.0', type: 'string' });
    assert.deepEqual(child.attributes['sentry.segment.id'], { value: root.span_id, type: 'string' });
    assert.equal(typeof root.start_timestamp, 'number');
    assert.ok((root.end_timestamp as number) >= (root.start_timestamp as number));
    assert.ok(
      (root.start_timestamp as number) > 1.7e9 && (root.start_timestamp as number) < 1e10,
      'epoch seconds',
    );
  });

  test('logs and metrics: sent for unsampled traces too, stamped with trace and span', async () => {
    start({ tracesSampleRate: 0 });
    const ids = startSpan({ name: 'dropped' }, (span) => {
      logger.info('LLM call completed', { model: 'claude', input_tokens: 10 });
      logger.warn(logger.fmt`User ${'alice'} used ${3} tools`);
      metrics.distribution('gen_ai.token_usage', 42, { unit: 'none', attributes: { model: 'claude' } });
      metrics.count('calls');
      metrics.gauge('queue', 5, { unit: 'item' });
      return span.spanContext();
    });
    await flush(2000);
    assert.equal(receiver.items('span').length, 0);
    const logs = receiver.records<
      Record<string, unknown> & { attributes: Record<string, { value: unknown }> }
    >('log');
    assert.equal(logs.length, 2);
    assert.deepEqual(receiver.items('log')[0]?.header, {
      type: 'log',
      item_count: 2,
      content_type: 'application/vnd.sentry.items.log+json',
    });
    assert.equal(logs[0]?.trace_id, ids.traceId);
    assert.equal(logs[0]?.level, 'info');
    assert.equal(logs[0]?.severity_number, 9);
    assert.equal(logs[0]?.body, 'LLM call completed');
    assert.deepEqual(logs[0]?.attributes.model, { value: 'claude', type: 'string' });
    assert.deepEqual(logs[0]?.attributes['sentry.trace.parent_span_id'], {
      value: ids.spanId,
      type: 'string',
    });
    assert.equal(logs[1]?.body, 'User alice used 3 tools');
    assert.deepEqual(logs[1]?.attributes['sentry.message.template'], {
      value: 'User %s used %s tools',
      type: 'string',
    });
    assert.deepEqual(logs[1]?.attributes['sentry.message.parameter.1'], { value: 3, type: 'integer' });
    const points = receiver.records<Record<string, unknown>>('trace_metric');
    assert.deepEqual(
      points.map((p) => [p.name, p.type, p.value, p.unit, p.trace_id, p.span_id]),
      [
        ['gen_ai.token_usage', 'distribution', 42, 'none', ids.traceId, ids.spanId],
        ['calls', 'counter', 1, undefined, ids.traceId, ids.spanId],
        ['queue', 'gauge', 5, 'item', ids.traceId, ids.spanId],
      ],
    );
    assert.equal(
      receiver.items('trace_metric')[0]?.header.content_type,
      'application/vnd.sentry.items.trace-metric+json',
    );
  });

  test('client reports count what sampling dropped, on flush', async () => {
    start({ tracesSampleRate: 0 });
    for (let i = 0; i < 3; i++) startSpan({ name: 'dropped' }, () => startSpan({ name: 'child' }, () => {}));
    await flush(2000);
    const [report] = receiver.items('client_report');
    assert.ok(report);
    assert.deepEqual((report.payload as { discarded_events: unknown[] }).discarded_events, [
      { reason: 'sample_rate', category: 'transaction', quantity: 3 },
      { reason: 'sample_rate', category: 'span', quantity: 6 },
    ]);
  });

  test('errors: an event with a parsed stack, linked to the active trace', async () => {
    start({ tracesSampleRate: 1 });
    const cause = new TypeError('socket hang up');
    const { traceId, eventId } = startSpan({ name: 'job' }, (span) => ({
      traceId: span.spanContext().traceId,
      eventId: captureException(new Error('tool failed', { cause }), {
        attributes: { tool: 'search', attempt: 2 },
      }),
    }));
    await flush(2000);
    const envelope = receiver.envelopes.find((e) => e.items[0]?.header.type === 'event')!;
    assert.equal(envelope.header.event_id, eventId);
    assert.equal((envelope.header.trace as Record<string, string>).trace_id, traceId);
    const event = envelope.items[0]!.payload as Record<string, any>;
    assert.match(eventId, /^[0-9a-f]{32}$/);
    assert.equal(event.contexts.trace.trace_id, traceId);
    assert.equal(event.platform, 'node');
    assert.deepEqual(event.tags, { tool: 'search', attempt: '2' });
    const [inner, outer] = event.exception.values;
    assert.equal(inner.type, 'TypeError');
    assert.equal(outer.type, 'Error');
    assert.equal(outer.value, 'tool failed');
    assert.deepEqual(outer.mechanism, { type: 'generic', handled: true });
    const frames = outer.stacktrace.frames as Array<Record<string, unknown>>;
    const last = frames.at(-1)!;
    assert.match(String(last.filename), /delivery\.test\.ts$/);
    assert.equal(last.in_app, true);
    assert.equal(typeof last.lineno, 'number');
  });
});

describe('transport behaviour', () => {
  test('large batches are gzipped', async () => {
    start({ tracesSampleRate: 1 });
    startSpan({ name: 'root' }, () => {
      for (let i = 0; i < 200; i++)
        startSpan({ name: `child ${i}`, attributes: { text: 'lorem ipsum '.repeat(10) } }, () => {});
    });
    await flush(2000);
    const [envelope] = receiver.envelopes;
    assert.equal(envelope?.headers['content-encoding'], 'gzip');
    assert.equal(receiver.records('span').length, 201);
    assert.ok(envelope!.wireBytes < 20_000, `compressed to ${envelope!.wireBytes} bytes`);
  });

  test('5xx and network errors are retried with backoff; the data arrives once', async () => {
    let calls = 0;
    receiver.respond = () => (++calls <= 2 ? { status: 503 } : undefined);
    start({ tracesSampleRate: 1, transport: (o) => makeHttpTransport({ ...o, backoffMs: 10 }) });
    startSpan({ name: 'retried' }, () => {});
    assert.equal(await flush(3000), true);
    assert.equal(calls, 3);
    assert.equal(receiver.records('span').length, 1);
  });

  test('a dead endpoint: retries give up, the loss is counted as network_error', async () => {
    setup({
      dsn: 'http://k@127.0.0.1:9/1',
      transport: (o) => makeHttpTransport({ ...o, backoffMs: 5, maxRetries: 1 }),
      tracesSampleRate: 1,
    });
    startSpan({ name: 'lost' }, () => {});
    await getClient()!.processors.at(-1)!.forceFlush!(3000);
    assert.deepEqual(getClient()!.takeDiscardedEvents(), [
      { reason: 'network_error', category: 'span', quantity: 1 },
    ]);
  });

  test('429 with X-Sentry-Rate-Limits backs off that category only, and counts the drops', async () => {
    receiver.respond = (e) =>
      e.items[0]?.header.type === 'span'
        ? { status: 429, headers: { 'x-sentry-rate-limits': '60:span:organization' } }
        : undefined;
    start({ tracesSampleRate: 1, sendClientReports: false });
    startSpan({ name: 'first' }, () => {});
    await flush(2000);
    startSpan({ name: 'second' }, () => {});
    logger.info('still sent');
    await flush(2000);
    assert.equal(receiver.records('span').length, 0);
    assert.equal(receiver.records('log').length, 1);
    assert.deepEqual(getClient()!.takeDiscardedEvents(), [
      { reason: 'ratelimit_backoff', category: 'span', quantity: 2 },
    ]);
  });

  test('429 with Retry-After only backs off everything', async () => {
    receiver.respond = () => ({ status: 429, headers: { 'retry-after': '30' } });
    start({ tracesSampleRate: 1, sendClientReports: false });
    startSpan({ name: 'first' }, () => {});
    await flush(2000);
    receiver.respond = () => undefined;
    logger.info('held back');
    await flush(2000);
    assert.equal(receiver.envelopes.length, 0);
  });

  test('flush and close resolve false on timeout against an endpoint that never answers', async () => {
    receiver.respond = () => 'hang';
    start({ tracesSampleRate: 1, transport: (o) => makeHttpTransport({ ...o, timeoutMs: 5000 }) });
    startSpan({ name: 'stuck' }, () => {});
    const started = Date.now();
    assert.equal(await flush(100), false);
    assert.equal(await close(100), false);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });

  test('a million spans against a dead endpoint: memory stays bounded, drops are counted', async () => {
    setup({
      dsn: 'http://k@127.0.0.1:9/1',
      transport: (o) => makeHttpTransport({ ...o, backoffMs: 50, maxRetries: 2 }),
      tracesSampleRate: 1,
      sendClientReports: false,
    });
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    for (let r = 0; r < 10_000; r++) {
      startSpan({ name: 'root' }, () => {
        for (let c = 0; c < 99; c++) startSpan({ name: 'child', attributes: { i: c } }, () => {});
      });
      if (r % 500 === 0) {
        await sleep(0);
        // Live heap, not garbage the collector has not reached yet: on a loaded machine the latter
        // swings by hundreds of MiB and says nothing about what the queue holds.
        global.gc?.();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }
    await sleep(50);
    global.gc?.();
    const after = process.memoryUsage().heapUsed;
    const drops = getClient()!.takeDiscardedEvents();
    const dropped = drops.reduce((n, d) => n + d.quantity, 0);
    assert.ok(dropped > 900_000, `dropped ${dropped}: ${JSON.stringify(drops)}`);
    assert.ok(peak - before < 200 * 1024 * 1024, `peak live heap growth ${(peak - before) >> 20} MiB`);
    assert.ok(after - before < 150 * 1024 * 1024, `heap growth ${(after - before) >> 20} MiB`);
  });
});

describe('hooks and bad input', () => {
  test('beforeSendLog / beforeSendMetric can change or drop; throwing hooks drop and count', async () => {
    start({
      beforeSendLog: (log) => (log.body.includes('secret') ? null : { ...log, body: log.body.toUpperCase() }),
      beforeSendMetric: (metric) => {
        if (metric.name === 'boom') throw new Error('hook failed');
        return metric;
      },
    });
    logger.info('hello');
    logger.info('a secret');
    metrics.count('ok');
    metrics.count('boom');
    await flush(2000);
    assert.deepEqual(
      receiver.records<{ body: string }>('log').map((l) => l.body),
      ['HELLO'],
    );
    assert.deepEqual(
      receiver.records<{ name: string }>('trace_metric').map((m) => m.name),
      ['ok'],
    );
    const reports = receiver
      .items('client_report')
      .flatMap((i) => (i.payload as { discarded_events: unknown[] }).discarded_events);
    assert.deepEqual(reports, [
      { reason: 'before_send', category: 'log_item', quantity: 1 },
      { reason: 'before_send', category: 'trace_metric', quantity: 1 },
    ]);
  });

  test('bad metric names and values are dropped and counted; odd log input is made safe', async () => {
    start({ sendClientReports: false });
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    assert.doesNotThrow(() => {
      metrics.count('');
      metrics.count('has spaces in it');
      metrics.gauge('x', Number.NaN);
      metrics.distribution('y', '12' as never);
      metrics.count(42 as never);
      logger.info({ not: 'a string' } as never, {
        circular,
        fn: () => 1,
        big: 10n,
        long: 'x'.repeat(100_000),
      });
      logger.error(undefined as never);
      logger.info('hostile', null as never);
    });
    await flush(2000);
    assert.deepEqual(getClient()?.takeDiscardedEvents(), [
      { reason: 'invalid_data', category: 'trace_metric', quantity: 5 },
    ]);
    const logs = receiver.records<{ body: string; attributes: Record<string, { value: unknown }> }>('log');
    assert.equal(logs.length, 3);
    assert.equal(logs[0]?.body, '{"not":"a string"}');
    assert.equal(logs[0]?.attributes.big?.value, '10');
    assert.equal(logs[0]?.attributes.fn, undefined);
    assert.equal(typeof logs[0]?.attributes.circular?.value, 'string');
    assert.ok(String(logs[0]?.attributes.long?.value).length <= 8193);
  });

  test('custom samplingContext appears in no envelope', async () => {
    start({ tracesSampler: ({ user_id }) => (user_id === 12312012 ? 1 : 0) });
    startSpan(
      { name: 'GET /search', samplingContext: { user_id: 12312012, search_results: ['private-result'] } },
      () => {
        logger.info('searched');
        metrics.count('searches');
      },
    );
    await flush(2000);
    assert.equal(receiver.records('span').length, 1);
    const wire = JSON.stringify(receiver.envelopes);
    assert.doesNotMatch(wire, /12312012|user_id|search_results|private-result/);
  });

  test('enableLogs / enableMetrics false send nothing of either', async () => {
    start({ enableLogs: false, enableMetrics: false, sendClientReports: false });
    logger.info('x');
    metrics.count('y');
    await flush(2000);
    assert.equal(receiver.envelopes.length, 0);
  });
});

describe('item size', () => {
  test('items stay under 1 MiB: big batches are split into several envelopes, nothing lost', async () => {
    start({ tracesSampleRate: 1, sendClientReports: false });
    const text = 'x'.repeat(7000);
    startSpan({ name: 'root' }, () => {
      for (let i = 0; i < 400; i++) startSpan({ name: `c${i}`, attributes: { text } }, () => {});
    });
    for (let i = 0; i < 300; i++) logger.info(text, { i });
    await flush(5000);
    const spanItems = receiver.items('span');
    assert.ok(spanItems.length >= 3, `${spanItems.length} span items`);
    assert.equal(receiver.records('span').length, 401);
    assert.equal(receiver.records('log').length, 300);
    for (const envelope of receiver.envelopes) {
      for (const item of envelope.items) assert.ok(JSON.stringify(item.payload).length < 1_048_576);
    }
    // All spans of the trace carry the same DSC, whichever envelope they came in.
    assert.equal(
      new Set(
        receiver.envelopes
          .filter((e) => e.items[0]?.header.type === 'span')
          .map((e) => JSON.stringify(e.header.trace)),
      ).size,
      1,
    );
  });
});

describe('error hooks', () => {
  test('beforeSend can change an event or drop it (counted)', async () => {
    start({
      beforeSend: (event) =>
        (event.tags as Record<string, string> | undefined)?.drop === 'yes'
          ? null
          : { ...event, level: 'warning' },
    });
    const kept = captureException(new Error('kept'));
    const dropped = captureException(new Error('dropped'), { attributes: { drop: 'yes' } });
    await flush(2000);
    assert.match(kept, /^[0-9a-f]{32}$/);
    assert.equal(dropped, '');
    const events = receiver.items('event').map((i) => i.payload as { level: string });
    assert.deepEqual(
      events.map((e) => e.level),
      ['warning'],
    );
    const reports = receiver
      .items('client_report')
      .flatMap((i) => (i.payload as { discarded_events: unknown[] }).discarded_events);
    assert.deepEqual(reports, [{ reason: 'before_send', category: 'error', quantity: 1 }]);
  });
});

describe('bursts', () => {
  test('500 traces ending in one tick all arrive: envelopes wait their turn instead of being dropped', async () => {
    start({ tracesSampleRate: 1, sendClientReports: false });
    for (let i = 0; i < 500; i++)
      startSpan({ name: `job ${i}` }, () => startSpan({ name: 'step' }, () => {}));
    assert.equal(await flush(10_000), true);
    // Only this test's traces: a late envelope from an earlier test may share the receiver.
    const spans = receiver.records<{ name: string; trace_id: string }>('span');
    const jobs = new Set(spans.filter((s) => /^job \d+$/.test(s.name)).map((s) => s.trace_id));
    assert.equal(jobs.size, 500);
    assert.equal(spans.filter((s) => jobs.has(s.trace_id)).length, 1000);
    assert.deepEqual(getClient()?.takeDiscardedEvents(), []);
  });
});
