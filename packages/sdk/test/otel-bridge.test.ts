import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  context,
  createContextKey,
  isSpanContextValid,
  type Span as OtelSpan,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { generateText } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import {
  getActiveSpan,
  getTraceData,
  installOpenTelemetryBridge,
  type ReadableSpan,
  type SamplingContext,
  SieveTracerProvider,
  startInactiveSpan,
  startNewTrace,
  startSpan,
  uninstallOpenTelemetryBridge,
  withActiveSpan,
} from '../src/index.js';
import { captureWarnings, names, sentryBaggage, setup, teardown } from './helpers.js';

const tracer = () => trace.getTracer('otel-bridge-test', '1.0.0');
const CUSTOM_KEY = createContextKey('sieve.test.custom');
// @opentelemetry/core's key (createContextKey is Symbol.for, so this is the same symbol).
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');
const UPSTREAM_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const UPSTREAM_SPAN = '00f067aa0ba902b7';

beforeEach(() => {
  uninstallOpenTelemetryBridge();
});
afterEach(async () => {
  uninstallOpenTelemetryBridge();
  await teardown();
});

/** setup() as every test file does it, then the bridge (init() will install it by default). */
function setupBridge(options: Parameters<typeof setup>[0] = { tracesSampleRate: 1 }) {
  const memory = setup(options);
  assert.equal(installOpenTelemetryBridge(), true);
  return memory;
}

function byName(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const span = spans.find((s) => s.name === name);
  assert.ok(span, `no span named ${name} among ${names(spans).join(', ')}`);
  return span;
}

