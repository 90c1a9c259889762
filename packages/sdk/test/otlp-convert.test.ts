/** The pure OTLP/JSON converters: spans, logs, metrics and their building blocks, as tables. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  msToNanos,
  otlpResource,
  SDK_VERSION,
  toAnyValue,
  toKeyValues,
} from '../src/exporters/otlp/common.js';
import { parseHeadersEnv, parsePartialSuccess, resolveOtlpOptions } from '../src/exporters/otlp/exporter.js';
import { logsToOtlp, logToOtlp } from '../src/exporters/otlp/logs.js';
import {
  boundsFor,
  bucketIndex,
  metricsToOtlp,
  OTLP_HISTOGRAM_BOUNDS,
  otlpUnit,
} from '../src/exporters/otlp/metrics.js';
import { otTraceState, spanKind, spanStatus, spansToOtlp, spanToOtlp } from '../src/exporters/otlp/spans.js';
import { parseRetryAfter } from '../src/exporters/otlp/transport.js';
import type { OtlpKeyValue } from '../src/exporters/otlp/types.js';
import { sampleRandToRv } from '../src/propagation/tracestate.js';
import type { Attributes, LogRecord, MetricRecord, ReadableSpan, SpanStatus } from '../src/types.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const RESOURCE = otlpResource({ serviceName: 'svc' });

/** KeyValue[] back to a plain object of AnyValues, for readable assertions. */
function kv(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((e) => [e.key, e.value]));
}

function fakeSpan(over: Partial<ReadableSpan> & { dsc?: Record<string, string> } = {}): ReadableSpan {
  const { dsc = {}, ...rest } = over;
  const span: ReadableSpan = {
    traceId: T,
    spanId: '00f067aa0ba902b7',
    parentSpanId: undefined,
    name: 'work',
    op: undefined,
    attributes: {},
    status: { code: 0 },
    events: [],
    startTime: 1_700_000_000_000.5,
    endTime: 1_700_000_000_250.25,
    sampled: true,
    isSegment: true,
    get segment() {
      return span;
    },
    dynamicSamplingContext: () => dsc,
    ...rest,
  };
  return span;
}

describe('msToNanos', () => {
  const table: Array<[number, string]> = [
    [0, '0'],
    [-5, '0'],
    [Number.NaN, '0'],
    [Number.POSITIVE_INFINITY, '0'],
    [1, '1000000'],
    [0.001, '1000'],
    [0.0000004, '0'],
    [1_700_000_000_000, '1700000000000000000'],
    [1_700_000_000_000.5, '1700000000000500000'],
    [1_700_000_000_123.456, '1700000000123456000'],
    // Float noise below a microsecond is rounded away; 0.9996 ms carries into the next millisecond.
    [1_700_000_000_000 + 0.9996, '1700000000001000000'],
  ];
  for (const [ms, ns] of table) {
    test(`${ms} ms → ${ns}`, () => assert.equal(msToNanos(ms), ns));
  }
});

describe('toAnyValue', () => {
  const table: Array<[Attributes[string], unknown]> = [
    ['a', { stringValue: 'a' }],
    ['', { stringValue: '' }],
    [true, { boolValue: true }],
    [0, { intValue: '0' }],
    [-42, { intValue: '-42' }],
    [2 ** 53 - 1, { intValue: '9007199254740991' }],
    [2 ** 53, { doubleValue: 2 ** 53 }],
    [1.5, { doubleValue: 1.5 }],
    [Number.NaN, { doubleValue: 'NaN' }],
    [Number.NEGATIVE_INFINITY, { doubleValue: '-Infinity' }],
    [['x', 'y'], { arrayValue: { values: [{ stringValue: 'x' }, { stringValue: 'y' }] } }],
    [[1, 2], { arrayValue: { values: [{ intValue: '1' }, { intValue: '2' }] } }],
    [[1, 2.5], { arrayValue: { values: [{ doubleValue: 1 }, { doubleValue: 2.5 }] } }],
    [[true], { arrayValue: { values: [{ boolValue: true }] } }],
    [[], { arrayValue: { values: [] } }],
  ];
  for (const [value, expected] of table) {
    test(`${JSON.stringify(value)}`, () => assert.deepEqual(toAnyValue(value), expected));
  }

  test('toKeyValues skips values that are no attribute value', () => {
    const hostile = { ok: 1, obj: { a: 1 }, nil: null, undef: undefined } as unknown as Attributes;
    assert.deepEqual(toKeyValues(hostile), [{ key: 'ok', value: { intValue: '1' } }]);
  });
});

