/**
 * Real clients against the ingest functions: @sieve/sdk (envelopes through a custom transport, and its
 * OTLP exporter), the official @sentry/node (child process, both trace lifecycles), the OpenTelemetry JS
 * OTLP exporters (protobuf and JSON) and the Python sentry_sdk (live when installed, and a captured
 * fixture). Each raw body goes through the same steps as the server: decodeBody → parse → auth → rows.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OTLPHttpTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  captureException,
  close,
  flush,
  init,
  logger,
  metrics,
  otlpExporter,
  type SieveOptions,
  serializeEnvelope,
  startSpan,
} from '@sieve/sdk';
import { extractPublicKey } from '../src/ingest/auth.js';
import { decodeBody } from '../src/ingest/decode-body.js';
import { type Envelope, parseEnvelope, storeBodyToEnvelope } from '../src/ingest/envelope.js';
import { otlpLogsToBatch, otlpMetricsToBatch, otlpTracesToBatch } from '../src/ingest/otlp.js';
import { decodeOtlpProtobuf, encodeOtlpProtobufResponse } from '../src/ingest/otlp-protobuf.js';
import { type RejectedRecord, sentryEnvelopeToBatch } from '../src/ingest/sentry.js';
import { emptyBatch, type IngestBatch, type SpanRow } from '../src/model.js';
import { type CapturedRequest, CaptureServer } from './fixtures/ingest/capture-server.js';

const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/ingest/${name}`, import.meta.url));
const KEY = 'abc123def4567890abc123def4567890';

interface SentryIngest {
  batch: IngestBatch;
  rejected: RejectedRecord[];
  keys: Array<string | undefined>;
  itemTypes: string[][];
}

/** What the server does with one Sentry request, for many requests: rows of all, keys, item types. */
async function ingestSentry(
  requests: Array<Pick<CapturedRequest, 'url' | 'headers' | 'body'>>,
): Promise<SentryIngest> {
  const out: SentryIngest = { batch: emptyBatch(), rejected: [], keys: [], itemTypes: [] };
  for (const request of requests) {
    const body = await decodeBody(request.body, request.headers['content-encoding']);
    const url = new URL(request.url, 'http://x');
    const envelope: Envelope = url.pathname.endsWith('/store/')
      ? storeBodyToEnvelope(body)
      : parseEnvelope(body);
    out.keys.push(
      extractPublicKey({ query: url.search, headers: request.headers, envelopeHeader: envelope.header })
        .publicKey,
    );
    out.itemTypes.push(envelope.items.map((i) => i.header.type));
    const { batch, rejected } = sentryEnvelopeToBatch(envelope, 1);
    out.rejected.push(...rejected);
    for (const key of Object.keys(batch) as Array<keyof IngestBatch>)
      (out.batch[key] as unknown[]).push(...batch[key]);
  }
  return out;
}

function byName(spans: SpanRow[], name: string): SpanRow {
  const row = spans.find((s) => s.name === name);
  assert.ok(row, `no span ${JSON.stringify(name)} among ${JSON.stringify(spans.map((s) => s.name))}`);
  return row;
}

