import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  otlpJsonResponse,
  otlpLogsToBatch,
  otlpMetricsToBatch,
  otlpTracesToBatch,
  rejectedCount,
} from '../src/ingest/otlp.js';
import type { SpanRow } from '../src/model.js';
import { CHILD, expectIngestError, GRANDCHILD, ROOT, TRACE } from './fixtures/ingest/helpers.js';
import { NO_AI } from './no-ai.js';

const NS = 1_795_292_833_000_000_000n; // an epoch in nanoseconds
const ns = (offsetMs: number) => String(NS + BigInt(Math.round(offsetMs * 1e6)));
const MS = Number(NS / 1_000_000n);

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const int = (key: string, value: number | string) => ({ key, value: { intValue: String(value) } });

const resource = {
  attributes: [
    str('service.name', 'chat-api'),
    str('deployment.environment.name', 'production'),
    str('service.version', '1.2.3'),
    str('host.name', 'web-1'),
  ],
};

function spanBase(
  spanId: string,
  parentSpanId: string | undefined,
  name: string,
  extra: Record<string, unknown> = {},
) {
  return {
    traceId: TRACE,
    spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name,
    kind: 1,
    startTimeUnixNano: ns(0),
    endTimeUnixNano: ns(10),
    attributes: [],
    status: {},
    ...extra,
  };
}

function traces(spans: unknown[], res: unknown = resource) {
  return {
    resourceSpans: [{ resource: res, scopeSpans: [{ scope: { name: 'my-lib', version: '0.1' }, spans }] }],
  };
}

function byId(spans: SpanRow[], id: string): SpanRow {
  const row = spans.find((s) => s.spanId === id);
  assert.ok(row, `no span ${id}`);
  return row;
}

describe('OTLP traces (JSON form)', () => {
  const result = otlpTracesToBatch(
    traces([
      spanBase(ROOT, undefined, 'POST /api/chat', {
        kind: 2,
        traceState: 'ot=th:c;rv:0123456789abcd',
        attributes: [str('http.request.method', 'POST'), str('url.path', '/api/chat')],
        status: { code: 1 },
      }),
      spanBase(CHILD, ROOT, 'chat gpt-4o', {
        kind: 3,
        attributes: [
          str('gen_ai.operation.name', 'chat'),
          str('gen_ai.provider.name', 'openai'),
          str('gen_ai.request.model', 'gpt-4o'),
          int('gen_ai.usage.input_tokens', 100),
          int('gen_ai.usage.output_tokens', '20'),
          { key: 'temperature', value: { doubleValue: 0.7 } },
          { key: 'stream', value: { boolValue: false } },
          { key: 'stop', value: { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } } },
          { key: 'meta', value: { kvlistValue: { values: [str('k', 'v')] } } },
          { key: 'blob', value: { bytesValue: 'AQID' } },
          { key: 'big', value: { intValue: '9007199254740993' } },
          { key: 'empty', value: {} },
        ],
        status: { code: 2 },
        events: [
          { name: 'gen_ai.content.prompt', timeUnixNano: ns(1) },
          {
            name: 'exception',
            timeUnixNano: ns(5),
            attributes: [
              str('exception.type', 'RateLimitError'),
              str('exception.message', '429 Too Many Requests'),
            ],
          },
        ],
      }),
      spanBase(GRANDCHILD, CHILD, 'SELECT', {
        attributes: [str('db.system.name', 'postgresql')],
        status: { code: 2, message: 'boom' },
      }),
    ]),
    3,
  );

  test('nothing rejected', () => {
    assert.equal(result.rejectedSpans, 0);
    assert.equal(result.errorMessage, undefined);
    assert.equal(rejectedCount(result), 0);
  });

  test('root row', () => {
    assert.deepEqual(byId(result.batch.spans, ROOT), {
      projectId: 3,
      traceId: TRACE,
      spanId: ROOT,
      parentSpanId: null,
      name: 'POST /api/chat',
      op: 'http.server',
      kind: 'server',
      status: 'ok',
      statusMessage: null,
      startTime: MS,
      endTime: MS + 10,
      isSegment: true,
      segmentId: ROOT,
      serviceName: 'chat-api',
      environment: 'production',
      release: '1.2.3',
      weight: 4,
      attributes: {
        'service.name': 'chat-api',
        'deployment.environment.name': 'production',
        'service.version': '1.2.3',
        'host.name': 'web-1',
        'otel.scope.name': 'my-lib',
        'otel.scope.version': '0.1',
        'http.request.method': 'POST',
        'url.path': '/api/chat',
      },
      source: 'otlp',
      ...NO_AI,
    });
  });

  test('AI child: op gen_ai.chat, AI fields, attribute values, exception event', () => {
    const chat = byId(result.batch.spans, CHILD);
    assert.equal(chat.op, 'gen_ai.chat');
    assert.equal(chat.kind, 'client');
    assert.deepEqual(
      [chat.operation, chat.provider, chat.model, chat.inputTokens, chat.outputTokens],
      ['chat', 'openai', 'gpt-4o', 100, 20],
    );
    assert.equal(chat.status, 'error');
    assert.equal(chat.statusMessage, '429 Too Many Requests');
    assert.equal(chat.attributes['exception.type'], 'RateLimitError');
    assert.equal(chat.attributes.temperature, 0.7);
    assert.equal(chat.attributes.stream, false);
    assert.deepEqual(chat.attributes.stop, ['a', 'b']);
    assert.equal(chat.attributes.meta, '{"k":"v"}');
    assert.equal(chat.attributes.blob, 'AQID');
    assert.equal(chat.attributes.big, '9007199254740993', 'beyond 2^53 kept exact as text');
    assert.equal('empty' in chat.attributes, false);
    assert.equal(chat.isSegment, false);
    assert.equal(chat.segmentId, ROOT);
    assert.equal(chat.weight, 4, 'the trace rate from the root tracestate');
  });

  test('db child', () => {
    const db = byId(result.batch.spans, GRANDCHILD);
    assert.deepEqual(
      [db.op, db.kind, db.status, db.statusMessage, db.segmentId],
      ['db', 'internal', 'error', 'boom', ROOT],
    );
  });
});

