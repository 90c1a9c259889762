import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseEnvelope } from '../src/ingest/envelope.js';
import { type SentryIngestResult, sentryEnvelopeToBatch } from '../src/ingest/sentry.js';
import type { SpanRow } from '../src/model.js';
import { CHILD, envelope, GRANDCHILD, ROOT, TRACE, typed } from './fixtures/ingest/helpers.js';
import { NO_AI } from './no-ai.js';

const NOW = 1_800_000_000_000;
const T0 = 1795292833; // epoch seconds

function ingest(
  header: Record<string, unknown>,
  items: Array<[Record<string, unknown>, unknown]>,
): SentryIngestResult {
  return sentryEnvelopeToBatch(parseEnvelope(envelope(header, items)), 7, { now: NOW });
}

function span(result: SentryIngestResult, spanId: string): SpanRow {
  const row = result.batch.spans.find((s) => s.spanId === spanId);
  assert.ok(row, `no span ${spanId} among ${result.batch.spans.map((s) => s.spanId).join(', ')}`);
  return row;
}

const transaction = {
  type: 'transaction',
  transaction: 'POST /api/chat',
  start_timestamp: T0,
  timestamp: T0 + 1.5,
  environment: 'production',
  release: 'app@1.2.3',
  tags: { route: '/api/chat', retries: 2 },
  measurements: { 'gen_ai.tokens': { value: 42, unit: 'none' } },
  contexts: {
    trace: {
      trace_id: TRACE,
      span_id: ROOT,
      op: 'http.server',
      status: 'ok',
      origin: 'auto.http',
      data: {
        'http.request.method': 'POST',
        'service.name': 'chat-api',
        'sentry.sample_rate': 0.5,
        nothing: null,
      },
    },
  },
  spans: [
    {
      trace_id: TRACE,
      span_id: CHILD,
      parent_span_id: ROOT,
      op: 'gen_ai.chat',
      description: 'chat claude-sonnet-4-6',
      start_timestamp: T0 + 0.1,
      timestamp: T0 + 1.1,
      status: 'internal_error',
      data: {
        'gen_ai.request.model': 'claude-sonnet-4-6',
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.usage.output_tokens': 30,
        'gen_ai.input.messages': [{ role: 'user', content: 'hi' }],
      },
      tags: { model: 'claude' },
    },
    {
      span_id: GRANDCHILD,
      parent_span_id: CHILD,
      op: 'http.client',
      description: 'POST https://api.anthropic.com/v1/messages',
      start_timestamp: T0 + 0.2,
    },
  ],
};

describe('classic transaction', () => {
  const result = ingest(
    { event_id: 'e1', trace: { trace_id: TRACE, sample_rate: '0.25', environment: 'dsc-env' } },
    [[{ type: 'transaction' }, transaction]],
  );

  test('root row from contexts.trace', () => {
    assert.deepEqual(result.rejected, []);
    assert.deepEqual(span(result, ROOT), {
      projectId: 7,
      traceId: TRACE,
      spanId: ROOT,
      parentSpanId: null,
      name: 'POST /api/chat',
      op: 'http.server',
      kind: null,
      status: 'ok',
      statusMessage: null,
      startTime: T0 * 1000,
      endTime: (T0 + 1.5) * 1000,
      isSegment: true,
      segmentId: ROOT,
      serviceName: 'chat-api',
      environment: 'production',
      release: 'app@1.2.3',
      weight: 2, // sentry.sample_rate on the segment wins over the DSC's 0.25
      attributes: {
        'http.request.method': 'POST',
        'service.name': 'chat-api',
        'sentry.sample_rate': 0.5,
        route: '/api/chat',
        retries: '2',
        'sentry.origin': 'auto.http',
        'measurements.gen_ai.tokens': 42,
        'sentry.op': 'http.server',
      },
      source: 'sentry',
      ...NO_AI,
    });
  });

  test('child spans: description → name, data → attributes, parent link, AI fields', () => {
    const child = span(result, CHILD);
    assert.equal(child.name, 'chat claude-sonnet-4-6');
    assert.equal(child.op, 'gen_ai.chat');
    assert.equal(child.parentSpanId, ROOT);
    assert.equal(child.segmentId, ROOT);
    assert.equal(child.isSegment, false);
    assert.equal(child.status, 'error');
    assert.equal(child.statusMessage, 'internal_error');
    assert.equal(child.weight, 2, 'children get the segment weight');
    assert.equal(child.serviceName, 'chat-api', 'service name from the segment');
    assert.equal(child.environment, 'production');
    assert.equal(child.attributes.model, 'claude');
    assert.equal(child.attributes['gen_ai.input.messages'], '[{"role":"user","content":"hi"}]');
    assert.deepEqual(
      [child.operation, child.model, child.inputTokens, child.outputTokens],
      ['chat', 'claude-sonnet-4-6', 12, 30],
    );
    assert.equal(child.startTime, (T0 + 0.1) * 1000);
  });

  test('a child without an end gets the transaction end and deadline_exceeded; trace id defaults to the root', () => {
    const grandchild = span(result, GRANDCHILD);
    assert.equal(grandchild.traceId, TRACE);
    assert.equal(grandchild.parentSpanId, CHILD);
    assert.equal(grandchild.endTime, (T0 + 1.5) * 1000);
    assert.equal(grandchild.status, 'error');
    assert.equal(grandchild.statusMessage, 'deadline_exceeded');
  });
});