describe('resource', () => {
  test('service.name, telemetry.sdk.* and user attributes', () => {
    const r = kv(
      otlpResource({ serviceName: 'api', attributes: { 'deployment.environment.name': 'prod' } }).attributes,
    );
    assert.deepEqual(r, {
      'service.name': { stringValue: 'api' },
      'telemetry.sdk.name': { stringValue: 'sieve' },
      'telemetry.sdk.language': { stringValue: 'nodejs' },
      'telemetry.sdk.version': { stringValue: SDK_VERSION },
      'deployment.environment.name': { stringValue: 'prod' },
    });
    assert.match(SDK_VERSION, /^\d+\.\d+\.\d+/);
  });

  test('OpenTelemetry default service name; serviceName wins over a service.name attribute', () => {
    assert.deepEqual(kv(otlpResource().attributes)['service.name'], { stringValue: 'unknown_service:node' });
    const r = kv(otlpResource({ serviceName: 'a', attributes: { 'service.name': 'b' } }).attributes);
    assert.deepEqual(r['service.name'], { stringValue: 'a' });
  });
});

describe('spans', () => {
  const kinds: Array<[string | undefined, number]> = [
    [undefined, 1],
    ['db', 1],
    ['http.server', 2],
    ['http.client', 3],
    ['gen_ai.chat', 1],
  ];
  for (const [op, kind] of kinds) test(`op ${op} → kind ${kind}`, () => assert.equal(spanKind(op), kind));

  const statuses: Array<[SpanStatus, unknown]> = [
    [{ code: 0 }, { code: 0 }],
    [{ code: 1 }, { code: 1 }],
    [{ code: 1, message: 'ignored' }, { code: 1 }],
    [{ code: 2 }, { code: 2 }],
    [
      { code: 2, message: 'internal_error' },
      { code: 2, message: 'internal_error' },
    ],
  ];
  for (const [status, expected] of statuses) {
    test(`status ${JSON.stringify(status)}`, () => assert.deepEqual(spanStatus(status), expected));
  }

  const states: Array<
    [string, Partial<ReadableSpan> & { dsc?: Record<string, string> }, string | undefined]
  > = [
    ['rate 1', { dsc: { sample_rate: '1', sample_rand: '0.5' } }, `ot=th:0;rv:${sampleRandToRv(0.5)}`],
    ['rate 0.5', { dsc: { sample_rate: '0.5', sample_rand: '0.25' } }, `ot=th:8;rv:${sampleRandToRv(0.25)}`],
    ['rate 0.25, no rand', { dsc: { sample_rate: '0.25' } }, 'ot=th:c'],
    ['no rate', { dsc: { sample_rand: '0.25' } }, undefined],
    ['invalid rate', { dsc: { sample_rate: 'x' } }, undefined],
    ['rate from the segment attribute', { attributes: { 'sentry.sample_rate': 0.5 } }, 'ot=th:8'],
  ];
  for (const [name, over, expected] of states) {
    test(`traceState: ${name}`, () => assert.equal(otTraceState(fakeSpan(over)), expected));
  }

  test('a root span in full', () => {
    const span = fakeSpan({
      name: 'GET /api/chat',
      op: 'http.server',
      attributes: { 'http.request.method': 'GET', 'sentry.sample_rate': 0.5, n: 3 },
      status: { code: 2, message: 'internal_error' },
      events: [
        { name: 'exception', time: 1_700_000_000_100, attributes: { 'exception.message': 'boom' } },
        { name: 'mark', time: 1_700_000_000_200 },
      ],
      dsc: { sample_rate: '0.5', sample_rand: '0.25' },
    });
    const out = spanToOtlp(span);
    assert.deepEqual(out, {
      traceId: T,
      spanId: '00f067aa0ba902b7',
      flags: 0x101,
      name: 'GET /api/chat',
      kind: 2,
      startTimeUnixNano: '1700000000000500000',
      endTimeUnixNano: '1700000000250250000',
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'sentry.sample_rate', value: { doubleValue: 0.5 } },
        { key: 'n', value: { intValue: '3' } },
        { key: 'sentry.op', value: { stringValue: 'http.server' } },
      ],
      status: { code: 2, message: 'internal_error' },
      traceState: `ot=th:8;rv:${sampleRandToRv(0.25)}`,
      events: [
        {
          timeUnixNano: '1700000000100000000',
          name: 'exception',
          attributes: [{ key: 'exception.message', value: { stringValue: 'boom' } }],
        },
        { timeUnixNano: '1700000000200000000', name: 'mark' },
      ],
    });
    assert.equal('parentSpanId' in out, false, 'a root has no parentSpanId at all');
  });

  test('a child has its parent id; a continued root has a remote parent', () => {
    const root = fakeSpan({ parentSpanId: 'aaaaaaaaaaaaaaaa' });
    const child = fakeSpan({
      spanId: 'bbbbbbbbbbbbbbbb',
      parentSpanId: '00f067aa0ba902b7',
      isSegment: false,
    });
    const [r, c] = spansToOtlp([root, child], RESOURCE).resourceSpans[0]!.scopeSpans[0]!.spans;
    assert.equal(r!.parentSpanId, 'aaaaaaaaaaaaaaaa');
    assert.equal(r!.flags, 0x301);
    assert.equal(c!.parentSpanId, '00f067aa0ba902b7');
    assert.equal(c!.flags, 0x101);
  });

  test('sentry.op already set is not duplicated', () => {
    const out = spanToOtlp(fakeSpan({ op: 'db', attributes: { 'sentry.op': 'db' } }));
    assert.equal(out.attributes.filter((a) => a.key === 'sentry.op').length, 1);
  });

  test('request envelope: resource and scope', () => {
    const req = spansToOtlp([fakeSpan()], RESOURCE);
    assert.equal(req.resourceSpans.length, 1);
    assert.equal(req.resourceSpans[0]!.resource, RESOURCE);
    assert.deepEqual(req.resourceSpans[0]!.scopeSpans[0]!.scope, {
      name: '@sieve/sdk',
      version: SDK_VERSION,
    });
  });
});