describe('OTLP: isSegment and segmentId', () => {
  const OTHER = '4444444444444444';
  type Case = [string, unknown[], Record<string, [boolean, string | null]>];
  const cases: Case[] = [
    ['no parent', [spanBase(ROOT, undefined, 'a')], { [ROOT]: [true, ROOT] }],
    [
      'remote parent (flags 0x300)',
      [spanBase(CHILD, OTHER, 'b', { flags: 0x301 })],
      { [CHILD]: [true, CHILD] },
    ],
    [
      'local parent not in the request (flags 0x100)',
      [spanBase(CHILD, OTHER, 'b', { flags: 0x101, kind: 2 })],
      { [CHILD]: [false, null] },
    ],
    [
      'no flags: SERVER span whose parent is elsewhere',
      [spanBase(CHILD, OTHER, 'b', { kind: 'SPAN_KIND_SERVER' })],
      { [CHILD]: [true, CHILD] },
    ],
    [
      'no flags: CONSUMER span whose parent is elsewhere',
      [spanBase(CHILD, OTHER, 'b', { kind: 5 })],
      { [CHILD]: [true, CHILD] },
    ],
    [
      'no flags: INTERNAL span whose parent is elsewhere',
      [spanBase(CHILD, OTHER, 'b')],
      { [CHILD]: [false, null] },
    ],
    [
      'chain of local children',
      [
        spanBase(ROOT, undefined, 'a'),
        spanBase(CHILD, ROOT, 'b', { flags: 0x101 }),
        spanBase(GRANDCHILD, CHILD, 'c', { flags: 0x101 }),
      ],
      { [ROOT]: [true, ROOT], [CHILD]: [false, ROOT], [GRANDCHILD]: [false, ROOT] },
    ],
  ];
  for (const [name, spans, expected] of cases) {
    test(name, () => {
      const { batch } = otlpTracesToBatch(traces(spans), 1);
      for (const [id, [isSegment, segmentId]] of Object.entries(expected)) {
        const row = byId(batch.spans, id);
        assert.deepEqual([row.isSegment, row.segmentId], [isSegment, segmentId], id);
      }
    });
  }

  test('no flags: a parent in the request from another service makes a segment', () => {
    const request = {
      resourceSpans: [
        {
          resource: { attributes: [str('service.name', 'frontend')] },
          scopeSpans: [
            {
              spans: [
                spanBase(ROOT, undefined, 'GET /', { kind: 2 }),
                spanBase(CHILD, ROOT, 'GET api', { kind: 3 }),
              ],
            },
          ],
        },
        {
          resource: { attributes: [str('service.name', 'api')] },
          scopeSpans: [{ spans: [spanBase(GRANDCHILD, CHILD, 'GET /api', { kind: 2 })] }],
        },
      ],
    };
    const { batch } = otlpTracesToBatch(request, 1);
    assert.deepEqual(
      batch.spans.map((s) => [s.spanId, s.isSegment, s.segmentId, s.serviceName]),
      [
        [ROOT, true, ROOT, 'frontend'],
        [CHILD, false, ROOT, 'frontend'],
        [GRANDCHILD, true, GRANDCHILD, 'api'],
      ],
    );
  });
});