describe('classic transaction, Python style (ISO timestamps, status in tags)', () => {
  const result = ingest({ trace: { trace_id: TRACE, sample_rate: '0.1' } }, [
    [
      { type: 'transaction', content_type: 'application/json' },
      {
        type: 'transaction',
        transaction: 'POST /api/chat',
        contexts: {
          trace: {
            trace_id: TRACE,
            span_id: ROOT,
            parent_span_id: null,
            op: 'http.server',
            description: null,
          },
        },
        timestamp: '2026-11-21T20:29:36.935233Z',
        start_timestamp: '2026-11-21T20:29:36.935099Z',
        spans: [
          {
            trace_id: TRACE,
            span_id: CHILD,
            parent_span_id: ROOT,
            same_process_as_parent: true,
            op: 'gen_ai.chat',
            description: 'chat claude',
            start_timestamp: '2026-11-21T20:29:36.935100Z',
            timestamp: '2026-11-21T20:29:36.935200Z',
            tags: { status: 'internal_error' },
            data: { 'gen_ai.request.model': 'claude-sonnet-4-6', 'gen_ai.usage.input_tokens': 12 },
          },
        ],
      },
    ],
  ]);
  test('microseconds kept, no status → unset, DSC weight', () => {
    const root = span(result, ROOT);
    assert.equal(root.startTime, Date.parse('2026-11-21T20:29:36.935Z') + 0.099);
    assert.ok(Math.abs(root.endTime - (Date.parse('2026-11-21T20:29:36.935Z') + 0.233)) < 1e-6);
    assert.equal(root.status, 'unset');
    assert.equal(root.weight, 10);
    const child = span(result, CHILD);
    assert.equal(child.status, 'error');
    assert.equal(child.statusMessage, 'internal_error');
    assert.equal(child.weight, 10);
    assert.equal(child.inputTokens, 12);
  });
});