describe('OpenTelemetry API spans are Sieve spans', () => {
  test('OpenTelemetry spans nest under Sieve spans and the other way round, across await', async () => {
    const memory = setupBridge();
    await startSpan({ name: 'sieve-root' }, async (root) => {
      // The active Sieve span is OpenTelemetry's active span, the same object.
      assert.equal(trace.getActiveSpan(), root);
      await sleep(1);
      await tracer().startActiveSpan('otel-child', async (otel) => {
        assert.equal(getActiveSpan(), otel);
        assert.equal(trace.getActiveSpan(), otel);
        await sleep(1);
        await startSpan({ name: 'sieve-grandchild' }, async () => {
          await sleep(1);
          tracer().startSpan('otel-leaf').end();
        });
        otel.end();
      });
      tracer().startSpan('otel-inactive').end();
    });
    const spans = memory.getFinishedSpans();
    const root = byName(spans, 'sieve-root');
    const otelChild = byName(spans, 'otel-child');
    const grandchild = byName(spans, 'sieve-grandchild');
    assert.equal(otelChild.parentSpanId, root.spanId);
    assert.equal(grandchild.parentSpanId, otelChild.spanId);
    assert.equal(byName(spans, 'otel-leaf').parentSpanId, grandchild.spanId);
    assert.equal(byName(spans, 'otel-inactive').parentSpanId, root.spanId);
    for (const span of spans) assert.equal(span.traceId, root.traceId);
    assert.equal(root.isSegment, true);
    assert.equal(otelChild.segment, root);
  });

  test('context.with(trace.setSpan(...)) makes a span active for Sieve too; an explicit context picks the parent', () => {
    const memory = setupBridge();
    const parent = tracer().startSpan('otel-parent');
    context.with(trace.setSpan(context.active(), parent), () => {
      assert.equal(getActiveSpan(), parent);
      startSpan({ name: 'sieve-under-otel' }, () => {});
    });
    assert.equal(getActiveSpan(), undefined);
    const other = startInactiveSpan({ name: 'sieve-inactive' });
    startSpan({ name: 'unrelated-root' }, () => {
      tracer().startSpan('explicit-parent', {}, trace.setSpan(context.active(), other)).end();
      tracer().startSpan('explicit-root', { root: true }).end();
      // A context without a span starts a new trace, as OpenTelemetry's tracer does.
      tracer().startSpan('empty-context', {}, ROOT_CONTEXT).end();
    });
    other.end();
    parent.end();
    const spans = memory.getFinishedSpans();
    assert.equal(byName(spans, 'sieve-under-otel').parentSpanId, parent.spanContext().spanId);
    assert.equal(byName(spans, 'explicit-parent').parentSpanId, other.spanContext().spanId);
    assert.equal(byName(spans, 'explicit-root').parentSpanId, undefined);
    assert.notEqual(byName(spans, 'explicit-root').traceId, byName(spans, 'unrelated-root').traceId);
    assert.equal(byName(spans, 'empty-context').parentSpanId, undefined);
  });

  test('the OpenTelemetry span API works on them', () => {
    const memory = setupBridge();
    const span = tracer().startSpan('first', {
      kind: SpanKind.CLIENT,
      attributes: { 'sentry.op': 'http.client', 'http.request.method': 'GET' },
      startTime: new Date(1_700_000_000_000),
      links: [{ context: { traceId: UPSTREAM_TRACE, spanId: UPSTREAM_SPAN, traceFlags: 1 } }],
    });
    const sc = span.spanContext();
    assert.ok(isSpanContextValid(sc));
    assert.equal(sc.traceFlags & TraceFlags.SAMPLED, TraceFlags.SAMPLED);
    assert.equal(span.isRecording(), true);
    span
      .setAttribute('n', 1)
      .setAttributes({ s: 'v', arr: ['a', 'b'] })
      .addEvent('with-hrtime', { k: 'v' }, [1_700_000_000, 500_000_000])
      .addLink({ context: sc })
      .addLinks([])
      .updateName('second')
      .setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
    span.recordException({ name: 'APICallError', message: 'boom', stack: 'APICallError: boom\n  at x' });
    span.end([1_700_000_001, 0]);
    assert.equal(span.isRecording(), false);
    span.setAttribute('late', 1);
    const [done] = memory.getFinishedSpans();
    assert.equal(done?.name, 'second');
    assert.equal(done?.op, 'http.client');
    assert.equal(done?.startTime, 1_700_000_000_000);
    assert.equal(done?.endTime, 1_700_000_001_000);
    assert.deepEqual(done?.status, { code: 2, message: 'rate limited' });
    assert.equal(done?.attributes['otel.kind'], 'CLIENT');
    assert.equal(done?.attributes.n, 1);
    assert.deepEqual(done?.attributes.arr, ['a', 'b']);
    assert.equal(done?.attributes.late, undefined);
    assert.deepEqual(
      done?.events.map((e) => [e.name, e.time]),
      [
        ['with-hrtime', 1_700_000_000_500],
        ['exception', done?.events[1]?.time],
      ],
    );
    // OpenTelemetry's Exception is often a plain object; its fields are kept, not `[object Object]`.
    assert.deepEqual(done?.events[1]?.attributes, {
      'exception.type': 'APICallError',
      'exception.message': 'boom',
      'exception.stacktrace': 'APICallError: boom\n  at x',
    });
  });

  test('startActiveSpan reads its arguments by count and does not end the span', () => {
    const memory = setupBridge();
    const t = tracer();
    const a = t.startActiveSpan('one-arg', (span) => {
      span.end();
      return 1;
    });
    const b = t.startActiveSpan('two-args', { attributes: { x: 1 } }, (span) => {
      span.end();
      return 2;
    });
    const parent = startInactiveSpan({ name: 'parent' });
    const c = t.startActiveSpan('three-args', {}, trace.setSpan(ROOT_CONTEXT, parent), (span) => {
      assert.equal(getActiveSpan(), span);
      span.end();
      return 3;
    });
    let open: OtelSpan | undefined;
    t.startActiveSpan('left-open', (span) => {
      open = span;
    });
    parent.end();
    assert.deepEqual([a, b, c], [1, 2, 3]);
    const spans = memory.getFinishedSpans();
    assert.deepEqual(names(spans), ['one-arg', 'two-args', 'three-args', 'parent']);
    assert.equal(byName(spans, 'three-args').parentSpanId, parent.spanContext().spanId);
    open?.end();
    assert.equal(memory.getFinishedSpans().length, 5);
  });

  test('a provider used without the global registration makes the same Sieve spans', () => {
    const memory = setup({ tracesSampleRate: 1 });
    const t = new SieveTracerProvider().getTracer('direct');
    startSpan({ name: 'root' }, () => t.startSpan('direct-child').end());
    const spans = memory.getFinishedSpans();
    assert.equal(byName(spans, 'direct-child').parentSpanId, byName(spans, 'root').spanId);
  });
});