describe('OTLP: op derivation', () => {
  const cases: Array<[string, number, Array<{ key: string; value: unknown }>, string | null]> = [
    ['sentry.op wins', 2, [str('sentry.op', 'custom.op'), str('http.request.method', 'GET')], 'custom.op'],
    [
      'GenAI operation',
      3,
      [str('gen_ai.operation.name', 'invoke_agent'), str('http.request.method', 'POST')],
      'gen_ai.invoke_agent',
    ],
    [
      'Vercel inner call',
      1,
      [str('ai.operationId', 'ai.generateText.doGenerate')],
      'gen_ai.generate_content',
    ],
    ['OpenInference LLM', 1, [str('openinference.span.kind', 'LLM')], 'gen_ai.chat'],
    ['HTTP server', 2, [str('http.request.method', 'GET')], 'http.server'],
    ['HTTP client, old attribute', 3, [str('http.method', 'GET')], 'http.client'],
    ['HTTP internal span: no op', 1, [str('http.request.method', 'GET')], null],
    ['db', 3, [str('db.system', 'redis')], 'db'],
    ['rpc', 3, [str('rpc.system', 'grpc')], 'rpc'],
    ['messaging producer', 4, [str('messaging.system', 'kafka')], 'queue.publish'],
    ['messaging consumer', 5, [str('messaging.system', 'kafka')], 'queue.process'],
    ['faas', 2, [str('faas.trigger', 'timer')], 'timer'],
    ['nothing', 1, [], null],
  ];
  for (const [name, kind, attributes, op] of cases) {
    test(name, () => {
      const { batch } = otlpTracesToBatch(traces([spanBase(ROOT, undefined, 'x', { kind, attributes })]), 1);
      assert.equal(batch.spans[0]!.op, op);
    });
  }
});