describe('logs', () => {
  const base: LogRecord = {
    timestamp: 1_700_000_000_000.25,
    level: 'warn',
    severityNumber: 13,
    body: 'disk almost full',
    traceId: T,
    spanId: '00f067aa0ba902b7',
    attributes: { free: 0.05, host: 'a' },
  };

  test('a record in full', () => {
    assert.deepEqual(logToOtlp(base), {
      timeUnixNano: '1700000000000250000',
      observedTimeUnixNano: '1700000000000250000',
      severityNumber: 13,
      severityText: 'warn',
      body: { stringValue: 'disk almost full' },
      attributes: [
        { key: 'free', value: { doubleValue: 0.05 } },
        { key: 'host', value: { stringValue: 'a' } },
      ],
      traceId: T,
      spanId: '00f067aa0ba902b7',
    });
  });

  const severities: Array<[LogRecord['level'], number, number]> = [
    ['trace', 1, 1],
    ['info', 9, 9],
    ['info', 10, 10],
    ['error', 0, 17],
    ['fatal', 99, 21],
  ];
  for (const [level, given, expected] of severities) {
    test(`severity ${level}/${given} → ${expected}`, () =>
      assert.equal(logToOtlp({ ...base, level, severityNumber: given }).severityNumber, expected));
  }

  test('no span, no trace: ids left out', () => {
    const out = logToOtlp({ ...base, traceId: '', spanId: undefined });
    assert.equal('traceId' in out, false);
    assert.equal('spanId' in out, false);
  });

  test('request envelope', () => {
    const req = logsToOtlp([base, base], RESOURCE);
    assert.equal(req.resourceLogs[0]!.scopeLogs[0]!.logRecords.length, 2);
    assert.equal(req.resourceLogs[0]!.scopeLogs[0]!.scope.name, '@sieve/sdk');
  });
});