describe('@sieve/sdk: envelopes (custom transport) and its OTLP exporter, same spans', () => {
  const envelopes: Buffer[] = [];
  const otlp = new CaptureServer();
  let sentry: SentryIngest;

  before(async () => {
    await otlp.start();
    const options: SieveOptions & Record<string, unknown> = {
      dsn: `http://${KEY}@127.0.0.1:9/1`,
      tracesSampleRate: 1,
      enableLogs: true,
      release: 'sieve-app@1.0.0',
      environment: 'test',
      sendClientReports: true,
      httpServer: false,
      httpClient: false,
      fetch: false,
      transport: () => ({
        send: async (envelope) => {
          envelopes.push(serializeEnvelope(envelope));
          return { statusCode: 200 };
        },
        flush: async () => true,
      }),
      spanProcessors: [
        otlpExporter({
          url: otlp.url(''),
          serviceName: 'sieve-svc',
          headers: { Authorization: `Bearer ${KEY}` },
        }),
      ],
    };
    init(options);
    startSpan(
      { name: 'POST /api/chat', op: 'http.server', attributes: { 'http.request.method': 'POST' } },
      () => {
        startSpan(
          {
            name: 'invoke_agent weather',
            op: 'gen_ai.invoke_agent',
            attributes: { 'gen_ai.agent.name': 'weather' },
          },
          () => {
            startSpan(
              {
                name: 'chat claude-sonnet-4-6',
                op: 'gen_ai.chat',
                attributes: {
                  'gen_ai.operation.name': 'chat',
                  'gen_ai.provider.name': 'anthropic',
                  'gen_ai.request.model': 'claude-sonnet-4-6',
                  'gen_ai.usage.input_tokens': 120,
                  'gen_ai.usage.output_tokens': 40,
                  'gen_ai.usage.cache_read.input_tokens': 100,
                },
              },
              (span) => span.setStatus({ code: 2, message: 'internal_error' }),
            );
            startSpan(
              {
                name: 'execute_tool get_weather',
                op: 'gen_ai.execute_tool',
                attributes: { 'gen_ai.tool.name': 'get_weather' },
              },
              () => {},
            );
          },
        );
        metrics.distribution('gen_ai.token_usage', 160, {
          unit: 'none',
          attributes: { model: 'claude-sonnet-4-6' },
        });
        metrics.count('llm.calls', 2);
        metrics.gauge('queue.depth', 5, { unit: 'item' });
        logger.warn('slow LLM call', { model: 'claude-sonnet-4-6', input_tokens: 120 });
        captureException(new TypeError('tool failed'));
      },
    );
    startSpan({ name: 'GET /health', sampled: false }, () => {});
    await flush(5000);
    await close(2000);
    sentry = await ingestSentry(envelopes.map((body) => ({ url: '/api/1/envelope/', headers: {}, body })));
  });
  after(() => otlp.stop());

  test('envelopes: every item accepted, the key from the envelope dsn or none', () => {
    assert.deepEqual(sentry.rejected, []);
    const types = sentry.itemTypes.flat();
    for (const type of ['span', 'log', 'trace_metric', 'event'])
      assert.ok(types.includes(type), `${type} in ${types}`);
  });

  test('envelopes: spans with parent links, segment, AI fields, status', () => {
    const spans = sentry.batch.spans;
    assert.equal(spans.length, 4);
    const root = byName(spans, 'POST /api/chat');
    const agent = byName(spans, 'invoke_agent weather');
    const chat = byName(spans, 'chat claude-sonnet-4-6');
    const tool = byName(spans, 'execute_tool get_weather');
    assert.deepEqual(
      [root.parentSpanId, agent.parentSpanId, chat.parentSpanId, tool.parentSpanId],
      [null, root.spanId, agent.spanId, agent.spanId],
    );
    assert.ok(spans.every((s) => s.traceId === root.traceId && s.segmentId === root.spanId));
    assert.deepEqual([root.isSegment, root.op, root.status, root.weight], [true, 'http.server', 'ok', 1]);
    assert.deepEqual([root.environment, root.release], ['test', 'sieve-app@1.0.0']);
    assert.deepEqual([agent.operation, agent.agentName], ['invoke_agent', 'weather']);
    assert.deepEqual(
      [
        chat.operation,
        chat.provider,
        chat.model,
        chat.inputTokens,
        chat.outputTokens,
        chat.cachedInputTokens,
      ],
      ['chat', 'anthropic', 'claude-sonnet-4-6', 120, 40, 100],
    );
    assert.deepEqual([chat.status, chat.statusMessage], ['error', 'internal_error']);
    assert.deepEqual([tool.operation, tool.toolName], ['execute_tool', 'get_weather']);
    assert.ok(chat.startTime >= root.startTime && chat.endTime <= root.endTime);
  });

  test('envelopes: logs, metrics, error, client report', () => {
    const root = byName(sentry.batch.spans, 'POST /api/chat');
    const [log] = sentry.batch.logs;
    assert.deepEqual(
      [log?.level, log?.body, log?.traceId, log?.spanId, log?.attributes.input_tokens],
      ['warn', 'slow LLM call', root.traceId, root.spanId, 120],
    );
    const m = Object.fromEntries(sentry.batch.metrics.map((r) => [r.name, r]));
    assert.deepEqual(
      [m['gen_ai.token_usage']?.type, m['gen_ai.token_usage']?.value, m['gen_ai.token_usage']?.traceId],
      ['distribution', 160, root.traceId],
    );
    assert.deepEqual([m['llm.calls']?.type, m['llm.calls']?.value], ['counter', 2]);
    assert.deepEqual([m['queue.depth']?.type, m['queue.depth']?.unit], ['gauge', 'item']);
    const [error] = sentry.batch.errors;
    assert.deepEqual(
      [error?.type, error?.message, error?.traceId, error?.environment],
      ['TypeError', 'tool failed', root.traceId, 'test'],
    );
    assert.ok((error?.frames.length ?? 0) > 0);
    assert.ok(
      sentry.batch.clientReports.some(
        (r) => r.reason === 'sample_rate' && r.category === 'transaction' && r.quantity === 1,
      ),
      JSON.stringify(sentry.batch.clientReports),
    );
  });

  test('OTLP exporter: Bearer key, gzip, and the same spans as the envelopes', async () => {
    const traceRequests = otlp.requests.filter((r) => r.url === '/v1/traces');
    assert.ok(traceRequests.length > 0);
    const spans: SpanRow[] = [];
    for (const request of traceRequests) {
      assert.equal(extractPublicKey({ headers: request.headers }).publicKey, KEY);
      const body = await decodeBody(request.body, request.headers['content-encoding']);
      const result = otlpTracesToBatch(JSON.parse(body.toString()), 1);
      assert.equal(result.rejectedSpans, 0, result.errorMessage);
      spans.push(...result.batch.spans);
    }
    const pick = (s: SpanRow) => ({
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      name: s.name,
      op: s.op,
      // Span v2 has only ok / error, so an unset OTLP status arrives as 'ok' in the envelope.
      status: s.status === 'unset' ? 'ok' : s.status,
      statusMessage: s.statusMessage,
      isSegment: s.isSegment,
      segmentId: s.segmentId,
      startTime: Math.round(s.startTime),
      environment: s.environment,
      release: s.release,
      operation: s.operation,
      model: s.model,
      inputTokens: s.inputTokens,
      outputTokens: s.outputTokens,
      toolName: s.toolName,
      agentName: s.agentName,
    });
    const sort = (rows: SpanRow[]) => rows.map(pick).sort((a, b) => a.spanId.localeCompare(b.spanId));
    assert.deepEqual(sort(spans), sort(sentry.batch.spans));
    assert.ok(spans.every((s) => s.serviceName === 'sieve-svc' && s.source === 'otlp'));
  });

  test('OTLP exporter: logs and metrics', async () => {
    const logs = otlp.requests.filter((r) => r.url === '/v1/logs');
    const metricRequests = otlp.requests.filter((r) => r.url === '/v1/metrics');
    assert.ok(logs.length > 0 && metricRequests.length > 0);
    const log = otlpLogsToBatch(
      JSON.parse((await decodeBody(logs[0]!.body, logs[0]!.headers['content-encoding'])).toString()),
      1,
    );
    assert.equal(log.rejectedLogRecords, 0);
    assert.deepEqual(
      [log.batch.logs[0]?.level, log.batch.logs[0]?.body, log.batch.logs[0]?.serviceName],
      ['warn', 'slow LLM call', 'sieve-svc'],
    );
    const rows = [];
    for (const request of metricRequests) {
      const result = otlpMetricsToBatch(
        JSON.parse((await decodeBody(request.body, request.headers['content-encoding'])).toString()),
        1,
      );
      assert.equal(result.rejectedDataPoints, 0, result.errorMessage);
      rows.push(...result.batch.metrics);
    }
    const m = Object.fromEntries(rows.map((r) => [r.name, r]));
    assert.deepEqual([m['llm.calls']?.type, m['llm.calls']?.value], ['counter', 2]);
    assert.deepEqual([m['gen_ai.token_usage']?.type, m['gen_ai.token_usage']?.value], ['distribution', 160]);
    assert.deepEqual([m['queue.depth']?.type, m['queue.depth']?.value], ['gauge', 5]);
  });
});

