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
import protobuf from 'protobufjs';
import { otlpLogsToBatch, otlpMetricsToBatch, otlpTracesToBatch } from '../src/ingest/otlp.js';
import {
  decodeOtlpProtobuf,
  decodeOtlpProtobufResponse,
  decodeWithSchema,
  encodeOtlpProtobufResponse,
} from '../src/ingest/otlp-protobuf.js';
import { decodeTraceRequest } from '../src/ingest/otlp-protobuf-traces.js';
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

// Protobuf fields written by hand, to reach what the SDK's serializer never sends.
type Part = Uint8Array;
const cat = (parts: Part[]): Uint8Array => Buffer.concat(parts);
const tagged = (field: number, wire: number) => protobuf.Writer.create().uint32((field << 3) | wire);
const message = (field: number, ...parts: Part[]): Part => tagged(field, 2).bytes(cat(parts)).finish();
const text = (field: number, value: string): Part => tagged(field, 2).string(value).finish();
const bytes = (field: number, value: number[]): Part =>
  tagged(field, 2).bytes(Uint8Array.from(value)).finish();
const varint = (field: number, value: number | string): Part =>
  tagged(field, 0)
    .int64(value as number)
    .finish();
const fixed64 = (field: number, lo: number, hi: number): Part =>
  tagged(field, 1).fixed32(lo).fixed32(hi).finish();
const fixed32 = (field: number, value: number): Part => tagged(field, 5).fixed32(value).finish();
const double = (field: number, value: number): Part => tagged(field, 1).double(value).finish();
const keyValue = (key: string, ...value: Part[]): Part => message(1, text(1, key), message(2, ...value));
const attr = (field: number, key: string, ...value: Part[]): Part =>
  message(field, text(1, key), message(2, ...value));
const unknown = varint(99, 7);

/** Every field the direct decoder reads, with the values protobufjs treats specially. */
function edgeCaseRequest(): Uint8Array {
  const ids = (n: number, seed: number) => Array.from({ length: n }, (_, i) => (seed + i * 37) & 0xff);
  const span = cat([
    bytes(1, ids(16, 1)),
    bytes(2, ids(8, 2)),
    text(3, 'vendor=x'),
    bytes(4, []), // an empty parent id: '' (otlp.ts reads it as no parent)
    fixed32(16, 257),
    text(5, 'first name'),
    text(5, 'naïve ☃ name'), // a field seen twice: the last wins
    varint(6, -1),
    fixed64(7, 0x05f5e1ff, 0x18a2b3c4),
    fixed64(8, 0xffffffff, 0xffffffff), // 2^64 - 1: past the float shortcut
    attr(9, 'gen_ai.request.model', text(1, 'gpt-4o')),
    attr(9, 'flag.true', varint(2, 1)),
    attr(9, 'flag.false', varint(2, 0)),
    attr(9, 'int.zero', varint(3, 0)),
    attr(9, 'int.minus', varint(3, -1)),
    attr(9, 'int.big', varint(3, '1152921504606846976')),
    attr(9, 'int.negative.big', varint(3, '-4611686018427387904')),
    attr(9, 'double', double(4, 0.5)),
    attr(9, 'double.nan', double(4, Number.NaN)),
    attr(9, 'list', message(5, message(1, text(1, 'a')), message(1, message(5)), message(1, varint(3, 7)))),
    attr(9, 'map', message(6, keyValue('inner', text(1, 'v')), keyValue('deeper', message(6)))),
    attr(9, 'bytes', bytes(7, [0, 1, 254, 255])),
    attr(9, 'bytes.empty', bytes(7, [])),
    attr(9, 'two.values', text(1, 's'), varint(3, 5)),
    attr(9, 'empty.value'),
    message(9, text(1, 'no.value')),
    attr(9, 'gen_ai.request.model', text(1, 'gpt-4o')), // the same short key again: the intern table
    attr(9, 'ключ', text(1, 'значение')),
    unknown,
    varint(10, 3),
    message(11, fixed64(1, 999, 0), text(2, 'early'), attr(3, 'e', text(1, 'v')), varint(4, 1)),
    message(11, fixed64(1, 0, 0), unknown),
    varint(12, 4),
    message(13, bytes(1, ids(16, 9)), bytes(2, ids(8, 9)), text(3, 'l=1'), attr(4, 'k', varint(2, 1))),
    message(13, varint(5, 2), fixed32(6, 1), unknown),
    varint(14, 5),
    message(15, text(2, 'first'), varint(3, 2)),
    message(15, varint(3, 1), unknown), // a message field seen twice: the last wins, not merged
  ]);
  const scope = message(
    1,
    text(1, 'scope'),
    text(2, '1.0'),
    attr(3, 's', text(1, 'v')),
    varint(4, 2),
    unknown,
  );
  const resource = message(1, attr(1, 'service.name', text(1, 'svc')), varint(2, 1), unknown);
  return cat([
    message(
      1,
      resource,
      message(2, scope, message(2, span), message(2, text(5, 'minimal')), text(3, 'scope-schema'), unknown),
      message(2),
      text(3, 'resource-schema'),
      unknown,
    ),
    message(1),
    unknown,
  ]);
}