describe('span v2 container', () => {
  const result = ingest({ trace: { trace_id: TRACE, sample_rate: '1' } }, [
    [
      { type: 'span', item_count: 3, content_type: 'application/vnd.sentry.items.span.v2+json' },
      {
        version: 2,
        items: [
          {
            trace_id: TRACE,
            span_id: CHILD,
            parent_span_id: ROOT,
            name: 'chat claude',
            start_timestamp: T0 + 0.1,
            end_timestamp: T0 + 0.2,
            is_segment: false,
            status: 'error',
            attributes: {
              'sentry.op': typed('gen_ai.chat'),
              'sentry.status.message': typed('internal_error'),
              'gen_ai.request.model': typed('claude-sonnet-4-6'),
              'gen_ai.usage.input_tokens': typed(10),
              'gen_ai.usage.output_tokens': { value: '20', type: 'integer' },
              score: typed(0.5),
              flags: typed(['a', 'b']),
              ok: typed(true),
              'sentry.segment.id': typed(ROOT),
              'sentry.environment': typed('staging'),
              'sentry.release': typed('app@2'),
            },
          },
          {
            trace_id: TRACE,
            span_id: ROOT,
            name: 'invoke_agent weather',
            start_timestamp: T0,
            end_timestamp: T0 + 1,
            is_segment: true,
            status: 'ok',
            attributes: {
              'sentry.op': typed('gen_ai.invoke_agent'),
              'gen_ai.agent.name': typed('weather'),
              'sentry.sample_rate': typed(0.2),
              'sentry.environment': typed('staging'),
              'sentry.release': typed('app@2'),
            },
          },
          {
            // no is_segment and no parent: a segment
            trace_id: TRACE.replace('0', 'f'),
            span_id: GRANDCHILD,
            name: 'cron',
            start_timestamp: T0,
            end_timestamp: T0 + 1,
          },
        ],
      },
    ],
  ]);

  test('typed attributes unwrapped, op and status message from attributes', () => {
    const child = span(result, CHILD);
    assert.equal(child.op, 'gen_ai.chat');
    assert.equal(child.status, 'error');
    assert.equal(child.statusMessage, 'internal_error');
    assert.equal(child.attributes.score, 0.5);
    assert.deepEqual(child.attributes.flags, ['a', 'b']);
    assert.equal(child.attributes.ok, true);
    assert.equal(child.outputTokens, 20, 'integer sent as a string');
    assert.equal(child.segmentId, ROOT);
    assert.equal(child.environment, 'staging');
    assert.equal(child.release, 'app@2');
    assert.equal(child.endTime, (T0 + 0.2) * 1000);
  });

  test('weight: the segment rate for the whole trace (over the DSC)', () => {
    assert.equal(span(result, ROOT).weight, 5);
    assert.equal(span(result, CHILD).weight, 5);
    assert.equal(span(result, ROOT).agentName, 'weather');
  });

  test('another trace in the same envelope does not take the DSC of the first', () => {
    const other = span(result, GRANDCHILD);
    assert.equal(other.isSegment, true);
    assert.equal(other.segmentId, GRANDCHILD);
    assert.equal(other.weight, 1);
    assert.equal(other.status, 'unset');
  });
});

describe('the @sentry/node trap: classic transaction + span v2 for one trace in one envelope', () => {
  const result = ingest(
    { trace: { trace_id: TRACE, sample_rate: '0.5', environment: 'staging', release: 'app@1' } },
    [
      [
        { type: 'transaction' },
        {
          ...transaction,
          contexts: { trace: { ...transaction.contexts.trace, data: { 'sentry.op': 'http.server' } } },
          spans: [transaction.spans[0]],
          environment: 'staging',
          release: 'app@1',
        },
      ],
      [
        { type: 'span', item_count: 2 },
        {
          version: 2,
          items: [
            {
              // the same span as spans[0] of the transaction, with an extra attribute
              trace_id: TRACE,
              span_id: CHILD,
              parent_span_id: ROOT,
              name: 'chat claude-sonnet-4-6',
              start_timestamp: T0 + 0.1,
              end_timestamp: T0 + 1.1,
              is_segment: false,
              status: 'error',
              attributes: {
                'sentry.op': typed('gen_ai.chat'),
                'gen_ai.response.model': typed('claude-sonnet-4-6-20260101'),
              },
            },
            {
              trace_id: TRACE,
              span_id: GRANDCHILD,
              parent_span_id: CHILD,
              name: 'execute_tool get_weather',
              start_timestamp: T0 + 0.3,
              end_timestamp: T0 + 0.4,
              is_segment: false,
              status: 'ok',
              attributes: {
                'sentry.op': typed('gen_ai.execute_tool'),
                'gen_ai.tool.name': typed('get_weather'),
              },
            },
          ],
        },
      ],
    ],
  );

  test('one row per span id', () => {
    assert.deepEqual(result.batch.spans.map((s) => s.spanId).sort(), [ROOT, CHILD, GRANDCHILD].sort());
  });

  test('the duplicate is merged: first wins, attributes united, AI fields recomputed', () => {
    const child = span(result, CHILD);
    assert.equal(child.attributes['gen_ai.request.model'], 'claude-sonnet-4-6');
    assert.equal(child.attributes['gen_ai.response.model'], 'claude-sonnet-4-6-20260101');
    assert.equal(child.model, 'claude-sonnet-4-6-20260101');
    assert.equal(child.statusMessage, 'internal_error');
  });

  test('span v2 rows join the transaction: segment, environment, release and weight', () => {
    const tool = span(result, GRANDCHILD);
    assert.equal(tool.segmentId, ROOT);
    assert.equal(tool.environment, 'staging');
    assert.equal(tool.release, 'app@1');
    assert.equal(tool.weight, 2);
    assert.equal(tool.toolName, 'get_weather');
  });
});