for (const lifecycle of ['stream', 'static'] as const) {
  describe(`@sentry/node (child process, traceLifecycle '${lifecycle}')`, () => {
    const server = new CaptureServer();
    let sentry: SentryIngest;
    before(async () => {
      await server.start();
      await run(process.execPath, [fixture('sentry-node-client.mjs')], {
        env: { ...process.env, DSN: server.dsn(), LIFECYCLE: lifecycle },
        timeout: 30_000,
      });
      sentry = await ingestSentry(server.requests);
    });
    after(() => server.stop());

    test('auth from the query string, nothing rejected', () => {
      assert.ok(server.requests.length > 0);
      assert.ok(server.requests.every((r) => r.url.startsWith('/api/1/envelope/?')));
      assert.deepEqual(new Set(sentry.keys), new Set([KEY]));
      assert.deepEqual(sentry.rejected, []);
    });

    if (lifecycle === 'static') {
      test('the trap: a classic transaction and span v2 items for one trace in one envelope', () => {
        assert.ok(
          sentry.itemTypes.some((types) => types.includes('transaction') && types.includes('span')),
          JSON.stringify(sentry.itemTypes),
        );
      });
    }

    test('every span once, joined into one trace with parent links', () => {
      const spans = sentry.batch.spans;
      const ids = spans.map((s) => s.spanId);
      assert.equal(new Set(ids).size, ids.length, 'no duplicate span ids');
      assert.equal(spans.length, 4);
      const root = byName(spans, 'POST /api/chat');
      const agent = byName(spans, 'invoke_agent weather');
      const chat = byName(spans, 'chat claude-sonnet-4-6');
      const tool = byName(spans, 'execute_tool get_weather');
      assert.deepEqual(
        [root.parentSpanId, agent.parentSpanId, chat.parentSpanId, tool.parentSpanId],
        [null, root.spanId, agent.spanId, agent.spanId],
      );
      for (const s of spans) {
        assert.equal(s.traceId, root.traceId);
        assert.equal(s.segmentId, root.spanId, `segment of ${s.name}`);
        assert.equal(s.environment, 'staging', `environment of ${s.name}`);
        assert.equal(s.release, 'node-app@3.1.0', `release of ${s.name}`);
        assert.equal(s.serviceName, 'node-chat', `service of ${s.name}`);
        assert.equal(s.weight, 1);
      }
      assert.deepEqual([root.isSegment, root.op, root.status], [true, 'http.server', 'ok']);
      assert.deepEqual(
        [chat.op, chat.operation, chat.provider, chat.model, chat.inputTokens, chat.outputTokens],
        ['gen_ai.chat', 'chat', 'anthropic', 'claude-sonnet-4-6', 120, 40],
      );
      assert.equal(chat.status, 'error');
      if (lifecycle === 'stream') assert.equal(chat.statusMessage, 'internal_error');
      assert.deepEqual([agent.agentName, tool.toolName], ['weather', 'get_weather']);
    });

    test('logs, metrics and the error', () => {
      const root = byName(sentry.batch.spans, 'POST /api/chat');
      const [log] = sentry.batch.logs;
      assert.deepEqual(
        [log?.level, log?.body, log?.traceId, log?.spanId, log?.environment, log?.release],
        ['info', 'LLM call completed', root.traceId, root.spanId, 'staging', 'node-app@3.1.0'],
      );
      const m = Object.fromEntries(sentry.batch.metrics.map((r) => [r.name, r]));
      assert.deepEqual(
        [m['gen_ai.token_usage']?.type, m['gen_ai.token_usage']?.value],
        ['distribution', 160],
      );
      assert.deepEqual(
        [m['llm.calls']?.type, m['queue.depth']?.type, m['queue.depth']?.unit],
        ['counter', 'gauge', 'item'],
      );
      const [error] = sentry.batch.errors;
      assert.deepEqual(
        [error?.type, error?.message, error?.traceId, error?.release],
        ['TypeError', 'tool failed', root.traceId, 'node-app@3.1.0'],
      );
    });
  });
}