describe('OTLP: lenient forms', () => {
  test('snake_case keys, base64 ids, int64 as numbers, enum names', () => {
    const request = {
      resource_spans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { string_value: 'svc' } }] },
          scope_spans: [
            {
              spans: [
                {
                  trace_id: Buffer.from(TRACE, 'hex').toString('base64'),
                  span_id: Buffer.from(ROOT, 'hex').toString('base64'),
                  parent_span_id: '',
                  name: 'x',
                  kind: 'SPAN_KIND_SERVER',
                  start_time_unix_nano: Number(NS),
                  end_time_unix_nano: Number(NS) + 5_000_000,
                  status: { code: 'STATUS_CODE_ERROR', message: 'bad' },
                  attributes: [{ key: 'n', value: { int_value: 5 } }],
                },
              ],
            },
          ],
        },
      ],
    };
    const { batch, rejectedSpans } = otlpTracesToBatch(request, 1);
    assert.equal(rejectedSpans, 0);
    const row = batch.spans[0]!;
    assert.deepEqual(
      [
        row.traceId,
        row.spanId,
        row.parentSpanId,
        row.kind,
        row.status,
        row.statusMessage,
        row.serviceName,
        row.attributes.n,
      ],
      [TRACE, ROOT, null, 'server', 'error', 'bad', 'svc', 5],
    );
    assert.ok(Math.abs(row.endTime - row.startTime - 5) < 0.01);
  });

  test('upper-case hex ids, short kind names, all-zero parent', () => {
    const { batch } = otlpTracesToBatch(
      traces([
        spanBase(ROOT.toUpperCase(), '0000000000000000', 'x', {
          traceId: TRACE.toUpperCase(),
          kind: 'client',
        }),
      ]),
      1,
    );
    assert.deepEqual(
      [batch.spans[0]!.spanId, batch.spans[0]!.traceId, batch.spans[0]!.parentSpanId, batch.spans[0]!.kind],
      [ROOT, TRACE, null, 'client'],
    );
  });

  test('an unknown kind number is kept as no kind; no end time means end = start', () => {
    const { batch } = otlpTracesToBatch(
      traces([spanBase(ROOT, undefined, 'x', { kind: 9, endTimeUnixNano: undefined })]),
      1,
    );
    assert.deepEqual([batch.spans[0]!.kind, batch.spans[0]!.endTime], [null, MS]);
  });

  test('sentry.sample_rate on a segment sets the weight; tracestate on a child covers the trace', () => {
    const a = otlpTracesToBatch(
      traces([
        spanBase(ROOT, undefined, 'x', {
          attributes: [{ key: 'sentry.sample_rate', value: { doubleValue: 0.1 } }],
        }),
      ]),
      1,
    );
    assert.equal(a.batch.spans[0]!.weight, 10);
    const b = otlpTracesToBatch(
      traces([spanBase(ROOT, undefined, 'x'), spanBase(CHILD, ROOT, 'y', { traceState: 'ot=th:8' })]),
      1,
    );
    assert.deepEqual(
      b.batch.spans.map((s) => s.weight),
      [2, 2],
    );
  });

  test('the same span twice in one request is stored once', () => {
    const { batch } = otlpTracesToBatch(
      traces([spanBase(ROOT, undefined, 'x'), spanBase(ROOT, undefined, 'x')]),
      1,
    );
    assert.equal(batch.spans.length, 1);
  });
});

describe('OTLP traces: bad input', () => {
  test('whole-request errors → 400', () => {
    expectIngestError(
      () => otlpTracesToBatch('nope', 1),
      400,
      /body must be a JSON object \(ExportTraceServiceRequest\)/,
    );
    expectIngestError(() => otlpTracesToBatch([], 1), 400, /must be a JSON object/);
    expectIngestError(
      () => otlpTracesToBatch({ resourceSpans: {} }, 1),
      400,
      /request.resourceSpans must be an array/,
    );
    expectIngestError(
      () => otlpTracesToBatch({ resourceSpans: [5] }, 1),
      400,
      /request.resourceSpans\[0\] must be an object/,
    );
    expectIngestError(
      () => otlpTracesToBatch({ resourceSpans: [{ scopeSpans: 'x' }] }, 1),
      400,
      /resourceSpans\[0\].scopeSpans must be an array/,
    );
    expectIngestError(
      () => otlpTracesToBatch({ resourceSpans: [{ scopeSpans: [{ spans: {} }] }] }, 1),
      400,
      /resourceSpans\[0\].scopeSpans\[0\].spans must be an array/,
    );
  });

  test('an empty request is fine', () => {
    assert.equal(otlpTracesToBatch({}, 1).batch.spans.length, 0);
    assert.equal(otlpTracesToBatch({ resourceSpans: [] }, 1).rejectedSpans, 0);
  });

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['trace id too short', { traceId: 'abc' }, /traceId "abc" is not 16 bytes \(32 hex digits\)/],
    ['trace id missing', { traceId: undefined }, /traceId is missing or zero/],
    ['trace id all zero', { traceId: '0'.repeat(32) }, /traceId is missing or zero/],
    ['span id of 16 bytes', { spanId: TRACE }, /spanId .* is not 8 bytes/],
    ['parent id garbage', { parentSpanId: 'zz' }, /parentSpanId "zz" is not 8 bytes/],
    [
      'start time not an integer',
      { startTimeUnixNano: '12abc' },
      /startTimeUnixNano "12abc" is not an unsigned 64-bit integer/,
    ],
    [
      'start time negative',
      { startTimeUnixNano: -5 },
      /startTimeUnixNano "-5" is not an unsigned 64-bit integer/,
    ],
    ['start time float', { startTimeUnixNano: 1.5 }, /is not an unsigned 64-bit integer/],
    ['start time zero', { startTimeUnixNano: '0' }, /startTimeUnixNano is missing or zero/],
    [
      'kind name unknown',
      { kind: 'SPAN_KIND_WEIRD' },
      /kind "SPAN_KIND_WEIRD" is not a known SPAN_KIND value/,
    ],
    [
      'status code name unknown',
      { status: { code: 'BROKEN' } },
      /status.code "BROKEN" is not a known STATUS_CODE value/,
    ],
  ];
  for (const [name, override, reason] of cases) {
    test(`rejected: ${name}`, () => {
      const result = otlpTracesToBatch(
        traces([spanBase(ROOT, undefined, 'bad', override), spanBase(CHILD, undefined, 'good')]),
        1,
      );
      assert.equal(result.rejectedSpans, 1);
      assert.deepEqual(
        result.batch.spans.map((s) => s.name),
        ['good'],
      );
      assert.match(
        result.errorMessage ?? '',
        /^rejected 1 of 2 spans: resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]: /,
      );
      assert.match(result.errorMessage ?? '', reason);
    });
  }

  test('many rejections: the first five reasons and a count', () => {
    const spans = Array.from({ length: 8 }, (_, i) =>
      spanBase(ROOT, undefined, `bad${i}`, { traceId: `x${i}` }),
    );
    const result = otlpTracesToBatch(traces([...spans, 'not an object']), 1);
    assert.equal(result.rejectedSpans, 9);
    assert.match(result.errorMessage ?? '', /^rejected 9 of 9 spans: .*spans\[4\]: .*; and 4 more$/);
  });
});

