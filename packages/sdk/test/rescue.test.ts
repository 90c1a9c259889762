/** Trace rescue: the pure triggers and options, then the decision as the SDK applies it. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { trace as otelTrace } from '@opentelemetry/api';
import {
  captureException,
  continueTrace,
  type Envelope,
  flush,
  getClient,
  getTraceData,
  type ReadableSpan,
  type SieveOptions,
  type Span,
  startInactiveSpan,
  startSpan,
} from '../src/index.js';
import { RESCUE_DEFAULTS, resolveRescueOptions } from '../src/rescue/options.js';
import { estimateSpanBytes, isFailure, isGenAiStart } from '../src/rescue/triggers.js';
import type { RecordingSpan } from '../src/trace/span.js';
import { sentryBaggage, setup, teardown } from './helpers.js';

afterEach(teardown);

const T = '0af7651916cd43dd8448eb211c80319c';
const S = 'b7ad6b7169203331';

describe('pure parts', () => {
  test('isGenAiStart: gen_ai.operation.name, ai.operationId or op gen_ai.*', () => {
    const rows: Array<[string | undefined, Record<string, string> | undefined, boolean]> = [
      ['gen_ai.chat', undefined, true],
      ['gen_ai.invoke_agent', {}, true],
      [undefined, { 'gen_ai.operation.name': 'chat' }, true],
      ['http.client', { 'gen_ai.operation.name': 'embeddings' }, true],
      [undefined, { 'ai.operationId': 'ai.generateText' }, true],
      ['db', { 'gen_ai.request.model': 'gpt-4o' }, false],
      ['gen_ai', undefined, false],
      [undefined, undefined, false],
      ['http.server', { 'url.path': '/api/chat' }, false],
    ];
    for (const [op, attributes, expected] of rows) {
      assert.equal(isGenAiStart(op, attributes), expected, `${op} ${JSON.stringify(attributes)}`);
    }
  });

  test('isFailure: error status, except an HTTP 4xx', () => {
    const rows: Array<[0 | 1 | 2, Record<string, number | string>, boolean]> = [
      [2, {}, true],
      [2, { 'http.response.status_code': 500 }, true],
      [2, { 'http.response.status_code': 503 }, true],
      [2, { 'http.response.status_code': 404 }, false],
      [2, { 'http.response.status_code': 499 }, false],
      [2, { 'http.response.status_code': '404' }, true],
      [1, { 'http.response.status_code': 500 }, false],
      [0, {}, false],
    ];
    for (const [code, attributes, expected] of rows) {
      assert.equal(isFailure({ code }, attributes), expected, `${code} ${JSON.stringify(attributes)}`);
    }
  });

  test('resolveRescueOptions: defaults, off switches, triggers, bad values warn and fall back', () => {
    const rows: Array<[unknown, ReturnType<typeof resolveRescueOptions>, number]> = [
      [undefined, RESCUE_DEFAULTS, 0],
      [true, RESCUE_DEFAULTS, 0],
      [false, undefined, 0],
      [null, undefined, 0],
      [{ on: false }, undefined, 0],
      [{ on: [] }, undefined, 0],
      [{ on: ['error'] }, { ...RESCUE_DEFAULTS, genAi: false }, 0],
      [{ on: ['gen_ai'] }, { ...RESCUE_DEFAULTS, error: false }, 0],
      [{ on: ['gen_ai', 'bogus'] }, RESCUE_DEFAULTS, 1],
      [{ on: 'gen_ai' }, RESCUE_DEFAULTS, 1],
      [
        { maxBufferedSpans: 10, maxBufferedBytes: 2048.7, maxTraceDurationMs: 5 },
        { ...RESCUE_DEFAULTS, maxBufferedSpans: 10, maxBufferedBytes: 2048, maxTraceDurationMs: 5 },
        0,
      ],
      [{ maxBufferedSpans: 0 }, RESCUE_DEFAULTS, 1],
      [{ maxBufferedBytes: Number.NaN, maxTraceDurationMs: '60' }, RESCUE_DEFAULTS, 2],
      ['yes', RESCUE_DEFAULTS, 1],
      [[], RESCUE_DEFAULTS, 1],
    ];
    for (const [input, expected, warningCount] of rows) {
      const warnings: string[] = [];
      assert.deepEqual(resolveRescueOptions(input, warnings), expected, JSON.stringify(input));
      assert.equal(warnings.length, warningCount, `${JSON.stringify(input)}: ${warnings.join('; ')}`);
    }
  });

  test('estimateSpanBytes grows with the name, attributes, strings and events', () => {
    const empty = estimateSpanBytes('s', {}, []);
    const some = estimateSpanBytes('s', { a: 1, b: true }, []);
    const big = estimateSpanBytes('s', { a: 'x'.repeat(10_000) }, []);
    const events = estimateSpanBytes('s', {}, [{ name: 'e', time: 0, attributes: { m: 'y'.repeat(100) } }]);
    assert.ok(
      empty >= 300 && some > empty && big > 10_000 && events > empty + 100,
      `${empty} ${some} ${big} ${events}`,
    );
  });
});

/** A transport that keeps every envelope, so tests read what really went out (DSC, client reports). */
function rescueSetup(options: SieveOptions = {}) {
  const envelopes: Envelope[] = [];
  const memory = setup({
    tracesSampleRate: 0,
    rescue: undefined,
    transport: () => ({
      send: async (envelope) => {
        envelopes.push(envelope);
        return { statusCode: 200 };
      },
      flush: async () => true,
    }),
    ...options,
  });
  const spans = () => memory.getFinishedSpans();
  const byName = (name: string): ReadableSpan => {
    const span = spans().find((s) => s.name === name);
    assert.ok(span, `span ${name} was sent; sent: ${spans().map((s) => s.name)}`);
    return span;
  };
  /** Client-report counts from the envelopes, as `reason/category` → quantity. */
  const reports = async () => {
    await flush(1000);
    const out: Record<string, number> = {};
    for (const [, items] of envelopes) {
      for (const [header, payload] of items) {
        if (header.type !== 'client_report') continue;
        for (const d of (
          payload as { discarded_events: Array<{ reason: string; category: string; quantity: number }> }
        ).discarded_events) {
          out[`${d.reason}/${d.category}`] = (out[`${d.reason}/${d.category}`] ?? 0) + d.quantity;
        }
      }
    }
    return out;
  };
  const spanEnvelopeHeaders = async () => {
    await flush(1000);
    return envelopes
      .filter(([, items]) => items.some(([h]) => h.type === 'span'))
      .map(([header]) => header.trace as Record<string, string>);
  };
  return { memory, spans, byName, reports, spanEnvelopeHeaders, envelopes };
}