describe('metrics', () => {
  function m(over: Partial<MetricRecord>): MetricRecord {
    return {
      timestamp: 1_700_000_000_000,
      name: 'requests',
      type: 'counter',
      value: 1,
      unit: undefined,
      traceId: T,
      spanId: undefined,
      attributes: {},
      ...over,
    };
  }
  const metricsOf = (records: MetricRecord[]) =>
    metricsToOtlp(records, RESOURCE).resourceMetrics[0]!.scopeMetrics[0]!.metrics;

  test('counters: one delta monotonic Sum point per attribute set, whatever the key order', () => {
    const [sum, ...rest] = metricsOf([
      m({ value: 1, attributes: { route: '/a', method: 'GET' }, timestamp: 1_700_000_000_000 }),
      m({ value: 2, attributes: { method: 'GET', route: '/a' }, timestamp: 1_700_000_000_500 }),
      m({ value: 5, attributes: { route: '/b' }, timestamp: 1_700_000_000_200, spanId: 'cccccccccccccccc' }),
    ]);
    assert.equal(rest.length, 0);
    assert.equal(sum!.name, 'requests');
    assert.equal(sum!.sum!.aggregationTemporality, 1);
    assert.equal(sum!.sum!.isMonotonic, true);
    const points = sum!.sum!.dataPoints;
    assert.equal(points.length, 2);
    assert.equal(points[0]!.asDouble, 3);
    assert.equal(points[0]!.startTimeUnixNano, '1700000000000000000');
    assert.equal(points[0]!.timeUnixNano, '1700000000500000000');
    assert.deepEqual(kv(points[0]!.attributes), {
      route: { stringValue: '/a' },
      method: { stringValue: 'GET' },
    });
    assert.equal(points[1]!.asDouble, 5);
    assert.deepEqual(points[1]!.exemplars, [
      { timeUnixNano: '1700000000200000000', asDouble: 5, traceId: T, spanId: 'cccccccccccccccc' },
    ]);
  });

  test('a negative increment makes the Sum non-monotonic', () => {
    const [sum] = metricsOf([m({ value: 3 }), m({ value: -1 })]);
    assert.equal(sum!.sum!.isMonotonic, false);
    assert.equal(sum!.sum!.dataPoints[0]!.asDouble, 2);
  });

  test('gauges: the last value per attribute set', () => {
    const [gauge] = metricsOf([
      m({ type: 'gauge', name: 'queue', value: 7, timestamp: 1_700_000_000_000 }),
      m({ type: 'gauge', name: 'queue', value: 3, timestamp: 1_700_000_000_900 }),
      m({ type: 'gauge', name: 'queue', value: 5, timestamp: 1_700_000_000_400 }),
    ]);
    assert.equal(gauge!.gauge!.dataPoints.length, 1);
    assert.equal(gauge!.gauge!.dataPoints[0]!.asDouble, 3);
    assert.equal(gauge!.gauge!.dataPoints[0]!.timeUnixNano, '1700000000900000000');
  });

  test('distributions: a delta Histogram with consistent count, sum, min, max and buckets', () => {
    const values = [0.5, 1, 3, 3, 120, 7000, 2_000_000];
    const [h] = metricsOf(
      values.map((value, i) =>
        m({
          type: 'distribution',
          name: 'latency',
          unit: 'millisecond',
          value,
          timestamp: 1_700_000_000_000 + i,
        }),
      ),
    );
    assert.equal(h!.unit, 'ms');
    assert.equal(h!.histogram!.aggregationTemporality, 1);
    const p = h!.histogram!.dataPoints[0]!;
    assert.equal(p.count, '7');
    assert.equal(
      p.sum,
      values.reduce((a, b) => a + b, 0),
    );
    assert.equal(p.min, 0.5);
    assert.equal(p.max, 2_000_000);
    assert.deepEqual(p.explicitBounds, [...OTLP_HISTOGRAM_BOUNDS]);
    assert.equal(p.bucketCounts.length, p.explicitBounds.length + 1);
    assert.equal(
      p.bucketCounts.reduce((a, b) => a + Number(b), 0),
      7,
    );
    // (−∞,1] holds 0.5 and 1; (2.5,5] holds both 3s; the last bucket holds 2,000,000.
    assert.equal(p.bucketCounts[0], '2');
    assert.equal(p.bucketCounts[2], '2');
    assert.equal(p.bucketCounts.at(-1), '1');
    assert.equal(p.exemplars![0]!.asDouble, 2_000_000, 'the exemplar is the largest measurement');
    assert.equal(p.startTimeUnixNano, '1700000000000000000');
    assert.equal(p.timeUnixNano, '1700000000006000000');
  });

  test('name, type and unit keep metrics apart; non-finite values are skipped', () => {
    const out = metricsOf([
      m({ name: 'x', type: 'counter' }),
      m({ name: 'x', type: 'gauge' }),
      m({ name: 'x', type: 'counter', unit: 'byte' }),
      m({ name: 'x', type: 'counter', value: Number.NaN }),
    ]);
    assert.deepEqual(
      out.map((metric) => [metric.name, metric.sum ? 'sum' : 'gauge', metric.unit]),
      [
        ['x', 'sum', undefined],
        ['x', 'gauge', undefined],
        ['x', 'sum', 'By'],
      ],
    );
  });

  const units: Array<[string | undefined, string | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['none', undefined],
    ['millisecond', 'ms'],
    ['second', 's'],
    ['byte', 'By'],
    ['percent', '%'],
    ['ratio', '1'],
    ['token', 'token'],
    ['{request}', '{request}'],
  ];
  for (const [unit, expected] of units)
    test(`unit ${unit} → ${expected}`, () => assert.equal(otlpUnit(unit), expected));

  test('bucketIndex: upper bounds are inclusive', () => {
    const bounds = [1, 10, 100];
    const table: Array<[number, number]> = [
      [-5, 0],
      [1, 0],
      [1.01, 1],
      [10, 1],
      [99, 2],
      [100, 2],
      [101, 3],
    ];
    for (const [value, index] of table) assert.equal(bucketIndex(bounds, value), index, `value ${value}`);
  });

  test('bounds: user arrays are cleaned, functions chosen per metric, seconds scaled', () => {
    assert.deepEqual(boundsFor('a', undefined, [5, 1, 1, Number.NaN]), [1, 5]);
    assert.deepEqual(
      boundsFor('tokens', undefined, (name) => (name === 'tokens' ? [10, 100] : undefined)),
      [10, 100],
    );
    assert.equal(
      boundsFor('other', undefined, () => undefined),
      OTLP_HISTOGRAM_BOUNDS,
    );
    assert.equal(boundsFor('t', 'second', undefined)[0], 0.001);
    assert.equal(
      boundsFor('t', undefined, () => {
        throw new Error('x');
      }),
      OTLP_HISTOGRAM_BOUNDS,
    );
  });
});