describe('sampling', () => {
  test('roots made through OpenTelemetry go through tracesSampler with their name and attributes', () => {
    const seen: SamplingContext[] = [];
    const memory = setupBridge({
      tracesSampler: (ctx) => {
        seen.push(ctx);
        return ctx.attributes['gen_ai.operation.name'] !== undefined ? 1 : 0;
      },
    });
    const t = tracer();
    t.startActiveSpan('chat gpt-4o', { attributes: { 'gen_ai.operation.name': 'chat' } }, (root) => {
      assert.equal(root.isRecording(), true);
      t.startActiveSpan('tool', (child) => {
        assert.equal(child.isRecording(), true);
        child.end();
      });
      root.end();
    });
    t.startActiveSpan('GET /health', { kind: SpanKind.SERVER }, (root) => {
      assert.equal(root.isRecording(), false);
      assert.equal(root.spanContext().traceFlags & TraceFlags.SAMPLED, 0);
      const child = t.startSpan('db.query');
      assert.equal(child.isRecording(), false);
      assert.ok(isSpanContextValid(child.spanContext()));
      child.end();
      startSpan({ name: 'sieve-child' }, (span) => assert.equal(span.isRecording(), false));
      t.startActiveSpan('nested', (nested) => {
        assert.equal(nested.isRecording(), false);
        nested.end();
      });
      root.end();
    });
    assert.deepEqual(
      seen.map((s) => [s.name, s.attributes]),
      [
        ['chat gpt-4o', { 'gen_ai.operation.name': 'chat' }],
        ['GET /health', { 'otel.kind': 'SERVER' }],
      ],
    );
    assert.deepEqual(names(memory.getFinishedSpans()), ['tool', 'chat gpt-4o']);
    assert.equal(memory.getFinishedSpans()[1]?.attributes['sentry.sample_rate'], 1);
  });

  test('suppressed tracing (OpenTelemetry exporters use it) records nothing, Sieve spans inside included', () => {
    const memory = setupBridge();
    startSpan({ name: 'root' }, () => {
      context.with(context.active().setValue(SUPPRESS_TRACING_KEY, true), () => {
        const span = tracer().startSpan('suppressed');
        assert.equal(span.isRecording(), false);
        context.with(trace.setSpan(context.active(), span), () => {
          startSpan({ name: 'sieve-inside' }, (s) => assert.equal(s.isRecording(), false));
        });
        span.end();
        const carrier: Record<string, string> = {};
        propagation.inject(context.active(), carrier);
        assert.deepEqual(carrier, {});
      });
    });
    assert.deepEqual(names(memory.getFinishedSpans()), ['root']);
  });
});