describe('OpenTelemetry JS OTLP exporters (protobuf and JSON)', () => {
  const server = new CaptureServer();
  before(() => server.start());
  after(() => server.stop());

  async function export_(exporter: SpanExporter): Promise<void> {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': 'otel-svc',
        'deployment.environment': 'prod',
        'service.version': '4.0',
      }),
      // One batch: both spans in one request, so the child's segment is found in the request.
      spanProcessors: [new BatchSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer('ingest-test');
    const root = tracer.startSpan('GET /api/items', {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': 'GET' },
    });
    const child = tracer.startSpan(
      'ai.generateText.doGenerate',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'ai.operationId': 'ai.generateText.doGenerate',
          'ai.model.id': 'gpt-4o-mini',
          'ai.model.provider': 'openai.chat',
          'ai.usage.promptTokens': 9,
          'ai.usage.completionTokens': 3,
        },
      },
      trace.setSpan(context.active(), root),
    );
    child.end();
    root.end();
    await provider.forceFlush();
    await provider.shutdown();
  }

  for (const [name, make, contentType] of [
    [
      'protobuf',
      (url: string) => new OTLPProtoTraceExporter({ url, headers: { Authorization: `Bearer ${KEY}` } }),
      'application/x-protobuf',
    ],
    [
      'JSON',
      (url: string) => new OTLPHttpTraceExporter({ url, headers: { Authorization: `Bearer ${KEY}` } }),
      'application/json',
    ],
  ] as const) {
    test(name, async () => {
      server.requests.length = 0;
      server.reply = () =>
        contentType === 'application/x-protobuf'
          ? { status: 200, contentType, body: Buffer.from(encodeOtlpProtobufResponse('traces', 0)) }
          : { status: 200, contentType, body: '{}' };
      await export_(make(server.url('/v1/traces')));
      const spans: SpanRow[] = [];
      for (const request of server.requests) {
        assert.equal(request.headers['content-type'], contentType);
        assert.equal(extractPublicKey({ headers: request.headers }).publicKey, KEY);
        const body = await decodeBody(request.body, request.headers['content-encoding']);
        const decoded =
          contentType === 'application/json'
            ? JSON.parse(body.toString())
            : decodeOtlpProtobuf('traces', body);
        const result = otlpTracesToBatch(decoded, 1);
        assert.equal(result.rejectedSpans, 0, result.errorMessage);
        spans.push(...result.batch.spans);
      }
      const root = byName(spans, 'GET /api/items');
      const child = byName(spans, 'ai.generateText.doGenerate');
      assert.equal(child.parentSpanId, root.spanId);
      assert.equal(child.traceId, root.traceId);
      assert.deepEqual(
        [root.isSegment, root.segmentId, root.op, root.kind],
        [true, root.spanId, 'http.server', 'server'],
      );
      assert.deepEqual(
        [child.isSegment, child.segmentId, child.op, child.kind],
        [false, root.spanId, 'gen_ai.generate_content', 'client'],
      );
      assert.deepEqual(
        [child.operation, child.provider, child.model, child.inputTokens, child.outputTokens],
        ['generate_content', 'openai', 'gpt-4o-mini', 9, 3],
      );
      assert.deepEqual([root.serviceName, root.environment, root.release], ['otel-svc', 'prod', '4.0']);
    });
  }
});