describe('options and responses', () => {
  test('signal URLs: base + /v1/<signal>, per-signal URLs as given, env fallbacks', () => {
    const a = resolveOtlpOptions({ url: 'http://127.0.0.1:4318/' }, {}).options.urls;
    assert.equal(a.traces?.href, 'http://127.0.0.1:4318/v1/traces');
    assert.equal(a.logs?.href, 'http://127.0.0.1:4318/v1/logs');
    assert.equal(a.metrics?.href, 'http://127.0.0.1:4318/v1/metrics');
    const b = resolveOtlpOptions({ url: 'https://otel.example/prefix', tracesUrl: 'https://x.example/t' }, {})
      .options.urls;
    assert.equal(b.traces?.href, 'https://x.example/t');
    assert.equal(b.metrics?.href, 'https://otel.example/prefix/v1/metrics');
    const c = resolveOtlpOptions(
      {},
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:1/ingest',
        OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20abc, x-team = core',
        OTEL_SERVICE_NAME: 'from-env',
      },
    ).options;
    assert.equal(c.urls.traces?.href, 'http://collector:4318/v1/traces');
    assert.equal(c.urls.logs?.href, 'http://logs:1/ingest');
    assert.deepEqual(c.headers, { Authorization: 'Bearer abc', 'x-team': 'core' });
    assert.equal(c.serviceName, 'from-env');
    assert.equal(resolveOtlpOptions({}, {}).options.urls.traces?.href, 'http://localhost:4318/v1/traces');
  });

  test('invalid options warn and fall back; nothing throws', () => {
    const { options, warnings } = resolveOtlpOptions(
      {
        url: 'ftp://x',
        headers: { 'bad header': 'x', ok: 'y', nl: 'a\nb' },
        compression: 'br' as 'gzip',
        maxBatchSize: -1,
        maxQueueSize: Number.NaN,
      },
      {},
    );
    assert.equal(options.urls.traces, undefined);
    assert.deepEqual(options.headers, { ok: 'y' });
    assert.equal(options.compression, 'gzip');
    assert.equal(options.maxBatchSize, 512);
    assert.equal(options.maxQueueSize, 2048);
    assert.ok(warnings.length >= 5, warnings.join('\n'));
    assert.doesNotThrow(() => resolveOtlpOptions(null as unknown as undefined, {}));
  });

  test('OTEL_EXPORTER_OTLP_HEADERS parsing', () => {
    assert.deepEqual(parseHeadersEnv('a=1,b=x%3Dy,=nokey,novalue,c='), { a: '1', b: 'x=y', c: '' });
    assert.deepEqual(parseHeadersEnv(undefined), {});
  });

  test('Retry-After: seconds or an HTTP date, capped', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('2', now), 2000);
    assert.equal(parseRetryAfter(['0.5'], now), 500);
    assert.equal(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('Sun, 31 Dec 2023 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('999999', now), 300_000);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });

  test('partial success: counts as string or number, anything else is none', () => {
    const table: Array<[string, number, string | undefined]> = [
      ['', 0, undefined],
      ['{}', 0, undefined],
      ['{"partialSuccess":{}}', 0, undefined],
      ['{"partialSuccess":{"rejectedSpans":"3","errorMessage":"too old"}}', 3, 'too old'],
      ['{"partialSuccess":{"rejectedSpans":2}}', 2, undefined],
      ['{"partialSuccess":{"rejectedSpans":"0","errorMessage":"a warning"}}', 0, 'a warning'],
      ['{"partialSuccess":{"rejectedLogRecords":"5"}}', 0, undefined],
      ['not json', 0, undefined],
      ['{"partialSuccess":', 0, undefined],
    ];
    for (const [body, rejected, message] of table) {
      assert.deepEqual(parsePartialSuccess(body, 'rejectedSpans'), { rejected, message }, body);
    }
  });
});