describe('context', () => {
  test('values other than the span survive context.with, Sieve spans, await and OpenTelemetry spans', async () => {
    const memory = setupBridge();
    const outer = context.active().setValue(CUSTOM_KEY, 'kept');
    await context.with(outer, async () => {
      assert.equal(context.active().getValue(CUSTOM_KEY), 'kept');
      await startSpan({ name: 'sieve' }, async (sieveSpan) => {
        await sleep(1);
        assert.equal(context.active().getValue(CUSTOM_KEY), 'kept');
        assert.equal(trace.getActiveSpan(), sieveSpan);
        await tracer().startActiveSpan('otel', async (otel) => {
          await sleep(1);
          assert.equal(context.active().getValue(CUSTOM_KEY), 'kept');
          assert.equal(trace.getActiveSpan(), otel);
          // The Vercel AI SDK re-enters the active context around every call.
          await context.with(context.active(), async () => {
            await sleep(1);
            assert.equal(getActiveSpan(), otel);
            assert.equal(context.active().getValue(CUSTOM_KEY), 'kept');
          });
          otel.end();
        });
        withActiveSpan(null, () => {
          assert.equal(trace.getActiveSpan(), undefined);
          assert.equal(context.active().getValue(CUSTOM_KEY), 'kept');
        });
        startNewTrace(() => assert.equal(context.active().getValue(CUSTOM_KEY), 'kept'));
        assert.equal(trace.getActiveSpan(), sieveSpan);
      });
      // Inner values do not leak out, and the outer context is as it was.
      assert.equal(trace.getActiveSpan(), undefined);
    });
    assert.equal(context.active().getValue(CUSTOM_KEY), undefined);
    const spans = memory.getFinishedSpans();
    assert.equal(byName(spans, 'otel').parentSpanId, byName(spans, 'sieve').spanId);
  });

  test('with() passes thisArg and arguments; bind() binds functions and event emitters', async () => {
    setupBridge();
    const ctx = context.active().setValue(CUSTOM_KEY, 'bound');
    const self = { factor: 3 };
    const result = context.with(
      ctx,
      function (this: typeof self, a: number, b: number) {
        return this.factor * (a + b);
      },
      self,
      1,
      2,
    );
    assert.equal(result, 9);

    const fn = context.bind(ctx, (x: number) => [x, context.active().getValue(CUSTOM_KEY)]);
    assert.deepEqual(fn(1), [1, 'bound']);
    assert.equal(fn.length, 1);

    const emitter = context.bind(ctx, new EventEmitter());
    const seen: unknown[] = [];
    const listener = () => seen.push(context.active().getValue(CUSTOM_KEY));
    emitter.on('tick', listener);
    emitter.once('tick', () => seen.push(`once:${context.active().getValue(CUSTOM_KEY)}`));
    await new Promise<void>((resolve) => setImmediate(resolve));
    emitter.emit('tick');
    emitter.emit('tick');
    emitter.off('tick', listener);
    emitter.emit('tick');
    assert.deepEqual(seen, ['bound', 'once:bound', 'bound']);
    assert.equal(emitter.listenerCount('tick'), 0);
  });
});