describe('Python sentry_sdk 1.9.10', () => {
  /** Asserts what the Python client's two requests (store + envelope) turn into. */
  async function check(requests: Array<Pick<CapturedRequest, 'url' | 'headers' | 'body'>>): Promise<void> {
    assert.ok(requests.every((r) => r.headers['content-encoding'] === 'gzip'));
    const sentry = await ingestSentry(requests);
    assert.deepEqual(sentry.rejected, []);
    assert.deepEqual(new Set(sentry.keys), new Set([KEY]), 'key from X-Sentry-Auth');
    const root = byName(sentry.batch.spans, 'POST /api/chat');
    const chat = byName(sentry.batch.spans, 'chat claude\nsecond line');
    assert.deepEqual(
      [root.isSegment, root.op, root.status, root.environment, root.release],
      [true, 'http.server', 'unset', 'production', 'py-app@1.0'],
    );
    assert.equal(root.attributes.route, '/api/chat');
    assert.equal(root.weight, 2, 'traces_sample_rate 0.5 from the DSC');
    assert.deepEqual(
      [chat.parentSpanId, chat.segmentId, chat.weight, chat.status, chat.statusMessage],
      [root.spanId, root.spanId, 2, 'error', 'internal_error'],
    );
    assert.deepEqual(
      [chat.operation, chat.model, chat.inputTokens, chat.outputTokens],
      ['chat', 'claude-sonnet-4-6', 12, 7],
    );
    assert.ok(
      chat.startTime > root.startTime && chat.endTime < root.endTime,
      'ISO timestamps with microseconds',
    );
    const [error] = sentry.batch.errors;
    assert.deepEqual(
      [error?.type, error?.message, error?.traceId, error?.level],
      ['ZeroDivisionError', 'division by zero', root.traceId, 'error'],
    );
    assert.equal(error?.frames[0]?.function, '<module>');
  }

  test('captured fixture (store endpoint for the error, gzip, X-Sentry-Auth, item length)', async () => {
    const meta = JSON.parse(readFileSync(fixture('python-sentry-sdk-1.9.10.requests.json'), 'utf8')) as {
      requests: Array<{ file: string; url: string; headers: Record<string, string> }>;
    };
    await check(
      meta.requests.map((r) => ({ url: r.url, headers: r.headers, body: readFileSync(fixture(r.file)) })),
    );
  });

  const python = '/usr/bin/python3';
  const hasSdk =
    existsSync(python) &&
    (() => {
      try {
        return readFileSync('/usr/lib/python3/dist-packages/sentry_sdk/__init__.py').length > 0;
      } catch {
        return false;
      }
    })();
  test('live', { skip: hasSdk ? false : 'python3-sentry-sdk is not installed' }, async () => {
    const server = await new CaptureServer().start();
    try {
      await run(python, [fixture('python-client.py')], {
        env: { ...process.env, DSN: server.dsn() },
        timeout: 30_000,
      });
      await check(server.requests);
    } finally {
      await server.stop();
    }
  });
});