describe('v1 span item', () => {
  const result = ingest({}, [
    [
      { type: 'span' },
      {
        trace_id: TRACE,
        span_id: CHILD,
        parent_span_id: ROOT,
        segment_id: ROOT,
        op: 'db',
        description: 'SELECT 1',
        start_timestamp: T0,
        timestamp: T0 + 0.01,
        status: 'ok',
        data: { 'db.system': 'postgresql' },
      },
    ],
  ]);
  test('converted like a classic span', () => {
    const row = span(result, CHILD);
    assert.deepEqual(
      [row.name, row.op, row.segmentId, row.status, row.isSegment],
      ['SELECT 1', 'db', ROOT, 'ok', false],
    );
    assert.equal(row.attributes['db.system'], 'postgresql');
  });
});

describe('status mapping', () => {
  const cases: Array<[unknown, string, string | null]> = [
    ['ok', 'ok', null],
    ['OK', 'ok', null],
    [undefined, 'unset', null],
    ['', 'unset', null],
    ['internal_error', 'error', 'internal_error'],
    ['not_found', 'error', 'not_found'],
    ['cancelled', 'error', 'cancelled'],
    ['unknown', 'error', 'unknown'],
    ['error', 'error', null],
  ];
  for (const [status, expected, message] of cases) {
    test(`${JSON.stringify(status) ?? 'undefined'} → ${expected}`, () => {
      const result = ingest({}, [
        [
          { type: 'span' },
          {
            version: 2,
            items: [
              { trace_id: TRACE, span_id: ROOT, name: 'x', start_timestamp: T0, end_timestamp: T0, status },
            ],
          },
        ],
      ]);
      const row = span(result, ROOT);
      assert.equal(row.status, expected);
      assert.equal(row.statusMessage, message);
    });
  }
});

describe('logs', () => {
  const result = ingest({ trace: { trace_id: TRACE, environment: 'dsc-env', release: 'dsc-rel' } }, [
    [
      { type: 'log', item_count: 4, content_type: 'application/vnd.sentry.items.log+json' },
      {
        version: 2,
        items: [
          {
            timestamp: T0,
            level: 'info',
            body: 'LLM call completed',
            trace_id: TRACE,
            severity_number: 9,
            attributes: {
              model: typed('claude'),
              input_tokens: typed(10),
              'sentry.trace.parent_span_id': typed(CHILD),
              'sentry.environment': typed('staging'),
              'sentry.release': typed('app@1'),
              'service.name': typed('chat-api'),
            },
          },
          {
            timestamp: T0 + 1,
            level: 'warning',
            body: 'python says warning',
            trace_id: TRACE,
            span_id: ROOT,
          },
          { timestamp: `${T0 + 2}`, severity_number: 18, body: { structured: true } },
          { level: 'info', body: 'no timestamp' },
        ],
      },
    ],
  ]);
  test('rows', () => {
    const [first, second, third] = result.batch.logs;
    assert.deepEqual(first, {
      projectId: 7,
      timestamp: T0 * 1000,
      traceId: TRACE,
      spanId: CHILD,
      level: 'info',
      severityNumber: 9,
      body: 'LLM call completed',
      serviceName: 'chat-api',
      environment: 'staging',
      release: 'app@1',
      attributes: {
        model: 'claude',
        input_tokens: 10,
        'sentry.trace.parent_span_id': CHILD,
        'sentry.environment': 'staging',
        'sentry.release': 'app@1',
        'service.name': 'chat-api',
      },
    });
    assert.deepEqual(
      [second!.level, second!.severityNumber, second!.spanId, second!.environment],
      ['warn', 13, ROOT, 'dsc-env'],
    );
    assert.deepEqual(
      [third!.level, third!.severityNumber, third!.body, third!.traceId],
      ['error', 18, '{"structured":true}', null],
    );
    assert.equal(third!.timestamp, (T0 + 2) * 1000);
  });
  test('a record without a timestamp is rejected alone', () => {
    assert.equal(result.batch.logs.length, 3);
    assert.deepEqual(result.rejected, [
      { item: 0, type: 'log', record: 3, reason: 'timestamp is missing or not a timestamp: undefined' },
    ]);
  });
});