describe('OTLP logs', () => {
  const logs = (records: unknown[]) => ({
    resourceLogs: [{ resource, scopeLogs: [{ scope: { name: 'logger' }, logRecords: records }] }],
  });

  test('a full record', () => {
    const result = otlpLogsToBatch(
      logs([
        {
          timeUnixNano: ns(0),
          observedTimeUnixNano: ns(1),
          severityNumber: 13,
          severityText: 'WARN',
          body: { stringValue: 'disk almost full' },
          attributes: [str('disk', '/dev/sda')],
          traceId: TRACE,
          spanId: ROOT,
          eventName: 'disk.check',
        },
      ]),
      2,
      { now: 5 },
    );
    assert.deepEqual(result.batch.logs[0], {
      projectId: 2,
      timestamp: MS,
      traceId: TRACE,
      spanId: ROOT,
      level: 'warn',
      severityNumber: 13,
      body: 'disk almost full',
      serviceName: 'chat-api',
      environment: 'production',
      release: '1.2.3',
      attributes: {
        'service.name': 'chat-api',
        'deployment.environment.name': 'production',
        'service.version': '1.2.3',
        'host.name': 'web-1',
        'otel.scope.name': 'logger',
        disk: '/dev/sda',
        'event.name': 'disk.check',
        'otel.severity_text': 'WARN',
      },
    });
  });

  describe('severity', () => {
    const cases: Array<[unknown, string | undefined, string, number]> = [
      [1, undefined, 'trace', 1],
      [4, undefined, 'trace', 4],
      [5, undefined, 'debug', 5],
      [8, undefined, 'debug', 8],
      [9, undefined, 'info', 9],
      [12, undefined, 'info', 12],
      [13, undefined, 'warn', 13],
      [16, undefined, 'warn', 16],
      [17, undefined, 'error', 17],
      [20, undefined, 'error', 20],
      [21, undefined, 'fatal', 21],
      [24, undefined, 'fatal', 24],
      ['SEVERITY_NUMBER_ERROR3', undefined, 'error', 19],
      ['WARN2', undefined, 'warn', 14],
      ['18', undefined, 'error', 18],
      [0, 'Warning', 'warn', 13],
      [undefined, 'CRITICAL', 'fatal', 21],
      [undefined, 'err', 'error', 17],
      [undefined, undefined, 'info', 9],
      [99, undefined, 'info', 9],
      [30, 'debug', 'debug', 5],
    ];
    for (const [severityNumber, severityText, level, number] of cases) {
      test(`${JSON.stringify(severityNumber) ?? '-'} / ${severityText ?? '-'} → ${level} ${number}`, () => {
        const { batch } = otlpLogsToBatch(
          logs([{ timeUnixNano: ns(0), severityNumber, severityText, body: { stringValue: 'x' } }]),
          1,
        );
        assert.deepEqual([batch.logs[0]!.level, batch.logs[0]!.severityNumber], [level, number]);
      });
    }
  });

  describe('body', () => {
    const cases: Array<[unknown, string]> = [
      [{ stringValue: 'text' }, 'text'],
      [{ intValue: '42' }, '42'],
      [{ doubleValue: 1.5 }, '1.5'],
      [{ boolValue: true }, 'true'],
      [{ kvlistValue: { values: [str('a', 'b'), int('n', 1)] } }, '{"a":"b","n":1}'],
      [{ arrayValue: { values: [{ stringValue: 'a' }, { intValue: 2 }] } }, '["a",2]'],
      [{}, ''],
      [undefined, ''],
    ];
    for (const [body, text] of cases) {
      test(`${JSON.stringify(body) ?? 'undefined'} → ${JSON.stringify(text)}`, () => {
        assert.equal(otlpLogsToBatch(logs([{ timeUnixNano: ns(0), body }]), 1).batch.logs[0]!.body, text);
      });
    }
  });

  test('timestamp: observed time, then now', () => {
    const { batch } = otlpLogsToBatch(logs([{ observedTimeUnixNano: ns(7) }, { timeUnixNano: '0' }]), 1, {
      now: 123,
    });
    assert.deepEqual(
      batch.logs.map((l) => l.timestamp),
      [MS + 7, 123],
    );
  });

  test('bad records rejected alone', () => {
    const result = otlpLogsToBatch(
      logs([
        { timeUnixNano: ns(0), traceId: 'nope' },
        { timeUnixNano: 'soon' },
        { severityNumber: 'LOUD' },
        3,
        { timeUnixNano: ns(0) },
      ]),
      1,
    );
    assert.equal(result.rejectedLogRecords, 4);
    assert.equal(result.batch.logs.length, 1);
    assert.match(
      result.errorMessage ?? '',
      /^rejected 4 of 5 log records: resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]: traceId "nope"/,
    );
    assert.match(result.errorMessage ?? '', /timeUnixNano "soon" is not an unsigned 64-bit integer/);
    assert.match(result.errorMessage ?? '', /severityNumber "LOUD" is not a known SEVERITY_NUMBER value/);
    assert.match(result.errorMessage ?? '', /logRecords\[3\]: not an object/);
  });

  test('structure errors → 400', () => {
    expectIngestError(() => otlpLogsToBatch(null, 1), 400, /ExportLogsServiceRequest/);
    expectIngestError(
      () => otlpLogsToBatch({ resourceLogs: [{ scopeLogs: [{ logRecords: 'x' }] }] }, 1),
      400,
      /logRecords must be an array/,
    );
  });
});