describe('the direct trace decoder gives what the protobufjs schema gives', async () => {
  test('the SDK serializer’s request', async () => {
    const body = ProtobufTraceSerializer.serializeRequest(await makeSpans())!;
    assert.deepEqual(decodeTraceRequest(body), decodeWithSchema('traces', body));
  });

  test('every field, repeated and unknown fields, odd values', () => {
    const body = edgeCaseRequest();
    const direct = decodeTraceRequest(body);
    assert.deepEqual(direct, decodeWithSchema('traces', body));
    const span = (direct as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Json[] }> }> })
      .resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    // Spot checks, so the comparison above cannot pass by both being wrong the same way.
    assert.equal(span.name, 'naïve ☃ name');
    assert.equal(span.endTimeUnixNano, '18446744073709551615');
    assert.equal(span.startTimeUnixNano, ((0x18a2b3c4n << 32n) | 0x05f5e1ffn).toString());
    assert.deepEqual(span.status, { code: 1 });
  });

  test('fixed64 times: exact decimal text across the range', () => {
    const random = (() => {
      let x = 0x2545f491;
      return () => {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return x >>> 0;
      };
    })();
    const times: Array<[number, number]> = [
      [0, 0],
      [1, 0],
      [999, 0],
      [1000, 0],
      [0xffffffff, 0],
      [0, 1],
      [0xffffffff, 0x1fffff],
      [0, 0x200000],
      [0xffffffff, 0x7fffffff],
      [0, 0x80000000],
    ];
    for (let i = 0; i < 500; i++)
      times.push([random(), (random() & (i % 2 === 0 ? 0x1fffffff : 0xffffffff)) >>> 0]);
    const events = times.map(([lo, hi]) => message(11, fixed64(1, lo, hi)));
    const body = cat([message(1, message(2, message(2, ...events)))]);
    const decoded = decodeTraceRequest(body) as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ events: Json[] }> }> }>;
    };
    const got = decoded.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.events.map((e) => e.timeUnixNano);
    assert.deepEqual(
      got,
      times.map(([lo, hi]) => ((BigInt(hi) << 32n) | BigInt(lo)).toString()),
    );
    // protobufjs writes an Event time of 2^63 or more as a negative number (signed); below it, the same.
    const below = times
      .filter(([, hi]) => hi < 0x80000000)
      .map(([lo, hi]) => message(11, fixed64(1, lo, hi)));
    const body63 = cat([message(1, message(2, message(2, ...below)))]);
    assert.deepEqual(decodeTraceRequest(body63), decodeWithSchema('traces', body63));
  });

  test('thousands of distinct short keys, many prefixes of each other, come out as themselves', () => {
    // More keys than the decoder's intern table has slots, so slots are shared, also by a string
    // and its own prefix: each must still be read as its own bytes.
    const keys: string[] = [];
    for (let i = 0; i < 200; i++) {
      const long = `k.${i}.abcdefghijklmnopqrstuvwxyz0123456789`;
      for (let n = 1; n <= long.length; n += 1) keys.push(long.slice(0, n));
    }
    const body = cat([message(1, message(2, message(2, ...keys.map((k, i) => attr(9, k, varint(3, i))))))]);
    for (let pass = 0; pass < 2; pass++) {
      const decoded = decodeTraceRequest(body) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ attributes: Json[] }> }> }>;
      };
      const got = decoded.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes.map((a) => a.key);
      assert.deepEqual(got, keys);
    }
  });

  test('a known field with the wrong wire type is refused, naming it', () => {
    assert.throws(() => decodeTraceRequest(cat([message(1, message(2, message(2, varint(1, 5))))])), {
      message: 'Span field 1 has wire type 0, expected 2',
    });
  });
});

type Json = Record<string, unknown>;

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