describe('trace metrics', () => {
  const result = ingest({}, [
    [
      { type: 'trace_metric', item_count: 6 },
      {
        version: 2,
        items: [
          {
            timestamp: T0,
            trace_id: TRACE,
            span_id: ROOT,
            name: 'gen_ai.token_usage',
            type: 'distribution',
            unit: 'none',
            value: 42,
            attributes: { model: typed('claude') },
          },
          { timestamp: T0, name: 'calls', type: 'counter', value: 1 },
          { timestamp: T0, name: 'queue', type: 'gauge', unit: 'item', value: '5' },
          { timestamp: T0, name: 'uniques', type: 'set', value: 1 },
          { timestamp: T0, name: 'bad', type: 'counter', value: 'lots' },
          { timestamp: T0, type: 'counter', value: 1 },
        ],
      },
    ],
  ]);
  test('counter, gauge, distribution', () => {
    assert.deepEqual(result.batch.metrics[0], {
      projectId: 7,
      timestamp: T0 * 1000,
      traceId: TRACE,
      spanId: ROOT,
      name: 'gen_ai.token_usage',
      type: 'distribution',
      value: 42,
      unit: null,
      serviceName: null,
      attributes: { model: 'claude' },
    });
    assert.deepEqual(
      result.batch.metrics.map((m) => [m.name, m.type, m.value, m.unit]),
      [
        ['gen_ai.token_usage', 'distribution', 42, null],
        ['calls', 'counter', 1, null],
        ['queue', 'gauge', 5, 'item'],
      ],
    );
  });
  test('bad records rejected one by one', () => {
    assert.deepEqual(
      result.rejected.map((r) => [r.record, r.reason]),
      [
        [3, 'metric uniques: type "set" is not counter, gauge or distribution'],
        [4, 'metric bad: value "lots" is not a number'],
        [5, 'metric has no name'],
      ],
    );
  });
});

describe('client reports', () => {
  test('discarded, rate-limited and filtered events', () => {
    const result = ingest({}, [
      [
        { type: 'client_report' },
        {
          timestamp: T0,
          discarded_events: [
            { reason: 'sample_rate', category: 'transaction', quantity: 3 },
            { reason: 'sample_rate', category: 'span', quantity: 12 },
            { reason: 'queue_overflow', category: 'log_item', quantity: -1 },
          ],
          rate_limited_events: [{ category: 'error', quantity: 2 }],
          filtered_events: [{ reason: 'browser-extensions', category: 'error', quantity: 1 }],
        },
      ],
    ]);
    assert.deepEqual(result.batch.clientReports, [
      { projectId: 7, timestamp: T0 * 1000, reason: 'sample_rate', category: 'transaction', quantity: 3 },
      { projectId: 7, timestamp: T0 * 1000, reason: 'sample_rate', category: 'span', quantity: 12 },
      { projectId: 7, timestamp: T0 * 1000, reason: 'rate_limited', category: 'error', quantity: 2 },
      { projectId: 7, timestamp: T0 * 1000, reason: 'browser-extensions', category: 'error', quantity: 1 },
    ]);
    assert.equal(result.rejected.length, 1);
    assert.match(result.rejected[0]!.reason, /discarded_events entry needs .* non-negative integer quantity/);
  });
  test('no timestamp → now; ISO timestamp accepted', () => {
    const a = ingest({}, [
      [{ type: 'client_report' }, { discarded_events: [{ reason: 'r', category: 'c', quantity: 1 }] }],
    ]);
    assert.equal(a.batch.clientReports[0]!.timestamp, NOW);
    const b = ingest({}, [
      [
        { type: 'client_report' },
        {
          timestamp: '2026-01-01T00:00:00Z',
          discarded_events: [{ reason: 'r', category: 'c', quantity: 1 }],
        },
      ],
    ]);
    assert.equal(b.batch.clientReports[0]!.timestamp, Date.parse('2026-01-01T00:00:00Z'));
  });
});