const rescueStats = () => getClient()!.rescue!.stats();

describe('rescue of a dropped trace', () => {
  test('a plain dropped trace is buffered, freed when its root ends, and counted once as a head drop', async () => {
    const t = rescueSetup();
    startSpan({ name: 'GET /users' }, (root) => {
      assert.equal(root.isRecording(), true, 'the dropped root records into the buffer');
      for (let i = 0; i < 3; i++) startSpan({ name: `db ${i}`, op: 'db' }, () => {});
      assert.equal(rescueStats().spans, 4, 'root + 3 ended children buffered');
    });
    assert.deepEqual(t.spans(), []);
    assert.equal(rescueStats().spans, 0);
    assert.equal(rescueStats().bytes, 0);
    assert.deepEqual(await t.reports(), { 'sample_rate/transaction': 1, 'sample_rate/span': 4 });
  });

  test('a gen_ai span promotes the trace: every span sent, root weight 1, sieve.rescued, sampled DSC', async () => {
    const t = rescueSetup();
    let late: Span | undefined;
    startSpan(
      { name: 'POST /api/support', op: 'http.server', attributes: { 'sentry.sample_rate': 0.3 } },
      () => {
        startSpan({ name: 'auth', op: 'function' }, () => {});
        late = startInactiveSpan({ name: 'still open', op: 'queue' });
        assert.ok(getTraceData()['sentry-trace']?.endsWith('-0'));
        startSpan({ name: 'agent', op: 'gen_ai.invoke_agent' }, () => {
          startSpan({ name: 'chat gpt-4o', attributes: { 'gen_ai.operation.name': 'chat' } }, () => {});
          const data = getTraceData();
          assert.ok(data['sentry-trace']?.endsWith('-1'), 'requests after promotion carry the sampled flag');
          assert.ok(data.traceparent?.endsWith('-03'), data.traceparent);
          assert.equal(sentryBaggage(data.baggage).sampled, 'true');
          assert.equal(sentryBaggage(data.baggage).sample_rate, '1');
        });
        late!.end();
      },
    );
    const root = t.byName('POST /api/support');
    assert.deepEqual(
      t
        .spans()
        .map((s) => s.name)
        .sort(),
      ['POST /api/support', 'agent', 'auth', 'chat gpt-4o', 'still open'],
    );
    for (const span of t.spans()) {
      assert.equal(span.traceId, root.traceId);
      assert.equal(span.sampled, true);
      if (span !== root)
        assert.ok(
          t.spans().some((p) => p.spanId === span.parentSpanId),
          `${span.name} has its parent`,
        );
    }
    assert.equal(root.attributes['sieve.rescued'], 'gen_ai');
    assert.equal(root.attributes['sentry.sample_rate'], 1);
    assert.equal(root.dynamicSamplingContext().sampled, 'true');
    assert.equal(root.dynamicSamplingContext().sample_rate, '1');
    const headers = await t.spanEnvelopeHeaders();
    assert.ok(headers.length >= 1);
    for (const h of headers) assert.deepEqual([h.sampled, h.sample_rate], ['true', '1']);
    assert.deepEqual(await t.reports(), {}, 'a rescued trace is not a drop');
    assert.equal(rescueStats().promoted, 1);
  });

  test('a gen_ai root (an agent run as root) promotes itself at start', () => {
    const t = rescueSetup();
    startSpan({ name: 'nightly agent', op: 'gen_ai.invoke_agent' }, (root) => {
      assert.equal(root.spanContext().traceFlags & 1, 1);
      startSpan({ name: 'tool' }, () => {});
    });
    assert.equal(t.byName('nightly agent').attributes['sieve.rescued'], 'gen_ai');
    assert.equal(t.spans().length, 2);
  });

  test('failures promote: error status, a thrown callback, captureException, a 5xx root; a 4xx does not', async () => {
    const cases: Array<[string, (root: Span) => void, boolean]> = [
      [
        'error status',
        () => startSpan({ name: 'c' }, (s) => s.setStatus({ code: 2, message: 'internal_error' })),
        true,
      ],
      [
        'thrown',
        () => {
          try {
            startSpan({ name: 'c' }, () => {
              throw new Error('boom');
            });
          } catch {}
        },
        true,
      ],
      [
        'captureException',
        () => startSpan({ name: 'c' }, () => captureException(new Error('handled'))),
        true,
      ],
      [
        '5xx root',
        (root) => {
          startSpan({ name: 'c' }, () => {});
          root.setAttribute('http.response.status_code', 500);
          root.setStatus({ code: 2, message: 'internal_error' });
        },
        true,
      ],
      [
        '404 root',
        (root) => {
          startSpan({ name: 'c' }, () => {});
          root.setAttribute('http.response.status_code', 404);
          root.setStatus({ code: 2, message: 'not_found' });
        },
        false,
      ],
      ['ok status', () => startSpan({ name: 'c' }, (s) => s.setStatus({ code: 1 })), false],
    ];
    for (const [what, body, rescued] of cases) {
      const t = rescueSetup();
      startSpan({ name: 'root', op: 'http.server' }, body);
      assert.equal(t.spans().length, rescued ? 2 : 0, what);
      if (rescued) assert.equal(t.byName('root').attributes['sieve.rescued'], 'error', what);
      await teardown();
    }
  });

  test('captureException in a dropped trace sends an event whose trace context says sampled', async () => {
    const t = rescueSetup();
    startSpan({ name: 'job' }, () => captureException(new Error('x')));
    await flush(1000);
    const event = t.envelopes.find(([, items]) => items[0]?.[0].type === 'event');
    assert.ok(event, 'the error event was sent');
    assert.equal((event[0].trace as Record<string, string>).sampled, 'true');
  });

  test('a failure after the local root ended does not rescue; the late span is counted once', async () => {
    const t = rescueSetup();
    let late: Span | undefined;
    startSpan({ name: 'root' }, () => {
      late = startInactiveSpan({ name: 'background' });
    });
    late!.setStatus({ code: 2 });
    late!.end();
    assert.deepEqual(t.spans(), []);
    assert.deepEqual(await t.reports(), { 'sample_rate/transaction': 1, 'sample_rate/span': 2 });
  });

  test('forced sampled: false is never rescued (the seed: a decision passed at start is not overwritten)', async () => {
    const t = rescueSetup({ tracesSampleRate: 1 });
    startSpan({ name: 'forced', sampled: false }, (root) => {
      assert.equal(root.isRecording(), false);
      startSpan({ name: 'llm', op: 'gen_ai.chat' }, () => {});
    });
    assert.deepEqual(t.spans(), []);
    assert.equal(rescueStats().promoted, 0);
    assert.deepEqual(await t.reports(), { 'sample_rate/transaction': 1, 'sample_rate/span': 2 });
  });

  test('tracing disabled (no rate, no sampler): rescue does not turn it on', () => {
    const t = rescueSetup({ tracesSampleRate: undefined });
    startSpan({ name: 'r' }, (root) => {
      assert.equal(root.isRecording(), false);
      startSpan({ name: 'llm', op: 'gen_ai.chat' }, () => {});
      assert.equal(getTraceData()['sentry-trace']?.split('-').length, 2, 'no decision is made up');
    });
    assert.equal(getClient()!.rescue, undefined);
    assert.deepEqual(t.spans(), []);
  });

  test('on: [error] ignores gen_ai; rescue: false is plain head sampling', () => {
    let t = rescueSetup({ rescue: { on: ['error'] } });
    startSpan({ name: 'r' }, () => startSpan({ name: 'llm', op: 'gen_ai.chat' }, () => {}));
    assert.deepEqual(t.spans(), []);
    startSpan({ name: 'r2' }, () => startSpan({ name: 'bad' }, (s) => s.setStatus({ code: 2 })));
    assert.equal(t.spans().length, 2);
    t = rescueSetup({ rescue: false });
    startSpan({ name: 'r' }, (root) => {
      assert.equal(root.isRecording(), false);
      startSpan({ name: 'bad' }, (s) => s.setStatus({ code: 2 }));
    });
    assert.deepEqual(t.spans(), []);
  });

  test('a head-sampled trace with AI work gets weight 1 (no sieve.rescued); a plain one keeps 1/p', () => {
    // rand 0.1 < 0.5: sampled by the head.
    const t = rescueSetup({ tracesSampleRate: 0.5, random: () => 0.1 });
    startSpan({ name: 'plain' }, () => startSpan({ name: 'db' }, () => {}));
    startSpan({ name: 'ai' }, () => {
      startSpan({ name: 'llm', op: 'gen_ai.chat' }, () => {});
      assert.equal(sentryBaggage(getTraceData().baggage).sample_rate, '1');
    });
    startSpan({ name: 'failing' }, (root) => root.setStatus({ code: 2 }));
    assert.equal(t.byName('plain').attributes['sentry.sample_rate'], 0.5);
    assert.equal(t.byName('ai').attributes['sentry.sample_rate'], 1);
    assert.equal(t.byName('failing').attributes['sentry.sample_rate'], 1);
    assert.equal(t.byName('ai').attributes['sieve.rescued'], undefined);
    assert.equal(t.byName('ai').dynamicSamplingContext().sample_rate, '1');
  });

  test('an inherited negative decision: the local part is rescued, its parent is the remote span', () => {
    const t = rescueSetup({ tracesSampleRate: 1 });
    continueTrace(
      { 'sentry-trace': `${T}-${S}-0`, baggage: 'sentry-sample_rate=0.1,sentry-sample_rand=0.5,other=x' },
      () => {
        startSpan({ name: 'POST /chat' }, () => {
          startSpan({ name: 'llm', op: 'gen_ai.chat' }, () => {});
          const baggage = getTraceData().baggage;
          assert.equal(sentryBaggage(baggage).sampled, 'true');
          assert.equal(sentryBaggage(baggage).sample_rate, '1');
          assert.equal(sentryBaggage(baggage).sample_rand, '0.5');
          assert.match(baggage ?? '', /other=x/);
        });
      },
    );
    const root = t.byName('POST /chat');
    assert.equal(root.traceId, T);
    assert.equal(root.parentSpanId, S);
    assert.equal(root.attributes['sieve.rescued'], 'gen_ai');
  });

  test('local roots of one trace: each has its own buffer; a rescue promotes the others still open', async () => {
    const t = rescueSetup({ tracesSampleRate: 1 });
    const headers = { 'sentry-trace': `${T}-${S}-0` };
    // A ends plain before anything happens: freed on its own, B and C untouched.
    continueTrace(headers, () => startSpan({ name: 'A' }, () => startSpan({ name: 'a1' }, () => {})));
    assert.equal(rescueStats().traces, 0);
    const b = continueTrace(headers, () => startInactiveSpan({ name: 'B' }));
    const c = continueTrace(headers, () => startInactiveSpan({ name: 'C' }));
    startSpan({ name: 'b1', parentSpan: b }, () => {});
    assert.equal(rescueStats().traces, 2);
    startSpan({ name: 'c-llm', op: 'gen_ai.chat', parentSpan: c }, () => {});
    assert.equal(rescueStats().traces, 0, 'B promoted with C');
    b.end();
    c.end();
    assert.deepEqual(
      t
        .spans()
        .map((s) => s.name)
        .sort(),
      ['B', 'C', 'b1', 'c-llm'],
    );
    assert.equal(t.byName('B').attributes['sieve.rescued'], 'gen_ai');
    assert.deepEqual(await t.reports(), { 'sample_rate/transaction': 1, 'sample_rate/span': 2 });
  });

  test('the OpenTelemetry bridge: a gen_ai span from an OpenTelemetry tracer rescues the Sieve trace', () => {
    const t = rescueSetup();
    startSpan({ name: 'POST /api/generate' }, () => {
      otelTrace
        .getTracer('ai')
        .startActiveSpan(
          'ai.generateText',
          { attributes: { 'ai.operationId': 'ai.generateText' } },
          (span) => {
            span.end();
          },
        );
    });
    assert.deepEqual(
      t
        .spans()
        .map((s) => s.name)
        .sort(),
      ['POST /api/generate', 'ai.generateText'],
    );
  });

  test('a processor promoting the trace itself (TraceState.promote) still gets the buffered spans', () => {
    const vip = {
      onStart: (span: ReadableSpan) => {
        if (span.name === 'vip') (span as RecordingSpan).trace.promote(1);
      },
      onEnd: () => {},
    };
    const t = rescueSetup({ spanProcessors: [vip] });
    startSpan({ name: 'root' }, () => {
      startSpan({ name: 'before' }, () => {});
      startSpan({ name: 'vip' }, () => {});
    });
    assert.deepEqual(
      t
        .spans()
        .map((s) => s.name)
        .sort(),
      ['before', 'root', 'vip'],
    );
    assert.equal(rescueStats().traces, 0);
  });

  test('real outgoing requests: -0 before the promotion, -1 after (node:http and fetch)', async () => {
    const seen: Array<{
      path: string;
      sentryTrace: string;
      traceparent: string;
      sampled: string | undefined;
    }> = [];
    const downstream = http.createServer((req, res) => {
      seen.push({
        path: req.url ?? '',
        sentryTrace: String(req.headers['sentry-trace']),
        traceparent: String(req.headers.traceparent),
        sampled: sentryBaggage(req.headers.baggage).sampled,
      });
      res.end('ok');
    });
    await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}`;
    const get = (path: string) =>
      new Promise<void>((resolve, reject) =>
        http.get(`${url}${path}`, (res) => res.resume().on('end', resolve)).on('error', reject),
      );
    try {
      const t = rescueSetup({ httpClient: true, fetch: true });
      await startSpan({ name: 'POST /api/chat' }, async () => {
        await get('/before');
        await startSpan({ name: 'llm', op: 'gen_ai.chat' }, async () => {});
        await get('/after');
        await (await fetch(`${url}/after-fetch`)).text();
      });
      assert.deepEqual(
        seen.map((r) => [r.path, r.sentryTrace.slice(-2), r.traceparent.slice(-2), r.sampled]),
        [
          ['/before', '-0', '02', 'false'],
          ['/after', '-1', '03', 'true'],
          ['/after-fetch', '-1', '03', 'true'],
        ],
      );
      // The client spans are part of the rescued trace, the one made before the promotion included.
      assert.equal(t.spans().filter((s) => s.op === 'http.client').length, 3);
    } finally {
      downstream.close();
    }
  });
});