describe('propagator', () => {
  test('fields() lists the four headers', () => {
    setupBridge();
    assert.deepEqual(propagation.fields(), ['sentry-trace', 'baggage', 'traceparent', 'tracestate']);
  });

  test('inject inside a Sieve span writes the same headers as getTraceData, plus OpenTelemetry baggage', () => {
    setupBridge({ tracesSampleRate: 1, release: 'r1' });
    startSpan({ name: 'client' }, (span) => {
      const { traceId, spanId } = span.spanContext();
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      assert.deepEqual(carrier, getTraceData());
      assert.equal(carrier['sentry-trace'], `${traceId}-${spanId}-1`);
      assert.equal(carrier.traceparent, `00-${traceId}-${spanId}-03`);
      assert.equal(sentryBaggage(carrier.baggage).trace_id, traceId);
      assert.equal(sentryBaggage(carrier.baggage).sampled, 'true');

      const withBaggage = propagation.setBaggage(
        context.active(),
        propagation.createBaggage({ 'user id': { value: 'a,b' } }),
      );
      const more: Record<string, string> = {};
      propagation.inject(withBaggage, more);
      assert.equal(more['sentry-trace'], carrier['sentry-trace']);
      assert.ok(more.baggage?.endsWith(',user%20id=a%2Cb'), more.baggage);
    });
    const outside: Record<string, string> = {};
    propagation.inject(context.active(), outside);
    assert.deepEqual(outside, {});
  });

  test('extract + context.with continues the upstream trace in Sieve roots and OpenTelemetry spans', () => {
    const memory = setupBridge({ tracesSampleRate: 0 });
    const headers = {
      'sentry-trace': `${UPSTREAM_TRACE}-${UPSTREAM_SPAN}-1`,
      baggage: `vendor=x,sentry-trace_id=${UPSTREAM_TRACE},sentry-sample_rate=0.25,sentry-sample_rand=0.1,sentry-sampled=true,sentry-environment=up`,
    };
    const ctx = propagation.extract(ROOT_CONTEXT, headers);
    assert.deepEqual(trace.getSpanContext(ctx), {
      traceId: UPSTREAM_TRACE,
      spanId: UPSTREAM_SPAN,
      traceFlags: 1,
      isRemote: true,
    });
    assert.equal(propagation.getBaggage(ctx)?.getEntry('vendor')?.value, 'x');
    context.with(ctx, () => {
      assert.equal(getActiveSpan(), undefined);
      // The upstream decision holds although this service's rate is 0.
      startSpan({ name: 'server' }, (span) => {
        assert.equal(span.isRecording(), true);
        const downstream: Record<string, string> = {};
        propagation.inject(context.active(), downstream);
        assert.deepEqual(sentryBaggage(downstream.baggage), {
          trace_id: UPSTREAM_TRACE,
          sample_rate: '0.25',
          sample_rand: '0.1',
          sampled: 'true',
          environment: 'up',
        });
        assert.equal(downstream.baggage?.split(',').filter((m) => m.startsWith('vendor=')).length, 1);
      });
    });
    tracer().startSpan('otel-server', {}, ctx).end();
    const spans = memory.getFinishedSpans();
    for (const name of ['server', 'otel-server']) {
      const span = byName(spans, name);
      assert.equal(span.traceId, UPSTREAM_TRACE, name);
      assert.equal(span.parentSpanId, UPSTREAM_SPAN, name);
      assert.equal(span.isSegment, true, name);
      assert.equal(span.attributes['sentry.sample_rate'], 0.25, name);
    }
  });

  test('round trip: inject in one Sieve span, extract, and the next root joins the trace with its decision', () => {
    const memory = setupBridge({ tracesSampleRate: 1 });
    const carrier: Record<string, string> = {};
    startSpan({ name: 'caller' }, () => propagation.inject(context.active(), carrier));
    setupBridge({ tracesSampleRate: 0 });
    const before = memory.getFinishedSpans();
    const caller = byName(before, 'caller');
    context.with(propagation.extract(context.active(), carrier), () => {
      startSpan({ name: 'callee' }, (span) => {
        assert.equal(span.spanContext().traceId, caller.traceId);
        assert.equal(span.isRecording(), true);
      });
    });
    // An unsampled upstream is not recorded, whatever this service's rate.
    const dropped = { traceparent: `00-${UPSTREAM_TRACE}-${UPSTREAM_SPAN}-00` };
    setupBridge({ tracesSampleRate: 1 });
    context.with(propagation.extract(ROOT_CONTEXT, dropped), () =>
      startSpan({ name: 'unsampled-callee' }, (span) => assert.equal(span.isRecording(), false)),
    );
  });

  test('a remote span context set with trace.setSpanContext is continued the same way', () => {
    const memory = setupBridge({ tracesSampleRate: 0 });
    const ctx = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: UPSTREAM_TRACE,
      spanId: UPSTREAM_SPAN,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    context.with(ctx, () => startSpan({ name: 'continued' }, () => {}));
    tracer().startSpan('otel-continued', {}, ctx).end();
    for (const span of memory.getFinishedSpans()) {
      assert.equal(span.traceId, UPSTREAM_TRACE);
      assert.equal(span.parentSpanId, UPSTREAM_SPAN);
    }
    assert.equal(memory.getFinishedSpans().length, 2);
  });
});

describe('installOpenTelemetryBridge', () => {
  test('is idempotent, and refuses without throwing when another provider is registered', () => {
    setup({ tracesSampleRate: 1, debug: true });
    assert.equal(installOpenTelemetryBridge(), true);
    assert.equal(installOpenTelemetryBridge(), true);
    uninstallOpenTelemetryBridge();

    const foreign = new SieveTracerProvider();
    assert.equal(trace.setGlobalTracerProvider(foreign), true);
    let result: boolean | undefined;
    const warnings = captureWarnings(() => {
      result = installOpenTelemetryBridge();
    });
    assert.equal(result, false);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /OpenTelemetry bridge not installed: another tracer provider/);
    // Nothing was left half-registered: the context manager went back to OpenTelemetry's no-op one.
    startSpan({ name: 'x' }, () => assert.equal(trace.getActiveSpan(), undefined));

    trace.disable();
    assert.equal(installOpenTelemetryBridge(), true);
    startSpan({ name: 'y' }, (span) => assert.equal(trace.getActiveSpan(), span));
  });
});

