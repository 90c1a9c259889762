/**
 * The protobuf decoder against the encoder of the OpenTelemetry JS SDK (@opentelemetry/otlp-transformer,
 * installed with the OTLP exporters): for the same spans, logs and metrics, decoding the protobuf body
 * must give the same rows as the SDK's own OTLP/JSON body.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { otlpLogsToBatch, otlpMetricsToBatch, otlpTracesToBatch } from '../src/ingest/otlp.js';
import {
  decodeOtlpProtobuf,
  decodeOtlpProtobufResponse,
  encodeOtlpProtobufResponse,
} from '../src/ingest/otlp-protobuf.js';
import { expectIngestError } from './fixtures/ingest/helpers.js';

const resource = resourceFromAttributes({
  'service.name': 'proto-svc',
  'deployment.environment.name': 'test',
  'service.version': '9.9.9',
});

function fromJsonBytes(bytes: Uint8Array | undefined): unknown {
  assert.ok(bytes);
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
}

async function makeSpans() {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('proto-test', '1.0.0');
  const root = tracer.startSpan('POST /api/chat', {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200 },
  });
  const ctx = trace.setSpan(context.active(), root);
  const chat = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 120,
        'gen_ai.usage.output_tokens': 33,
        'gen_ai.request.temperature': 0.2,
        'gen_ai.request.stop_sequences': ['\n\n', 'END'],
        streaming: true,
      },
    },
    ctx,
  );
  chat.recordException(new TypeError('bad thing'));
  chat.setStatus({ code: SpanStatusCode.ERROR });
  chat.end();
  root.end();
  await provider.forceFlush();
  return memory.getFinishedSpans();
}

describe('traces: protobuf and JSON bodies give the same rows', async () => {
  const spans = await makeSpans();
  const protoBody = ProtobufTraceSerializer.serializeRequest(spans)!;
  const decoded = decodeOtlpProtobuf('traces', protoBody);
  const fromProto = otlpTracesToBatch(decoded, 1);
  const fromJson = otlpTracesToBatch(fromJsonBytes(JsonTraceSerializer.serializeRequest(spans)), 1);

  test('same rows', () => {
    assert.equal(fromProto.rejectedSpans, 0);
    assert.deepEqual(fromProto.batch, fromJson.batch);
  });

  test('the decoded shape is OTLP/JSON: hex ids, int64 strings, numeric enums', () => {
    const resourceSpans = decoded.resourceSpans as Array<{
      scopeSpans: Array<{ spans: Array<Record<string, unknown>> }>;
    }>;
    const span = resourceSpans[0]!.scopeSpans[0]!.spans.find((s) => s.name === 'chat gpt-4o')!;
    assert.match(span.traceId as string, /^[0-9a-f]{32}$/);
    assert.match(span.spanId as string, /^[0-9a-f]{16}$/);
    assert.match(span.parentSpanId as string, /^[0-9a-f]{16}$/);
    assert.equal(typeof span.startTimeUnixNano, 'string');
    assert.equal(span.kind, 3);
  });

  test('values: parent link, exact nanoseconds, kinds, AI fields, exception', () => {
    const rows = fromProto.batch.spans;
    const root = rows.find((s) => s.name === 'POST /api/chat')!;
    const chat = rows.find((s) => s.name === 'chat gpt-4o')!;
    const original = spans.find((s) => s.name === 'chat gpt-4o')!;
    assert.equal(chat.parentSpanId, root.spanId);
    assert.equal(chat.traceId, root.traceId);
    assert.equal(chat.segmentId, root.spanId);
    assert.equal(root.isSegment, true);
    assert.equal(chat.isSegment, false);
    const [seconds, nanos] = original.startTime;
    // In BigInt: seconds · 1e9 is past 2^53, where float arithmetic would round differently.
    assert.equal(chat.startTime, Number((BigInt(seconds) * 1_000_000_000n + BigInt(nanos)) / 1000n) / 1000);
    assert.deepEqual(
      [root.kind, root.op, chat.kind, chat.op],
      ['server', 'http.server', 'client', 'gen_ai.chat'],
    );
    assert.deepEqual([chat.model, chat.inputTokens, chat.outputTokens], ['gpt-4o', 120, 33]);
    assert.deepEqual(chat.attributes['gen_ai.request.stop_sequences'], ['\n\n', 'END']);
    assert.equal(chat.attributes.streaming, true);
    assert.deepEqual(
      [chat.status, chat.statusMessage, chat.attributes['exception.type']],
      ['error', 'bad thing', 'TypeError'],
    );
    assert.deepEqual([root.serviceName, root.environment, root.release], ['proto-svc', 'test', '9.9.9']);
  });
});

describe('logs: protobuf and JSON bodies give the same rows', async () => {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource,
    processors: [new SimpleLogRecordProcessor({ exporter: memory })],
  });
  const logger = provider.getLogger('proto-logs');
  const span = trace.wrapSpanContext({ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceFlags: 1 });
  logger.emit({
    severityNumber: 13,
    severityText: 'WARN',
    body: 'careful',
    attributes: { n: 1 },
    context: trace.setSpan(context.active(), span),
  });
  logger.emit({ severityNumber: 17, body: { structured: 'body', n: 2 } });
  await provider.forceFlush();
  const records = memory.getFinishedLogRecords();
  const fromProto = otlpLogsToBatch(
    decodeOtlpProtobuf('logs', ProtobufLogsSerializer.serializeRequest(records)!),
    1,
  );
  const fromJson = otlpLogsToBatch(fromJsonBytes(JsonLogsSerializer.serializeRequest(records)), 1);

  test('same rows', () => {
    assert.equal(fromProto.rejectedLogRecords, 0);
    assert.deepEqual(fromProto.batch, fromJson.batch);
  });
  test('values', () => {
    const [warn, error] = fromProto.batch.logs;
    assert.deepEqual(
      [warn!.level, warn!.body, warn!.traceId, warn!.spanId, warn!.attributes.n],
      ['warn', 'careful', 'ab'.repeat(16), 'cd'.repeat(8), 1],
    );
    assert.deepEqual(
      [error!.level, error!.body, error!.traceId],
      ['error', '{"structured":"body","n":2}', null],
    );
  });
});

describe('metrics: protobuf and JSON bodies give the same rows', async () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource, readers: [reader] });
  const meter = provider.getMeter('proto-metrics');
  meter.createCounter('requests').add(3, { route: '/a' });
  meter.createUpDownCounter('queue').add(-2);
  const histogram = meter.createHistogram('latency', { unit: 'ms' });
  for (const v of [1, 2, 3, 10]) histogram.record(v, { route: '/a' });
  meter.createGauge('temperature').record(21.5);
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  const fromProto = otlpMetricsToBatch(
    decodeOtlpProtobuf('metrics', ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!),
    1,
  );
  const fromJson = otlpMetricsToBatch(
    fromJsonBytes(JsonMetricsSerializer.serializeRequest(resourceMetrics)),
    1,
  );

  test('same rows', () => {
    assert.equal(fromProto.rejectedDataPoints, 0, fromProto.errorMessage);
    assert.deepEqual(fromProto.batch, fromJson.batch);
  });
  test('values', () => {
    const byName = Object.fromEntries(fromProto.batch.metrics.map((m) => [m.name, m]));
    assert.deepEqual([byName.requests!.type, byName.requests!.value], ['counter', 3]);
    assert.deepEqual([byName.queue!.type, byName.queue!.value], ['counter', -2]);
    assert.deepEqual(
      [byName.latency!.type, byName.latency!.value, byName.latency!.unit],
      ['distribution', 4, 'ms'],
    );
    assert.deepEqual(
      [
        byName.latency!.attributes['sieve.count'],
        byName.latency!.attributes['sieve.min'],
        byName.latency!.attributes['sieve.max'],
      ],
      [4, 1, 10],
    );
    assert.deepEqual([byName.temperature!.type, byName.temperature!.value], ['gauge', 21.5]);
  });
});

describe('broken protobuf → 400', async () => {
  const spans = await makeSpans();
  const valid = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
  const cases: Array<[string, Buffer]> = [
    ['truncated', valid.subarray(0, valid.length - 7)],
    ['cut inside a length prefix', valid.subarray(0, 3)],
    ['random bytes', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
    ['a JSON body sent as protobuf', Buffer.from('{"resourceSpans":[]}')],
    ['wrong wire type for resourceSpans', Buffer.from([0x08, 0x01])],
    ['length past the end', Buffer.from([0x0a, 0x7f, 0x01])],
  ];
  for (const [name, body] of cases) {
    test(name, () =>
      expectIngestError(
        () => decodeOtlpProtobuf('traces', body),
        400,
        /^body is not a valid protobuf ExportTraceServiceRequest \(/,
      ),
    );
  }
  test('logs and metrics name their message', () => {
    expectIngestError(
      () => decodeOtlpProtobuf('logs', Buffer.from([0x0a, 0x7f])),
      400,
      /ExportLogsServiceRequest/,
    );
    expectIngestError(
      () => decodeOtlpProtobuf('metrics', Buffer.from([0x0a, 0x7f])),
      400,
      /ExportMetricsServiceRequest/,
    );
  });
  test('an empty body is an empty request', () => {
    assert.deepEqual(decodeOtlpProtobuf('traces', Buffer.alloc(0)), {});
  });
  test('unknown fields are skipped', () => {
    // field 99 (varint 5) before a valid request: a newer sender's extra field
    const extra = Buffer.concat([Buffer.from([0x98, 0x06, 0x05]), valid]);
    assert.equal(otlpTracesToBatch(decodeOtlpProtobuf('traces', extra), 1).batch.spans.length, 2);
  });
});

describe('responses', () => {
  test('full success is an empty message', () => {
    assert.equal(encodeOtlpProtobufResponse('traces', 0).length, 0);
  });
  const cases = [
    ['traces', ProtobufTraceSerializer, 'rejectedSpans'],
    ['logs', ProtobufLogsSerializer, 'rejectedLogRecords'],
    ['metrics', ProtobufMetricsSerializer, 'rejectedDataPoints'],
  ] as const;
  for (const [signal, serializer, field] of cases) {
    test(`${signal}: partial success is read back by the OpenTelemetry JS SDK`, () => {
      const bytes = encodeOtlpProtobufResponse(signal, 3, 'three were bad');
      const response = serializer.deserializeResponse(bytes) as { partialSuccess?: Record<string, unknown> };
      assert.equal(Number(response.partialSuccess?.[field]), 3);
      assert.equal(response.partialSuccess?.errorMessage, 'three were bad');
      assert.deepEqual(decodeOtlpProtobufResponse(signal, bytes), {
        partialSuccess: { [field]: '3', errorMessage: 'three were bad' },
      });
    });
  }
});