describe('OTLP metrics', () => {
  const metrics = (list: unknown[]) => ({
    resourceMetrics: [{ resource, scopeMetrics: [{ scope: { name: 'meter' }, metrics: list }] }],
  });
  const point = (extra: Record<string, unknown>) => ({
    timeUnixNano: ns(0),
    startTimeUnixNano: ns(-1000),
    attributes: [str('route', '/a')],
    ...extra,
  });

  test('sum delta → counter; row shape', () => {
    const { batch, rejectedDataPoints } = otlpMetricsToBatch(
      metrics([
        {
          name: 'requests',
          unit: '{request}',
          sum: {
            aggregationTemporality: 1,
            isMonotonic: true,
            dataPoints: [
              point({
                asInt: '3',
                exemplars: [{ timeUnixNano: ns(0), asDouble: 1, traceId: TRACE, spanId: ROOT }],
              }),
            ],
          },
        },
      ]),
      4,
    );
    assert.equal(rejectedDataPoints, 0);
    assert.deepEqual(batch.metrics[0], {
      projectId: 4,
      timestamp: MS,
      traceId: TRACE,
      spanId: ROOT,
      name: 'requests',
      type: 'counter',
      value: 3,
      unit: '{request}',
      serviceName: 'chat-api',
      attributes: {
        'service.name': 'chat-api',
        'deployment.environment.name': 'production',
        'service.version': '1.2.3',
        'host.name': 'web-1',
        'otel.scope.name': 'meter',
        route: '/a',
        'sieve.aggregation': 'sum',
        'sieve.temporality': 'delta',
      },
    });
  });

  const cases: Array<[string, Record<string, unknown>, Array<[string, number]>]> = [
    [
      'sum cumulative → gauge (a running total)',
      { sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [point({ asInt: 10 })] } },
      [['gauge', 10]],
    ],
    [
      'sum, temporality as a name',
      {
        sum: {
          aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA',
          dataPoints: [point({ asDouble: 2.5 })],
        },
      },
      [['counter', 2.5]],
    ],
    [
      'non-monotonic delta sum → counter',
      { sum: { aggregationTemporality: 1, isMonotonic: false, dataPoints: [point({ asInt: '-2' })] } },
      [['counter', -2]],
    ],
    [
      'gauge',
      { gauge: { dataPoints: [point({ asDouble: 0.75 }), point({ asInt: '4' })] } },
      [
        ['gauge', 0.75],
        ['gauge', 4],
      ],
    ],
    ['gauge with asDouble 0', { gauge: { dataPoints: [point({ asDouble: 0 })] } }, [['gauge', 0]]],
    ['no recorded value is skipped', { gauge: { dataPoints: [point({ asDouble: 1, flags: 1 })] } }, []],
    [
      'histogram → distribution of the mean',
      {
        histogram: {
          aggregationTemporality: 1,
          dataPoints: [
            point({ count: '4', sum: 10, min: 1, max: 5, bucketCounts: ['1', '3'], explicitBounds: [2] }),
          ],
        },
      },
      [['distribution', 2.5]],
    ],
    ['histogram with count 0 is skipped', { histogram: { dataPoints: [point({ count: '0', sum: 0 })] } }, []],
    [
      'exponential histogram',
      {
        exponentialHistogram: {
          aggregationTemporality: 2,
          dataPoints: [point({ count: 2, sum: 3, scale: 2, positive: { offset: 0, bucketCounts: ['2'] } })],
        },
      },
      [['distribution', 1.5]],
    ],
    [
      'summary',
      {
        summary: {
          dataPoints: [
            point({
              count: '5',
              sum: 50,
              quantileValues: [
                { quantile: 0.5, value: 9 },
                { quantile: 0.99, value: 20 },
              ],
            }),
          ],
        },
      },
      [['distribution', 10]],
    ],
  ];
  for (const [name, data, expected] of cases) {
    test(name, () => {
      const { batch, rejectedDataPoints } = otlpMetricsToBatch(metrics([{ name: 'm', ...data }]), 1);
      assert.equal(rejectedDataPoints, 0);
      assert.deepEqual(
        batch.metrics.map((m) => [m.type, m.value]),
        expected,
      );
    });
  }

  test('histogram attributes keep count, sum, min, max and buckets', () => {
    const { batch } = otlpMetricsToBatch(
      metrics([
        {
          name: 'latency',
          unit: 'ms',
          histogram: {
            aggregationTemporality: 2,
            dataPoints: [
              point({ count: '4', sum: 10, min: 1, max: 5, bucketCounts: ['1', '3'], explicitBounds: [2] }),
            ],
          },
        },
      ]),
      1,
    );
    const a = batch.metrics[0]!.attributes;
    assert.deepEqual(
      [
        a['sieve.aggregation'],
        a['sieve.temporality'],
        a['sieve.count'],
        a['sieve.sum'],
        a['sieve.min'],
        a['sieve.max'],
        a['sieve.bucket_counts'],
        a['sieve.explicit_bounds'],
      ],
      ['histogram', 'cumulative', 4, 10, 1, 5, [1, 3], [2]],
    );
  });

  test('summary quantiles become attributes', () => {
    const { batch } = otlpMetricsToBatch(
      metrics([
        {
          name: 's',
          summary: {
            dataPoints: [point({ count: 1, sum: 2, quantileValues: [{ quantile: 0.5, value: 2 }] })],
          },
        },
      ]),
      1,
    );
    assert.equal(batch.metrics[0]!.attributes['sieve.quantile.0.5'], 2);
  });

  test('bad points rejected alone, with reasons', () => {
    const result = otlpMetricsToBatch(
      metrics([
        {
          name: 'a',
          gauge: {
            dataPoints: [
              point({}),
              point({ asInt: '1.5' }),
              point({ asDouble: 1, timeUnixNano: '0' }),
              point({ asDouble: 'NaN' }),
              point({ asDouble: 1 }),
            ],
          },
        },
        { name: 'h', histogram: { dataPoints: [point({ count: '3' })] } },
        {
          name: 't',
          sum: {
            aggregationTemporality: 'SOMETIMES',
            dataPoints: [point({ asInt: 1 }), point({ asInt: 2 })],
          },
        },
        { gauge: { dataPoints: [point({ asInt: 1 })] } },
        { name: 'empty' },
      ]),
      1,
    );
    assert.equal(result.batch.metrics.length, 1);
    assert.equal(result.rejectedDataPoints, 8);
    const message = result.errorMessage ?? '';
    assert.match(message, /^rejected 8 of 9 data points: /);
    assert.match(message, /metrics\[0\]\.dataPoints\[0\]: point has neither asDouble nor asInt/);
    assert.match(message, /dataPoints\[1\]: asInt "1.5" is not a 64-bit integer/);
    assert.match(message, /dataPoints\[2\]: timeUnixNano is missing or zero/);
    assert.match(message, /dataPoints\[3\]: value "NaN" is not a finite number/);
    assert.match(message, /metrics\[1\]\.dataPoints\[0\]: histogram point of count 3 has no sum/);
    assert.match(
      message,
      /metrics\[4\]: metric has no gauge, sum, histogram, exponentialHistogram or summary/,
    );
  });

  test('structure errors → 400', () => {
    expectIngestError(() => otlpMetricsToBatch(7, 1), 400, /ExportMetricsServiceRequest/);
    expectIngestError(
      () => otlpMetricsToBatch(metrics([{ name: 'x', gauge: { dataPoints: 'no' } }]), 1),
      400,
      /metrics\[0\]\.gauge\.dataPoints must be an array/,
    );
  });
});

