/**
 * Real clients, changing only their DSN or endpoint, send to a real `sieve serve` on loopback; what they
 * sent is then found through the query API with the right values and parent links.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as Sieve from '@sieve/sdk';
import type { RunningServer } from '../src/cli.js';
import { eventually, getJson, PUBLIC_KEY, run, startTestServer } from './helpers.js';

let server: RunningServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

async function trace(traceId: string) {
  return trace_(traceId);
}

async function trace_(traceId: string) {
  return eventually(async () => {
    const { status, body } = await getJson(server, `/api/v1/traces/${traceId}`);
    return status === 200 ? (body as { traceId: string; spans: Array<Record<string, any>> }) : undefined;
  });
}

describe('@sieve/sdk', () => {
  test('spans, logs, metrics, errors and client reports are all queryable', async () => {
    Sieve.init({
      dsn: server.dsn,
      tracesSampler: Sieve.samplers.aiFirst({ routes: ['/api/chat'], fallback: 0 }),
      httpServer: false,
      httpClient: false,
      fetch: false,
      openTelemetry: false,
      release: 'app@1.0.0',
    });
    const traceId = Sieve.startSpan({ name: 'invoke_agent support', op: 'gen_ai.invoke_agent' }, (root) => {
      Sieve.startSpan(
        {
          name: 'chat gpt-4o',
          op: 'gen_ai.chat',
          attributes: {
            'gen_ai.request.model': 'gpt-4o',
            'gen_ai.usage.input_tokens': 50,
            'gen_ai.usage.output_tokens': 9,
          },
        },
        () => {},
      );
      Sieve.logger.info('LLM call completed', { model: 'gpt-4o' });
      Sieve.metrics.distribution('gen_ai.token_usage', 59, { attributes: { model: 'gpt-4o' } });
      Sieve.captureException(new Error('tool timeout'));
      return root.spanContext().traceId;
    });
    Sieve.startSpan({ name: 'GET /health' }, () => {});
    assert.equal(await Sieve.flush(5000), true);
    await Sieve.close(2000);

    const { spans } = await trace(traceId);
    const root = spans.find((s) => s.parentSpanId === null)!;
    const chat = spans.find((s) => s.op === 'gen_ai.chat')!;
    assert.equal(root.name, 'invoke_agent support');
    assert.equal(chat.parentSpanId, root.spanId);
    assert.equal(chat.attributes['gen_ai.request.model'], 'gpt-4o');
    assert.equal(typeof chat.startTime, 'number');
    assert.ok(chat.endTime >= chat.startTime);
    const logs = await getJson(server, `/api/v1/logs?traceId=${traceId}`);
    assert.equal(logs.body.logs[0]?.body, 'LLM call completed');
    const errors = await getJson(server, `/api/v1/errors?traceId=${traceId}`);
    assert.equal(errors.body.errors[0]?.message, 'tool timeout');
    const metrics = await getJson(
      server,
      `/api/v1/metrics?name=gen_ai.token_usage&aggregates=sum,count&from=0`,
    );
    const points = metrics.body.series.flatMap((s: { points: Array<{ sum?: number }> }) => s.points);
    assert.equal(
      points.reduce((n: number, p: { sum?: number }) => n + (p.sum ?? 0), 0),
      59,
    );
    const sampling = await getJson(server, '/api/v1/sampling?from=0');
    assert.ok(
      sampling.body.dropped.some(
        (d: { reason: string; quantity: number }) => d.reason === 'sample_rate' && d.quantity >= 1,
      ),
    );
  });
});

describe('official clients', () => {
  test('@sentry/node with the seed sampler', async () => {
    const out = await run(process.execPath, [fixture('sentry-node-client.mjs')], {
      SIEVE_TEST_DSN: server.dsn,
    });
    const { traceIds } = JSON.parse(out.slice(out.lastIndexOf('{"traceIds"'))) as { traceIds: string[] };
    const { spans } = await trace(traceIds[0]!);
    const root = spans.find((s) => s.parentSpanId === null)!;
    assert.equal(root.name, 'invoke_agent weather');
    const chat = spans.find((s) => s.op === 'gen_ai.chat')!;
    assert.equal(chat.parentSpanId, root.spanId);
    assert.equal(chat.attributes['gen_ai.usage.input_tokens'], 120);
    assert.equal(chat.ai?.model, 'claude-sonnet-4-6');
    assert.equal(spans.find((s) => s.op === 'gen_ai.execute_tool')?.ai?.toolName, 'get_weather');
    const logs = await eventually(async () => {
      const { body } = await getJson(server, `/api/v1/logs?traceId=${traceIds[0]}`);
      return body.logs.length > 0 ? body.logs : undefined;
    });
    assert.equal(logs[0].attributes.input_tokens, 120);
    const metrics = await getJson(
      server,
      '/api/v1/metrics?name=gen_ai.token_usage&aggregates=sum&groupBy=model&from=0',
    );
    const series = metrics.body.series.find((s: { group: string | null }) => s.group === 'claude-sonnet-4-6');
    assert.ok(series, JSON.stringify(metrics.body));
    assert.equal(
      series.points.reduce((n: number, p: { sum?: number }) => n + (p.sum ?? 0), 0),
      150,
    );
  });

  test('Python sentry_sdk with the seed sampler (transactions, ISO timestamps, gzip, X-Sentry-Auth)', async () => {
    const out = await run('/usr/bin/python3', [fixture('python_client.py')], { SIEVE_TEST_DSN: server.dsn });
    const { traceId } = JSON.parse(out.slice(out.lastIndexOf('{"traceId"'))) as { traceId: string };
    const { spans } = await trace(traceId);
    const root = spans.find((s) => s.parentSpanId === null)!;
    assert.equal(root.name, 'POST /api/chat');
    assert.equal(root.op, 'http.server');
    const chat = spans.find((s) => s.op === 'gen_ai.chat')!;
    assert.equal(chat.parentSpanId, root.spanId);
    assert.equal(chat.name, 'chat claude-sonnet-4-6');
    assert.equal(chat.ai?.inputTokens, 12);
    const errors = await eventually(async () => {
      const { body } = await getJson(server, `/api/v1/errors?traceId=${traceId}`);
      return body.errors.length > 0 ? body.errors : undefined;
    });
    assert.equal(errors[0].type, 'ValueError');
  });
});

describe('OpenTelemetry exporters', () => {
  for (const protocol of ['protobuf', 'json'] as const) {
    test(`OTLP ${protocol} from the OpenTelemetry JS SDK`, async () => {
      const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
      const { resourceFromAttributes } = await import('@opentelemetry/resources');
      const { OTLPTraceExporter } =
        protocol === 'protobuf'
          ? await import('@opentelemetry/exporter-trace-otlp-proto')
          : await import('@opentelemetry/exporter-trace-otlp-http');
      const exporter = new OTLPTraceExporter({
        url: `${server.url}/v1/traces`,
        headers: { Authorization: `Bearer ${PUBLIC_KEY}` },
      });
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': `otel-${protocol}` }),
        spanProcessors: [new BatchSpanProcessor(exporter)],
      });
      const tracer = provider.getTracer('test');
      const { trace, context } = await import('@opentelemetry/api');
      const root = tracer.startSpan('POST /api/agent', {
        kind: 1,
        attributes: { 'http.request.method': 'POST' },
      });
      const child = tracer.startSpan(
        'chat gpt-4o-mini',
        {
          kind: 2,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.usage.input_tokens': 33,
          },
        },
        trace.setSpan(context.active(), root),
      );
      child.end();
      root.end();
      await provider.forceFlush();
      await provider.shutdown();
      const traceId = root.spanContext().traceId;
      const { spans } = await trace_(traceId);
      const storedRoot = spans.find((s) => s.parentSpanId === null)!;
      const storedChild = spans.find((s) => s.name === 'chat gpt-4o-mini')!;
      assert.equal(storedRoot.name, 'POST /api/agent');
      assert.equal(storedRoot.serviceName, `otel-${protocol}`);
      assert.equal(storedChild.parentSpanId, storedRoot.spanId);
      assert.equal(storedChild.ai?.model, 'gpt-4o-mini');
      assert.equal(storedChild.ai?.inputTokens, 33);
    });
  }
});

describe('auth', () => {
  test('a wrong key is refused with 403, a missing one with 401, an unknown project with 403', async () => {
    const body = '{}\n';
    const post = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, { method: 'POST', body, headers });
    assert.equal((await post('/api/1/envelope/?sentry_key=wrongkey123')).status, 403);
    assert.equal((await post('/api/1/envelope/')).status, 401);
    assert.equal((await post(`/api/7/envelope/?sentry_key=${PUBLIC_KEY}`)).status, 403);
    assert.equal((await post(`/api/1/envelope/?sentry_key=${PUBLIC_KEY}`)).status, 200);
  });
});