describe('error events', () => {
  const event = {
    event_id: 'B58925CF-0000-4000-8000-000000000001',
    timestamp: T0,
    level: 'fatal',
    platform: 'node',
    exception: {
      values: [
        {
          type: 'ConnectionError',
          value: 'socket hang up',
          stacktrace: { frames: [{ filename: 'net.js', lineno: 1 }] },
        },
        {
          type: 'TypeError',
          value: 'cannot read x',
          stacktrace: {
            frames: [
              { filename: 'a.js', function: 'outer', lineno: 10 },
              { filename: 'b.js', function: 'inner', lineno: 20 },
            ],
          },
        },
      ],
    },
    contexts: { trace: { trace_id: TRACE, span_id: CHILD } },
    environment: 'production',
    release: 'app@1',
    tags: [
      ['route', '/api/chat'],
      ['attempt', 3],
    ],
  };
  const result = ingest({ event_id: 'ffffffffffffffffffffffffffffffff' }, [[{ type: 'event' }, event]]);
  test('outermost exception, frames, ids, tags', () => {
    const row = result.batch.errors[0]!;
    assert.deepEqual(
      { ...row, raw: undefined },
      {
        projectId: 7,
        eventId: 'b58925cf000040008000000000000001',
        timestamp: T0 * 1000,
        traceId: TRACE,
        spanId: CHILD,
        level: 'fatal',
        type: 'TypeError',
        message: 'cannot read x',
        frames: [
          { filename: 'a.js', function: 'outer', lineno: 10 },
          { filename: 'b.js', function: 'inner', lineno: 20 },
        ],
        environment: 'production',
        release: 'app@1',
        tags: { route: '/api/chat', attempt: '3' },
        raw: undefined,
      },
    );
    assert.deepEqual(JSON.parse(row.raw), event);
  });
  test('a message event, event id from the envelope header, level default error', () => {
    const r = ingest({ event_id: 'abcdefabcdefabcdefabcdefabcdefab' }, [
      [{ type: 'event' }, { logentry: { formatted: 'Something happened' } }],
    ]);
    const row = r.batch.errors[0]!;
    assert.deepEqual(
      [row.eventId, row.type, row.message, row.level, row.timestamp],
      ['abcdefabcdefabcdefabcdefabcdefab', '', 'Something happened', 'error', NOW],
    );
  });
  test('old form: exception as a list, message as a string', () => {
    const r = ingest({}, [
      [{ type: 'event' }, { event_id: 'x1', message: 'plain', exception: [{ type: 'E', value: 'v' }] }],
    ]);
    assert.deepEqual(
      [r.batch.errors[0]!.type, r.batch.errors[0]!.message, r.batch.errors[0]!.frames],
      ['E', 'v', []],
    );
  });
});

describe('rejections and skips', () => {
  const result = ingest({}, [
    [{ type: 'event' }, '{not json'],
    [{ type: 'transaction' }, '[1,2]'],
    [{ type: 'transaction' }, { type: 'transaction', start_timestamp: T0, timestamp: T0 }],
    [
      { type: 'transaction' },
      { contexts: { trace: { trace_id: 'xyz', span_id: ROOT } }, start_timestamp: T0, timestamp: T0 },
    ],
    [{ type: 'transaction' }, { contexts: { trace: { trace_id: TRACE, span_id: ROOT } }, timestamp: T0 }],
    [{ type: 'span' }, { version: 2, items: 'nope' }],
    [{ type: 'span' }, { version: 2 }],
    [
      { type: 'span' },
      {
        version: 2,
        items: [
          { trace_id: TRACE, span_id: 'short', name: 'a', start_timestamp: T0, end_timestamp: T0 },
          'not an object',
          { trace_id: TRACE, span_id: CHILD, name: 'good', start_timestamp: T0, end_timestamp: T0 },
          { trace_id: TRACE, span_id: GRANDCHILD, name: 'no end', start_timestamp: T0 },
        ],
      },
    ],
    [{ type: 'attachment', length: 5 }, 'hello'],
    [{ type: 'session' }, { sid: 'x' }],
    [{ type: 'client_report' }, { timestamp: T0 }],
    [{ type: 'log' }, { items: [{ timestamp: T0, body: 'fine' }] }],
  ]);
  test('each bad item is listed with its index and reason', () => {
    assert.match(result.rejected[0]!.reason, /^payload is not valid JSON: /);
    assert.deepEqual(
      result.rejected.slice(1).map((r) => [r.item, r.type, r.record, r.reason]),
      [
        [1, 'transaction', undefined, 'payload must be a JSON object'],
        [2, 'transaction', undefined, 'transaction has no contexts.trace'],
        [3, 'transaction', undefined, 'contexts.trace.trace_id is missing or not 32 hex digits: "xyz"'],
        [4, 'transaction', undefined, 'start_timestamp is missing or not a timestamp: undefined'],
        [5, 'span', undefined, 'expected a container {"items":[…]}: "items" is not an array'],
        [6, 'span', undefined, 'expected a span v2 container {"version":2,"items":[…]} or a single span'],
        [7, 'span', 0, 'span_id is missing or not 16 hex digits: "short"'],
        [7, 'span', 1, 'record is not a JSON object'],
        [7, 'span', 3, 'end_timestamp is missing or not a timestamp: undefined'],
        [10, 'client_report', undefined, 'client report has no discarded_events'],
      ],
    );
  });
  test('the good records still count; unknown types are skipped', () => {
    assert.deepEqual(
      result.batch.spans.map((s) => s.name),
      ['good'],
    );
    assert.deepEqual(
      result.batch.logs.map((l) => l.body),
      ['fine'],
    );
    assert.deepEqual(result.skipped, [
      { item: 8, type: 'attachment' },
      { item: 9, type: 'session' },
    ]);
  });
});