describe('a real library: the Vercel AI SDK (ai) with experimental_telemetry', () => {
  const usage = {
    inputTokens: { total: 12, noCache: 12, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: 5, text: 5, reasoning: 0 },
  };
  const model = () =>
    new MockLanguageModelV3({
      doGenerate: async () => {
        await sleep(1);
        return {
          content: [{ type: 'text', text: 'Hello from the mock' }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage,
          warnings: [],
        };
      },
    });

  test('generateText spans arrive as Sieve spans, children of the active Sieve span', async () => {
    const memory = setupBridge();
    const result = await startSpan({ name: 'agent-run', op: 'gen_ai.invoke_agent' }, () =>
      generateText({
        model: model(),
        prompt: 'Say hello',
        experimental_telemetry: { isEnabled: true, functionId: 'greeter' },
      }),
    );
    assert.equal(result.text, 'Hello from the mock');
    const spans = memory.getFinishedSpans();
    const run = byName(spans, 'agent-run');
    const generate = byName(spans, 'ai.generateText');
    const call = byName(spans, 'ai.generateText.doGenerate');
    assert.equal(generate.parentSpanId, run.spanId);
    assert.equal(call.parentSpanId, generate.spanId);
    assert.equal(generate.traceId, run.traceId);
    assert.equal(call.traceId, run.traceId);
    assert.equal(call.segment, run);
    assert.equal(generate.attributes['ai.operationId'], 'ai.generateText');
    assert.equal(generate.attributes['ai.telemetry.functionId'], 'greeter');
    assert.equal(generate.attributes['ai.model.id'], 'mock-model-id');
    assert.equal(generate.attributes['ai.response.text'], 'Hello from the mock');
    assert.equal(generate.attributes['ai.usage.inputTokens'], 12);
    assert.equal(call.attributes['gen_ai.system'], 'mock-provider');
    assert.equal(call.attributes['gen_ai.request.model'], 'mock-model-id');
    assert.equal(call.attributes['gen_ai.usage.input_tokens'], 12);
    assert.equal(call.attributes['gen_ai.usage.output_tokens'], 5);
    assert.deepEqual(call.attributes['gen_ai.response.finish_reasons'], ['stop']);
    assert.ok(call.endTime! <= generate.endTime! && generate.endTime! <= run.endTime!);
  });

  test('a generateText root is sampled on the attributes the AI SDK sets at start', async () => {
    const seen: SamplingContext[] = [];
    const memory = setupBridge({
      tracesSampler: (ctx) => {
        seen.push(ctx);
        return typeof ctx.attributes['ai.operationId'] === 'string' ? 1 : 0;
      },
    });
    await generateText({ model: model(), prompt: 'Hi', experimental_telemetry: { isEnabled: true } });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.name, 'ai.generateText');
    assert.equal(seen[0]?.attributes['ai.model.id'], 'mock-model-id');
    assert.deepEqual(names(memory.getFinishedSpans()), ['ai.generateText.doGenerate', 'ai.generateText']);
    const root = byName(memory.getFinishedSpans(), 'ai.generateText');
    assert.equal(root.isSegment, true);
    assert.equal(root.attributes['sentry.sample_rate'], 1);
  });

  test('a failing model call marks the spans as errors with the exception', async () => {
    const memory = setupBridge();
    const failing = new MockLanguageModelV3({
      doGenerate: async () => {
        throw new TypeError('model exploded');
      },
    });
    await assert.rejects(
      startSpan({ name: 'agent-run' }, () =>
        generateText({
          model: failing,
          prompt: 'Hi',
          maxRetries: 0,
          experimental_telemetry: { isEnabled: true },
        }),
      ),
      /model exploded/,
    );
    await sleep(0);
    const spans = memory.getFinishedSpans();
    for (const name of ['ai.generateText', 'ai.generateText.doGenerate', 'agent-run']) {
      assert.equal(byName(spans, name).status.code, SpanStatusCode.ERROR, name);
    }
    const exception = byName(spans, 'ai.generateText.doGenerate').events.find((e) => e.name === 'exception');
    assert.equal(exception?.attributes?.['exception.type'], 'TypeError');
    assert.equal(exception?.attributes?.['exception.message'], 'model exploded');
  });
});