test('otlpJsonResponse', () => {
  assert.deepEqual(otlpJsonResponse('traces', 0), {});
  assert.deepEqual(otlpJsonResponse('traces', 2, 'why'), {
    partialSuccess: { rejectedSpans: '2', errorMessage: 'why' },
  });
  assert.deepEqual(otlpJsonResponse('logs', 1), {
    partialSuccess: { rejectedLogRecords: '1', errorMessage: '' },
  });
  assert.deepEqual(otlpJsonResponse('metrics', 0, 'note'), {
    partialSuccess: { rejectedDataPoints: '0', errorMessage: 'note' },
  });
});

describe('OTLP: hostile input', () => {
  test('__proto__ keys are dropped, deep kvlists are cut', () => {
    let deep: unknown = { stringValue: 'bottom' };
    for (let i = 0; i < 10_000; i++) deep = { kvlistValue: { values: [{ key: 'k', value: deep }] } };
    const { batch, rejectedSpans } = otlpTracesToBatch(
      traces([
        spanBase(ROOT, undefined, 'x', {
          attributes: [
            { key: '__proto__', value: { stringValue: 'x' } },
            { key: 'deep', value: deep },
            {
              key: 'kv',
              value: {
                kvlistValue: { values: [{ key: '__proto__', value: { stringValue: 'y' } }, str('a', 'b')] },
              },
            },
          ],
        }),
      ]),
      1,
    );
    assert.equal(rejectedSpans, 0);
    const attributes = batch.spans[0]!.attributes;
    assert.equal(Object.getPrototypeOf(attributes), Object.prototype);
    assert.equal(Object.hasOwn(attributes, '__proto__'), false);
    assert.equal(attributes.kv, '{"a":"b"}');
    assert.equal(typeof attributes.deep, 'string');
  });
});