test('parent cycles in hostile input do not hang', () => {
  const a = 'aaaaaaaaaaaaaaaa';
  const b = 'bbbbbbbbbbbbbbbb';
  const result = ingest({}, [
    [
      { type: 'span' },
      {
        items: [
          {
            trace_id: TRACE,
            span_id: a,
            parent_span_id: b,
            is_segment: false,
            name: 'a',
            start_timestamp: T0,
            end_timestamp: T0,
          },
          {
            trace_id: TRACE,
            span_id: b,
            parent_span_id: a,
            is_segment: false,
            name: 'b',
            start_timestamp: T0,
            end_timestamp: T0,
          },
        ],
      },
    ],
  ]);
  assert.deepEqual(
    result.batch.spans.map((s) => s.segmentId),
    [null, null],
  );
});

test('end before start is clamped to the start', () => {
  const result = ingest({}, [
    [
      { type: 'span' },
      { items: [{ trace_id: TRACE, span_id: ROOT, name: 'x', start_timestamp: T0 + 1, end_timestamp: T0 }] },
    ],
  ]);
  assert.equal(span(result, ROOT).endTime, (T0 + 1) * 1000);
});

describe('hostile input', () => {
  test("item type 'constructor' or '__proto__' is skipped, not looked up on Object.prototype", () => {
    const result = ingest({}, [
      [{ type: 'constructor' }, {}],
      [{ type: '__proto__' }, {}],
      [{ type: 'toString' }, {}],
    ]);
    assert.deepEqual(
      result.skipped.map((s) => s.type),
      ['constructor', '__proto__', 'toString'],
    );
  });

  test('a __proto__ attribute or tag is dropped; prototype-named tags are kept', () => {
    const result = ingest({}, [
      [
        { type: 'span' },
        `{"items":[{"trace_id":"${TRACE}","span_id":"${ROOT}","name":"x","start_timestamp":${T0},"end_timestamp":${T0},"attributes":{"__proto__":{"value":["polluted"],"type":"array"},"ok":{"value":1,"type":"integer"},"gen_ai.operation.name":{"value":"constructor","type":"string"}},"tags":{"__proto__":"x","toString":"kept"}}]}`,
      ],
    ]);
    const row = span(result, ROOT);
    assert.equal(Object.getPrototypeOf(row.attributes), Object.prototype);
    assert.equal(Object.hasOwn(row.attributes, '__proto__'), false);
    assert.deepEqual(row.attributes.toString, 'kept');
    assert.equal(row.operation, 'constructor');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test("log level 'constructor' and metric type 'constructor' are not table hits", () => {
    const result = ingest({}, [
      [{ type: 'log' }, { items: [{ timestamp: T0, level: 'constructor', body: 'x' }] }],
      [{ type: 'trace_metric' }, { items: [{ timestamp: T0, name: 'm', type: 'constructor', value: 1 }] }],
    ]);
    assert.equal(result.batch.logs[0]!.level, 'info');
    assert.equal(result.batch.metrics.length, 0);
    assert.match(result.rejected[0]!.reason, /type "constructor" is not counter, gauge or distribution/);
  });

  test('deeply nested data does not crash the request', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const result = ingest({}, [
      [
        { type: 'span' },
        `{"items":[{"trace_id":"${TRACE}","span_id":"${ROOT}","name":"x","start_timestamp":${T0},"end_timestamp":${T0},"attributes":{"deep":{"value":${deep},"type":"array"}}}]}`,
      ],
    ]);
    // Either the JSON parser refuses the nesting (item rejected) or the value is dropped; never a throw.
    assert.ok(result.rejected.length === 1 || result.batch.spans.length === 1);
  });
});
