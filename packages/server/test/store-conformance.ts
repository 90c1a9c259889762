/**
 * The Store conformance suite: backend-independent assertions every Store must pass with the same
 * answers (idempotent ingest, group commit, every query with its filters and cursors, metric
 * aggregates against values computed here, sampling stats, retention). duckdb-store.test.ts and
 * clickhouse-store.test.ts run it against their store; backend-specific tests stay in those files.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ErrorRow, IngestBatch, LogRow, MetricRow, SpanRow } from '../src/model.js';
import { InvalidCursorError } from '../src/storage/cursor.js';
import type { WriterStats } from '../src/storage/duckdb/writer.js';
import type { AgentRunSummary, Store, TraceSummary } from '../src/store.js';
import { NO_AI } from './no-ai.js';

/** A store under test: the Store interface plus the writer counters both backends keep. */
export interface TestStore extends Store {
  readonly stats: Readonly<WriterStats>;
  readonly commitCount: number;
}

/** Opens a fresh, empty store (its own database); the suite closes it. */
export type OpenStore = (options?: { maxRowsPerCommit?: number }) => Promise<TestStore>;

export const T0 = 1_700_000_000_000;
let idCounter = 0;

export function hexId(len: number): string {
  idCounter++;
  return idCounter.toString(16).padStart(len, '0');
}

export function span(overrides: Partial<SpanRow> = {}): SpanRow {
  const start = overrides.startTime ?? T0;
  return {
    projectId: 1,
    traceId: hexId(32),
    spanId: hexId(16),
    parentSpanId: null,
    name: 'span',
    op: null,
    kind: null,
    status: 'ok',
    statusMessage: null,
    startTime: start,
    endTime: start + 10,
    isSegment: false,
    segmentId: null,
    serviceName: null,
    environment: null,
    release: null,
    weight: 1,
    attributes: {},
    source: 'sentry',
    ...NO_AI,
    ...overrides,
  };
}

export function log(overrides: Partial<LogRow> = {}): LogRow {
  return {
    projectId: 1,
    timestamp: T0,
    traceId: null,
    spanId: null,
    level: 'info',
    severityNumber: 9,
    body: 'hello',
    serviceName: null,
    environment: null,
    release: null,
    attributes: {},
    ...overrides,
  };
}

export function metric(overrides: Partial<MetricRow> = {}): MetricRow {
  return {
    projectId: 1,
    timestamp: T0,
    traceId: null,
    spanId: null,
    name: 'm',
    type: 'distribution',
    value: 1,
    unit: null,
    serviceName: null,
    attributes: {},
    ...overrides,
  };
}

export function errorRow(overrides: Partial<ErrorRow> = {}): ErrorRow {
  return {
    projectId: 1,
    eventId: hexId(32),
    timestamp: T0,
    traceId: null,
    spanId: null,
    level: 'error',
    type: 'TypeError',
    message: 'boom',
    frames: [{ function: 'f', lineno: 1 }],
    environment: null,
    release: null,
    tags: { a: 'b' },
    raw: '{}',
    ...overrides,
  };
}

export function batch(parts: Partial<IngestBatch>): IngestBatch {
  return { spans: [], logs: [], metrics: [], errors: [], clientReports: [], ...parts };
}

/** A trace: a root and `children` children, `gap` ms apart. */
export function trace(opts: {
  projectId?: number;
  start: number;
  children?: number;
  root?: Partial<SpanRow>;
}): SpanRow[] {
  const traceId = hexId(32);
  const root = span({
    projectId: opts.projectId ?? 1,
    traceId,
    name: 'root',
    op: 'http.server',
    startTime: opts.start,
    endTime: opts.start + 100,
    isSegment: true,
    ...opts.root,
  });
  const out = [root];
  for (let i = 0; i < (opts.children ?? 1); i++) {
    out.push(
      span({
        projectId: root.projectId,
        traceId,
        parentSpanId: root.spanId,
        name: `child ${i}`,
        startTime: opts.start + 1 + i,
        endTime: opts.start + 2 + i,
      }),
    );
  }
  return out;
}

/** A span of `traceId` for the agent-run tests (service 'svc'). */
function runSpan(traceId: string, o: Partial<SpanRow> & { startTime: number }): SpanRow {
  return span({ traceId, serviceName: 'svc', endTime: o.startTime + 10, ...o });
}

/**
 * An HTTP request whose handler runs agent `agent`: two chat calls, a tool, a handoff to a sub-agent
 * with its own chat call, and an HTTP client span under a chat call (not AI: part of the run).
 */
function agentTrace(
  start: number,
  agent: string,
  model: string,
  opts: { fail?: boolean; cost?: boolean } = {},
) {
  const traceId = hexId(32);
  const http = runSpan(traceId, {
    name: 'POST /chat',
    op: 'http.server',
    startTime: start,
    endTime: start + 1000,
    isSegment: true,
  });
  const root = runSpan(traceId, {
    parentSpanId: http.spanId,
    name: `invoke_agent ${agent}`,
    startTime: start + 10,
    endTime: start + 900,
    operation: 'invoke_agent',
    agentName: agent,
    status: opts.fail ? 'error' : 'ok',
    attributes: opts.cost ? { 'gen_ai.cost.total_usd': 99 } : {},
    costUsd: opts.cost ? 99 : null,
  });
  const chat = (at: number, parent: string, input: number, output: number, cost?: number) =>
    runSpan(traceId, {
      parentSpanId: parent,
      name: `chat ${model}`,
      startTime: at,
      endTime: at + 100,
      operation: 'chat',
      model,
      inputTokens: input,
      outputTokens: output,
      attributes: cost === undefined ? {} : { 'gen_ai.cost.total_usd': cost },
      costUsd: cost ?? null,
    });
  const chat1 = chat(start + 20, root.spanId, 100, 10, opts.cost ? 0.25 : undefined);
  const httpClient = runSpan(traceId, {
    parentSpanId: chat1.spanId,
    name: 'POST api.openai.com',
    op: 'http.client',
    startTime: start + 25,
  });
  const tool = runSpan(traceId, {
    parentSpanId: root.spanId,
    name: 'execute_tool lookup',
    startTime: start + 200,
    operation: 'execute_tool',
    toolName: 'lookup',
    status: opts.fail ? 'error' : 'ok',
  });
  const sub = runSpan(traceId, {
    parentSpanId: root.spanId,
    name: 'invoke_agent helper',
    startTime: start + 300,
    endTime: start + 950,
    operation: 'invoke_agent',
    agentName: 'helper',
  });
  const chat2 = chat(start + 310, sub.spanId, 50, 5, opts.cost ? 0.5 : undefined);
  const chat3 = chat(start + 700, root.spanId, 200, 20);
  return { traceId, root, spans: [http, root, chat1, httpClient, tool, sub, chat2, chat3] };
}

/** Registers the conformance tests; `open` gives a new empty store each call. */
export function storeConformance(open: OpenStore): void {
  describe('ingest', () => {
    let store: TestStore;
    before(async () => {
      store = await open();
    });
    after(() => store.close());

    test('a span received twice (later request, same request, concurrent requests) is stored once', async () => {
      const spans = trace({ start: T0, children: 3 });
      await store.write(batch({ spans }));
      const dupsBefore = store.stats.duplicates;
      await store.write(batch({ spans })); // an SDK retry
      await store.write(batch({ spans: [...spans, ...spans] })); // overlap inside one request
      await Promise.all([store.write(batch({ spans })), store.write(batch({ spans }))]); // racing retries
      const stored = await store.getTrace(1, spans[0]!.traceId);
      assert.equal(stored.length, 4);
      assert.equal(store.stats.duplicates - dupsBefore, 4 * 5);
      const page = await store.listTraces({ projectId: 1, limit: 10, q: spans[0]!.traceId });
      assert.equal(page.traces[0]?.spanCount, 4, 'the trace summary counts each span once');

      // Same ids in another project are another span.
      const other = spans.map((s) => ({ ...s, projectId: 2 }));
      await store.write(batch({ spans: other }));
      assert.equal((await store.getTrace(2, spans[0]!.traceId)).length, 4);
    });

    test('new and duplicate spans mixed in one batch: only the new ones are added', async () => {
      const spans = trace({ start: T0 + 5000, children: 2 });
      await store.write(batch({ spans: spans.slice(0, 2) }));
      await store.write(batch({ spans }));
      const stored = await store.getTrace(1, spans[0]!.traceId);
      assert.deepEqual(stored.map((s) => s.spanId).sort(), spans.map((s) => s.spanId).sort());
      const page = await store.listTraces({ projectId: 1, limit: 10, q: spans[0]!.traceId });
      assert.equal(page.traces[0]?.spanCount, 3);
    });

    test('an error event received twice is stored once', async () => {
      const e = errorRow({ traceId: 'e'.repeat(32) });
      await store.write(batch({ errors: [e] }));
      await store.write(batch({ errors: [e, e] }));
      await Promise.all([store.write(batch({ errors: [e] })), store.write(batch({ errors: [e] }))]);
      const page = await store.listErrors({ projectId: 1, traceId: 'e'.repeat(32), limit: 10 });
      assert.equal(page.errors.length, 1);
      assert.deepEqual(page.errors[0], e);
    });

    test('concurrent writes share commits, and every write is readable once it resolves', async () => {
      const commitsBefore = store.commitCount;
      const traces = Array.from({ length: 50 }, (_, i) => trace({ start: T0 + 100_000 + i, children: 2 }));
      await Promise.all(
        traces.map(async (spans) => {
          await store.write(batch({ spans, logs: [log({ traceId: spans[0]!.traceId })] }));
          // Resolved means committed: another connection sees it at once.
          assert.equal((await store.getTrace(1, spans[0]!.traceId)).length, 3);
        }),
      );
      const commits = store.commitCount - commitsBefore;
      assert.ok(commits < 50, `50 writes should share commits, got ${commits} commits`);
    });

    test('the row cap splits a backlog into several commits', async () => {
      const capped = await open({ maxRowsPerCommit: 100 });
      const writes = Array.from({ length: 10 }, (_, i) =>
        capped.write(batch({ spans: trace({ start: T0 + i * 1000, children: 49 }) })),
      );
      await Promise.all(writes);
      assert.ok(
        capped.commitCount >= 5,
        `10 x 50 rows with a cap of 100 need >= 5 commits, got ${capped.commitCount}`,
      );
      assert.equal((await capped.listTraces({ projectId: 1, limit: 1 })).total, 10);
      await capped.close();
    });

    test('a malformed batch is refused alone, with the field named', async () => {
      const good = trace({ start: T0 + 200_000 });
      const bad = [span({ startTime: Number.NaN })];
      const results = await Promise.allSettled([
        store.write(batch({ spans: good })),
        store.write(batch({ spans: bad })),
        store.write(batch({ metrics: [metric({ value: Number.POSITIVE_INFINITY })] })),
        store.write(batch({ spans: [span({ projectId: -1 })] })),
      ]);
      assert.equal(results[0].status, 'fulfilled');
      assert.match(
        String((results[1] as PromiseRejectedResult).reason),
        /invalid span #0: startTime must be a finite number/,
      );
      assert.match(String((results[2] as PromiseRejectedResult).reason), /invalid metric #0: value/);
      assert.match(String((results[3] as PromiseRejectedResult).reason), /projectId/);
      assert.equal((await store.getTrace(1, good[0]!.traceId)).length, 2);
    });

    test('an empty batch resolves without a commit', async () => {
      const before = store.commitCount;
      await store.write(batch({}));
      assert.equal(store.commitCount, before);
    });
  });

  describe('traces', () => {
    let store: TestStore;
    const ids: Record<string, string> = {};
    before(async () => {
      store = await open();
      // A: an HTTP request with one LLM call.
      const a = trace({
        start: T0 + 1000,
        children: 0,
        root: {
          name: 'GET /a',
          serviceName: 'api',
          weight: 10,
          attributes: { 'user.id': 'u1', 'http.status_code': 200, flags: ['x', 'y'] },
        },
      });
      a.push(
        span({
          traceId: a[0]!.traceId,
          parentSpanId: a[0]!.spanId,
          name: 'chat gpt-4o',
          op: 'gen_ai.chat',
          startTime: T0 + 1010,
          endTime: T0 + 1090,
          serviceName: 'api',
          weight: 10,
          operation: 'chat',
          provider: 'openai',
          model: 'gpt-4o',
          inputTokens: 100,
          outputTokens: 50,
          attributes: { 'gen_ai.request.model': 'gpt-4o', prompt: 'say "Hello" to Zoë' },
        }),
      );
      ids.a = a[0]!.traceId;
      // B: an agent run across two services with an error.
      const b = trace({
        start: T0 + 2000,
        children: 0,
        root: { name: 'POST /chat', serviceName: 'api', weight: 2 },
      });
      b.push(
        span({
          traceId: b[0]!.traceId,
          parentSpanId: b[0]!.spanId,
          name: 'invoke_agent planner',
          op: 'gen_ai.invoke_agent',
          startTime: T0 + 2010,
          endTime: T0 + 2500,
          serviceName: 'worker',
          isSegment: true,
          status: 'error',
          statusMessage: 'internal_error',
          agentName: 'planner',
          model: 'claude-sonnet-4',
          inputTokens: 7,
          outputTokens: 3,
        }),
      );
      ids.b = b[0]!.traceId;
      // C: the root never arrived; two segments, the earlier names the trace.
      const cTrace = hexId(32);
      const c = [
        span({
          traceId: cTrace,
          parentSpanId: 'f'.repeat(16),
          name: 'queue.process late',
          op: 'queue',
          isSegment: true,
          startTime: T0 + 3050,
          endTime: T0 + 3060,
          weight: 4,
        }),
        span({
          traceId: cTrace,
          parentSpanId: 'f'.repeat(16),
          name: 'queue.process early',
          op: 'queue',
          isSegment: true,
          startTime: T0 + 3000,
          endTime: T0 + 3010,
          weight: 5,
        }),
        span({
          traceId: cTrace,
          parentSpanId: 'e'.repeat(16),
          name: 'db',
          op: 'db.query',
          startTime: T0 + 2999,
          endTime: T0 + 3001,
        }),
      ];
      ids.c = cTrace;
      // D: arrives in two requests, the root last.
      const d = trace({ start: T0 + 4000, children: 2, root: { name: 'cron', op: 'function', weight: 3 } });
      ids.d = d[0]!.traceId;
      // E: another project.
      const e = trace({ projectId: 2, start: T0 + 5000, root: { name: 'GET /a' } });
      ids.e = e[0]!.traceId;
      await store.write(batch({ spans: [...a, ...b, ...c, ...e] }));
      await store.write(batch({ spans: d.slice(1) }));
      await store.write(batch({ spans: d.slice(0, 1) }));
    });
    after(() => store.close());

    const byId = (page: { traces: TraceSummary[] }): Record<string, TraceSummary> =>
      Object.fromEntries(page.traces.map((t) => [t.traceId, t]));
    const idsOf = async (q: Omit<Parameters<TestStore['listTraces']>[0], 'projectId' | 'limit'>) =>
      (await store.listTraces({ projectId: 1, limit: 100, ...q })).traces.map((t) => t.traceId);

    test('one summary per trace, newest first', async () => {
      const page = await store.listTraces({ projectId: 1, limit: 100 });
      assert.equal(page.total, 4);
      assert.deepEqual(
        page.traces.map((t) => t.traceId),
        [ids.d, ids.c, ids.b, ids.a],
      );
      assert.equal(page.nextCursor, null);
      const t = byId(page);
      assert.deepEqual(t[ids.a!], {
        traceId: ids.a,
        name: 'GET /a',
        op: 'http.server',
        startTime: T0 + 1000,
        endTime: T0 + 1100,
        durationMs: 100,
        spanCount: 2,
        errorCount: 0,
        status: 'ok',
        models: ['gpt-4o'],
        inputTokens: 100,
        outputTokens: 50,
        hasAi: true,
        services: ['api'],
        weight: 10,
        costUsd: null,
      });
      assert.equal(t[ids.b!]!.status, 'error');
      assert.equal(t[ids.b!]!.errorCount, 1);
      assert.deepEqual(t[ids.b!]!.services, ['api', 'worker']);
      assert.deepEqual(t[ids.b!]!.models, ['claude-sonnet-4']);
      assert.equal(t[ids.b!]!.durationMs, 500);
      assert.equal(t[ids.b!]!.weight, 2, "the root's weight");
      assert.equal(t[ids.c!]!.name, 'queue.process early', 'no root: the earliest segment');
      assert.equal(t[ids.c!]!.weight, 5);
      assert.equal(t[ids.c!]!.startTime, T0 + 2999);
      assert.equal(t[ids.c!]!.hasAi, false);
      assert.equal(t[ids.d!]!.name, 'cron', 'the root replaces the earlier-stored segment-less name');
      assert.equal(t[ids.d!]!.op, 'function');
      assert.equal(t[ids.d!]!.spanCount, 3);
      assert.equal(t[ids.d!]!.weight, 3);
    });

    test('filters', async () => {
      assert.deepEqual(await idsOf({ status: 'error' }), [ids.b]);
      assert.deepEqual(await idsOf({ status: 'ok' }), [ids.d, ids.c, ids.a]);
      assert.deepEqual(await idsOf({ status: 'unset' }), []);
      assert.deepEqual(await idsOf({ op: 'gen_ai.chat' }), [ids.a]);
      assert.deepEqual(await idsOf({ op: 'db.query' }), [ids.c]);
      assert.deepEqual(await idsOf({ model: 'claude-sonnet-4' }), [ids.b]);
      assert.deepEqual(await idsOf({ hasAi: true }), [ids.b, ids.a]);
      assert.deepEqual(await idsOf({ hasAi: false }), [ids.d, ids.c]);
      assert.deepEqual(await idsOf({ minDurationMs: 101 }), [ids.b]);
      assert.deepEqual(await idsOf({ minDurationMs: 100 }), [ids.d, ids.b, ids.a]);
      assert.deepEqual(await idsOf({ from: T0 + 2000, to: T0 + 2500 }), [ids.b]);
      assert.deepEqual(
        await idsOf({ from: T0 + 2000, to: T0 + 2999 }),
        [ids.c, ids.b],
        'both ends inclusive',
      );
      assert.deepEqual(await idsOf({ from: T0 + 2999 }), [ids.d, ids.c]);
      assert.deepEqual(await idsOf({ to: T0 + 1000 }), [ids.a]);
      assert.deepEqual(await idsOf({ status: 'ok', hasAi: true, minDurationMs: 50 }), [ids.a]);
      assert.equal((await store.listTraces({ projectId: 2, limit: 10 })).total, 1, 'projects are separate');
      assert.equal((await store.listTraces({ projectId: 3, limit: 10 })).total, 0);
    });

    test('attribute filters match exact values as text, on any span', async () => {
      assert.deepEqual(await idsOf({ attributes: { 'user.id': 'u1' } }), [ids.a]);
      assert.deepEqual(await idsOf({ attributes: { 'user.id': 'u' } }), []);
      assert.deepEqual(await idsOf({ attributes: { 'http.status_code': '200' } }), [ids.a]);
      assert.deepEqual(await idsOf({ attributes: { flags: '["x","y"]' } }), [ids.a]);
      assert.deepEqual(await idsOf({ attributes: { 'gen_ai.request.model': 'gpt-4o', 'user.id': 'u1' } }), [
        ids.a,
      ]);
      assert.deepEqual(
        await idsOf({ attributes: { 'gen_ai.request.model': 'gpt-4o', 'user.id': 'u2' } }),
        [],
      );
      assert.deepEqual(await idsOf({ attributes: { prompt: 'say "Hello" to Zoë' } }), [ids.a]);
      assert.deepEqual(await idsOf({ attributes: { "x'); DROP TABLE spans; --": '1' } }), []);
    });

    test('q searches names, ops, models and attribute values, case-insensitively', async () => {
      assert.deepEqual(await idsOf({ q: 'post /CHAT' }), [ids.b]);
      assert.deepEqual(await idsOf({ q: 'invoke_agent' }), [ids.b]);
      assert.deepEqual(await idsOf({ q: 'CLAUDE' }), [ids.b]);
      assert.deepEqual(await idsOf({ q: 'db.que' }), [ids.c]);
      assert.deepEqual(await idsOf({ q: 'U1' }), [ids.a]);
      assert.deepEqual(await idsOf({ q: '"hello" to zoë' }), [ids.a]);
      assert.deepEqual(await idsOf({ q: '100%_' }), []);
      assert.deepEqual(await idsOf({ q: ids.c }), [ids.c], 'a pasted trace id');
      const page = await store.listTraces({ projectId: 1, limit: 1, q: 'GET /a' });
      assert.equal(page.total, 1, 'project 2 has a "GET /a" too');
    });

    test('getTrace: spans ordered by start, plain attributes, ai only on AI spans', async () => {
      const spans = await store.getTrace(1, ids.a!);
      assert.deepEqual(
        spans.map((s) => s.name),
        ['GET /a', 'chat gpt-4o'],
      );
      const [root, chat] = spans;
      assert.deepEqual(root!.attributes, { 'user.id': 'u1', 'http.status_code': 200, flags: ['x', 'y'] });
      assert.equal(root!.ai, null);
      assert.equal(root!.isSegment, true);
      assert.equal(root!.parentSpanId, null);
      assert.deepEqual(chat!.ai, {
        operation: 'chat',
        provider: 'openai',
        model: 'gpt-4o',
        inputTokens: 100,
        outputTokens: 50,
        cachedInputTokens: null,
        reasoningTokens: null,
        agentName: null,
        toolName: null,
        costUsd: null,
      });
      assert.equal(chat!.parentSpanId, root!.spanId);
      assert.equal(chat!.startTime, T0 + 1010);
      const b = await store.getTrace(1, ids.b!);
      assert.equal(b[1]!.status, 'error');
      assert.equal(b[1]!.statusMessage, 'internal_error');
      assert.equal(b[1]!.ai?.agentName, 'planner');
      assert.deepEqual(await store.getTrace(1, 'nope'), []);
      assert.deepEqual(await store.getTrace(2, ids.a!), [], 'another project does not see it');
    });

    test('cursor pagination: every trace exactly once, ties on start time included', async () => {
      const s = await open();
      const all: SpanRow[] = [];
      for (let i = 0; i < 25; i++) {
        // Groups of 4 traces share a start time, so pages end inside groups of ties.
        all.push(...trace({ start: T0 + Math.floor(i / 4) * 10, root: { name: i % 2 ? 'odd' : 'even' } }));
      }
      await s.write(batch({ spans: all }));
      const full = (await s.listTraces({ projectId: 1, limit: 1000 })).traces;
      assert.equal(full.length, 25);
      for (const [filter, expected] of [
        [{}, full],
        [{ q: 'odd' }, full.filter((t) => t.name === 'odd')],
      ] as const) {
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await s.listTraces({ projectId: 1, limit: 3, cursor, ...filter });
          assert.equal(page.total, expected.length);
          assert.ok(page.traces.length <= 3);
          seen.push(...page.traces.map((t) => t.traceId));
          cursor = page.nextCursor ?? undefined;
          pages++;
        } while (cursor && pages < 50);
        assert.deepEqual(
          seen,
          expected.map((t) => t.traceId),
        );
      }
      await assert.rejects(s.listTraces({ projectId: 1, limit: 3, cursor: 'garbage' }), InvalidCursorError);
      await assert.rejects(
        s.listTraces({ projectId: 1, limit: 3, cursor: Buffer.from('{"a":1}').toString('base64url') }),
        InvalidCursorError,
      );
      await s.close();
    });
  });

  describe('logs and errors', () => {
    let store: TestStore;
    const trace1 = 'a'.repeat(32);
    before(async () => {
      store = await open();
      const logs: LogRow[] = [];
      for (let i = 0; i < 30; i++) {
        logs.push(
          log({
            // Pairs share a timestamp: the cursor must break ties.
            timestamp: T0 + Math.floor(i / 2) * 1000,
            traceId: i % 3 === 0 ? trace1 : null,
            level: i % 5 === 0 ? 'error' : 'info',
            body: i % 4 === 0 ? `LLM call ${i} Finished` : `request ${i}`,
            attributes: { i, tags: ['a'] },
          }),
        );
      }
      // Two requests, so ids cross a commit.
      await store.write(batch({ logs: logs.slice(0, 13) }));
      await store.write(batch({ logs: logs.slice(13) }));
      const errors: ErrorRow[] = [];
      for (let i = 0; i < 12; i++) {
        errors.push(
          errorRow({
            timestamp: T0 + Math.floor(i / 3) * 1000,
            traceId: i % 2 ? trace1 : null,
            type: i % 4 === 0 ? 'RateLimitError' : 'TypeError',
            message: `failure ${i}`,
          }),
        );
      }
      await store.write(batch({ errors }));
    });
    after(() => store.close());

    test('queryLogs: filters, newest first', async () => {
      const all = await store.queryLogs({ projectId: 1, limit: 100 });
      assert.equal(all.logs.length, 30);
      for (let i = 1; i < all.logs.length; i++)
        assert.ok(all.logs[i - 1]!.timestamp >= all.logs[i]!.timestamp);
      assert.equal(all.logs[0]!.body, 'request 29', 'same timestamp as log 28, written later: first');
      assert.equal((await store.queryLogs({ projectId: 1, limit: 100, traceId: trace1 })).logs.length, 10);
      assert.equal((await store.queryLogs({ projectId: 1, limit: 100, level: 'error' })).logs.length, 6);
      const q = await store.queryLogs({ projectId: 1, limit: 100, q: 'llm CALL' });
      assert.equal(q.logs.length, 8);
      assert.ok(q.logs.every((l) => l.body.includes('LLM call')));
      assert.equal((await store.queryLogs({ projectId: 1, limit: 100, q: '%' })).logs.length, 0);
      const range = await store.queryLogs({ projectId: 1, limit: 100, from: T0 + 2000, to: T0 + 4000 });
      assert.equal(range.logs.length, 6);
      assert.equal((await store.queryLogs({ projectId: 2, limit: 100 })).logs.length, 0);
      const one = (await store.queryLogs({ projectId: 1, limit: 100, q: 'request 29' })).logs[0];
      assert.deepEqual(one, {
        projectId: 1,
        timestamp: T0 + 14000,
        traceId: null,
        spanId: null,
        level: 'info',
        severityNumber: 9,
        body: 'request 29',
        serviceName: null,
        environment: null,
        release: null,
        attributes: { i: 29, tags: ['a'] },
      });
    });

    test('queryLogs: cursor pages cover every log once', async () => {
      const all = (await store.queryLogs({ projectId: 1, limit: 1000 })).logs;
      for (const filter of [{}, { level: 'info' as const }]) {
        const expected = all.filter((l) => !('level' in filter) || l.level === filter.level);
        const seen: LogRow[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.queryLogs({ projectId: 1, limit: 4, cursor, ...filter });
          seen.push(...page.logs);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        assert.deepEqual(seen, expected);
      }
    });

    test('listErrors: filters, newest first, cursor', async () => {
      const all = (await store.listErrors({ projectId: 1, limit: 100 })).errors;
      assert.equal(all.length, 12);
      for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.timestamp >= all[i]!.timestamp);
      assert.equal((await store.listErrors({ projectId: 1, limit: 100, traceId: trace1 })).errors.length, 6);
      assert.equal((await store.listErrors({ projectId: 1, limit: 100, q: 'ratelimit' })).errors.length, 3);
      assert.equal((await store.listErrors({ projectId: 1, limit: 100, q: 'FAILURE 1' })).errors.length, 3);
      assert.equal(
        (await store.listErrors({ projectId: 1, limit: 100, from: T0 + 1000, to: T0 + 2000 })).errors.length,
        6,
      );
      const seen: ErrorRow[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listErrors({ projectId: 1, limit: 5, cursor });
        seen.push(...page.errors);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(seen, all);
    });
  });

  /** quantile_cont: linear interpolation between the closest ranks. */
  function quantile(sorted: number[], q: number): number {
    const pos = (sorted.length - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
  }

  describe('metrics', () => {
    test('bucketed aggregates per group match values computed in JS', async () => {
      const store = await open();
      const rows: MetricRow[] = [];
      let seed = 42;
      const rand = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const models = ['gpt-4o', 'claude', undefined];
      for (let i = 0; i < 600; i++) {
        const model = models[i % 3];
        rows.push(
          metric({
            name: 'gen_ai.client.token.usage',
            type: 'distribution',
            unit: 'token',
            timestamp: T0 + Math.floor(rand() * 600_000),
            value: Math.round(rand() * 1000) / 10,
            attributes: model ? { 'gen_ai.request.model': model } : {},
          }),
        );
      }
      rows.push(metric({ name: 'other', value: 1e9, timestamp: T0 }));
      rows.push(metric({ name: 'gen_ai.client.token.usage', projectId: 2, value: 1e9, timestamp: T0 }));
      await store.write(batch({ metrics: rows }));

      const interval = 60_000;
      const from = T0;
      const to = T0 + 600_000;
      const result = await store.queryMetrics({
        projectId: 1,
        name: 'gen_ai.client.token.usage',
        groupBy: 'gen_ai.request.model',
        intervalMs: interval,
        from,
        to,
        aggregates: ['sum', 'avg', 'count', 'min', 'max', 'p50', 'p95', 'p99'],
      });
      assert.equal(result.type, 'distribution');
      assert.equal(result.unit, 'token');
      assert.deepEqual(
        result.series.map((s) => s.group),
        [null, 'claude', 'gpt-4o'],
      );
      const expected = new Map<string, number[]>();
      for (const r of rows) {
        if (r.name !== 'gen_ai.client.token.usage' || r.projectId !== 1) continue;
        const g = (r.attributes['gen_ai.request.model'] as string | undefined) ?? 'null';
        const bucket = from + Math.floor((r.timestamp - from) / interval) * interval;
        const key = `${g}|${bucket}`;
        expected.set(key, [...(expected.get(key) ?? []), r.value]);
      }
      let points = 0;
      for (const s of result.series) {
        for (const p of s.points) {
          const values = expected.get(`${s.group ?? 'null'}|${p.time}`);
          assert.ok(values, `unexpected bucket ${s.group} ${p.time}`);
          const sorted = [...values].sort((a, b) => a - b);
          const sum = values.reduce((a, b) => a + b, 0);
          const close = (a: number | undefined, b: number, what: string) =>
            assert.ok(
              a !== undefined && Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(b)),
              `${what}: ${a} vs ${b}`,
            );
          close(p.sum, sum, 'sum');
          close(p.avg, sum / values.length, 'avg');
          close(p.count, values.length, 'count');
          close(p.min, sorted[0]!, 'min');
          close(p.max, sorted[sorted.length - 1]!, 'max');
          close(p.p50, quantile(sorted, 0.5), 'p50');
          close(p.p95, quantile(sorted, 0.95), 'p95');
          close(p.p99, quantile(sorted, 0.99), 'p99');
          points++;
        }
        for (let i = 1; i < s.points.length; i++) assert.ok(s.points[i]!.time > s.points[i - 1]!.time);
      }
      assert.equal(points, expected.size);

      // No groupBy: one series; only the requested aggregates.
      const total = await store.queryMetrics({
        projectId: 1,
        name: 'gen_ai.client.token.usage',
        intervalMs: 600_000,
        from,
        to,
        aggregates: ['count'],
      });
      assert.equal(total.series.length, 1);
      assert.equal(total.series[0]!.group, null);
      assert.deepEqual(total.series[0]!.points, [{ time: T0, count: 600 }]);

      const none = await store.queryMetrics({
        projectId: 1,
        name: 'missing',
        intervalMs: 1000,
        aggregates: ['sum'],
      });
      assert.deepEqual(none, { name: 'missing', type: null, unit: null, series: [] });
      await assert.rejects(
        store.queryMetrics({ projectId: 1, name: 'other', intervalMs: 0, aggregates: ['sum'] }),
        /intervalMs/,
      );
      await store.close();
    });
  });

  describe('sampling stats', () => {
    test('stored and weighted counts, drops by reason and category, per-root rates', async () => {
      const store = await open();
      const spans: SpanRow[] = [];
      // 3 traces of /chat kept at rate 1 (weight 1), 4 of /health at 0.1 (weight 10), 2 spans each.
      for (let i = 0; i < 3; i++)
        spans.push(
          ...trace({ start: T0 + i, root: { name: 'POST /chat', weight: 1 } }).map((s) => ({
            ...s,
            weight: 1,
          })),
        );
      for (let i = 0; i < 4; i++)
        spans.push(
          ...trace({ start: T0 + 10 + i, root: { name: 'GET /health', weight: 10 } }).map((s) => ({
            ...s,
            weight: 10,
          })),
        );
      // A trace outside the time range.
      spans.push(...trace({ start: T0 + 10_000, root: { name: 'GET /health', weight: 10 } }));
      await store.write(
        batch({
          spans,
          clientReports: [
            { projectId: 1, timestamp: T0, reason: 'sample_rate', category: 'span', quantity: 30 },
            { projectId: 1, timestamp: T0 + 1, reason: 'sample_rate', category: 'span', quantity: 6 },
            { projectId: 1, timestamp: T0, reason: 'queue_overflow', category: 'log_item', quantity: 2 },
            { projectId: 1, timestamp: T0 + 10_000, reason: 'sample_rate', category: 'span', quantity: 1000 },
            { projectId: 2, timestamp: T0, reason: 'sample_rate', category: 'span', quantity: 1000 },
          ],
        }),
      );
      const stats = await store.samplingStats({ projectId: 1, from: T0, to: T0 + 5000 });
      assert.deepEqual(stats.stored, { traces: 7, spans: 14, weightedTraces: 3 + 40, weightedSpans: 6 + 80 });
      assert.deepEqual(stats.dropped, [
        { reason: 'sample_rate', category: 'span', quantity: 36 },
        { reason: 'queue_overflow', category: 'log_item', quantity: 2 },
      ]);
      assert.deepEqual(stats.byRoot, [
        { name: 'GET /health', op: 'http.server', stored: 4, weighted: 40, effectiveRate: 0.1 },
        { name: 'POST /chat', op: 'http.server', stored: 3, weighted: 3, effectiveRate: 1 },
      ]);
      assert.deepEqual(stats.timeline, [], 'no interval, no timeline');
      // Buckets of 10 ms from T0: the chat traces at T0..T0+2, the health traces at T0+10..13.
      const timed = await store.samplingStats({ projectId: 1, from: T0, to: T0 + 5000, intervalMs: 10 });
      assert.deepEqual(timed.timeline, [
        {
          time: T0,
          traces: 3,
          weightedTraces: 3,
          dropped: { 'sample_rate:span': 36, 'queue_overflow:log_item': 2 },
        },
        { time: T0 + 10, traces: 4, weightedTraces: 40, dropped: {} },
      ]);
      const all = await store.samplingStats({ projectId: 1 });
      assert.equal(all.stored.traces, 8);
      assert.equal(all.dropped[0]!.quantity, 1036);
      await store.close();
    });
  });

  describe('retention', () => {
    test('deleteOlderThan removes old rows and whole old traces, never part of a trace', async () => {
      const store = await open();
      const cutoff = T0 + 10_000;
      const old = trace({ start: T0, children: 2 });
      // Started before the cutoff, still had a span after it: kept whole.
      const straddling = trace({ start: cutoff - 500, children: 1 });
      straddling.push(
        span({
          traceId: straddling[0]!.traceId,
          parentSpanId: straddling[0]!.spanId,
          startTime: cutoff + 1,
          endTime: cutoff + 2,
        }),
      );
      const fresh = trace({ start: cutoff + 100 });
      await store.write(
        batch({
          spans: [...old, ...straddling, ...fresh],
          logs: [log({ timestamp: T0 }), log({ timestamp: cutoff + 1 })],
          metrics: [metric({ timestamp: T0 }), metric({ timestamp: T0 + 1 }), metric({ timestamp: cutoff })],
          errors: [errorRow({ timestamp: T0 }), errorRow({ timestamp: cutoff + 5 })],
          clientReports: [{ projectId: 1, timestamp: T0, reason: 'r', category: 'c', quantity: 1 }],
        }),
      );
      const deleted = await store.deleteOlderThan(cutoff);
      assert.equal(deleted, 3 + 1 + 2 + 1 + 1);
      const page = await store.listTraces({ projectId: 1, limit: 10 });
      assert.deepEqual(
        page.traces.map((t) => t.traceId),
        [fresh[0]!.traceId, straddling[0]!.traceId],
      );
      assert.equal((await store.getTrace(1, straddling[0]!.traceId)).length, 3);
      assert.equal((await store.getTrace(1, old[0]!.traceId)).length, 0);
      assert.equal((await store.queryLogs({ projectId: 1, limit: 10 })).logs.length, 1);
      assert.equal((await store.listErrors({ projectId: 1, limit: 10 })).errors.length, 1);
      assert.equal((await store.samplingStats({ projectId: 1 })).dropped.length, 0);
      assert.equal(await store.deleteOlderThan(cutoff), 0);
      // A late span of a deleted trace starts a new summary rather than resurrecting the old one.
      await store.write(batch({ spans: [span({ traceId: old[0]!.traceId, startTime: cutoff + 50 })] }));
      assert.equal((await store.listTraces({ projectId: 1, limit: 10 })).total, 3);
      await store.close();
    });
  });

  describe('agent runs', () => {
    let store: TestStore;
    const a = agentTrace(T0, 'support', 'gpt-4o', { cost: true });
    const b = agentTrace(T0 + 10_000, 'billing', 'claude-sonnet', { fail: true });
    // An LLM call made outside any agent is a run of its own.
    const loneTrace = hexId(32);
    const lone = runSpan(loneTrace, {
      name: 'chat gpt-4o-mini',
      startTime: T0 + 20_000,
      operation: 'chat',
      model: 'gpt-4o-mini',
      inputTokens: 7,
      outputTokens: 3,
    });
    const plain = runSpan(hexId(32), { name: 'GET /health', op: 'http.server', startTime: T0 + 30_000 });

    before(async () => {
      store = await open();
      await store.write(batch({ spans: [...a.spans, ...b.spans, lone, plain] }));
    });
    after(() => store.close());

    test('roots are AI spans without an AI parent, newest first, with their subtree summed', async () => {
      const page = await store.listAgentRuns({ projectId: 1, limit: 10 });
      assert.deepEqual(
        page.runs.map((r) => r.name),
        ['chat gpt-4o-mini', 'invoke_agent billing', 'invoke_agent support'],
      );
      assert.equal(page.nextCursor, null);
      const support = page.runs[2]!;
      const expected: AgentRunSummary = {
        traceId: a.traceId,
        spanId: a.root.spanId,
        name: 'invoke_agent support',
        operation: 'invoke_agent',
        agentName: 'support',
        models: ['gpt-4o'],
        startTime: T0 + 10,
        // The sub-agent ends after the root: the run lasts until its last span ends.
        endTime: T0 + 950,
        durationMs: 940,
        status: 'ok',
        spanCount: 7,
        errorCount: 0,
        llmCalls: 3,
        toolCalls: 1,
        handoffs: 1,
        inputTokens: 350,
        outputTokens: 35,
        // The calls' costs, not the agent span's own total (99), which would count them twice.
        costUsd: 0.75,
        serviceName: 'svc',
      };
      assert.deepEqual(support, expected);
      const billing = page.runs[1]!;
      assert.equal(billing.status, 'error');
      assert.equal(billing.errorCount, 2);
      assert.equal(billing.costUsd, null);
      const loneRun = page.runs[0]!;
      assert.deepEqual(
        [loneRun.operation, loneRun.llmCalls, loneRun.toolCalls, loneRun.inputTokens, loneRun.spanCount],
        ['chat', 1, 0, 7, 1],
      );
    });

    test("a trace's cost sums its calls, not the agent spans' totals over them; null without costs", async () => {
      const page = await store.listTraces({ projectId: 1, limit: 10 });
      const cost = Object.fromEntries(page.traces.map((t) => [t.traceId, t.costUsd]));
      // 0.25 + 0.5: the agents' own 99 would count the same calls twice.
      assert.equal(cost[a.traceId], 0.75);
      assert.equal(cost[b.traceId], null);
      assert.equal(cost[loneTrace], null);
      assert.equal(cost[plain.traceId], null);
      const stored = await store.getTrace(1, a.traceId);
      assert.deepEqual(
        stored.filter((s) => s.ai?.costUsd != null).map((s) => [s.name, s.ai?.costUsd]),
        [
          ['invoke_agent support', 99],
          ['chat gpt-4o', 0.25],
          ['chat gpt-4o', 0.5],
        ],
      );
    });

    test('trace cost: agent totals only when no call has a cost; sums merge across requests', async () => {
      const s = await open();
      try {
        const traceId = hexId(32);
        const agent = runSpan(traceId, {
          name: 'invoke_agent remote',
          startTime: T0,
          operation: 'invoke_agent',
          costUsd: 1.5,
        });
        await s.write(batch({ spans: [agent] }));
        const costOf = async () => (await s.listTraces({ projectId: 1, limit: 10 })).traces[0]?.costUsd;
        assert.equal(await costOf(), 1.5, 'only the agent has a cost: its total is the trace cost');
        const call = (at: number, costUsd: number | null) =>
          runSpan(traceId, {
            parentSpanId: agent.spanId,
            name: 'chat',
            startTime: at,
            operation: 'chat',
            model: 'm',
            costUsd,
          });
        // Later requests add to the stored summary (merged, not replaced).
        await s.write(batch({ spans: [call(T0 + 1, 0.125), call(T0 + 2, null)] }));
        assert.equal(await costOf(), 0.125, 'a call has a cost now: the agent total is left out');
        await s.write(batch({ spans: [call(T0 + 3, 0.25)] }));
        assert.equal(await costOf(), 0.375);
      } finally {
        await s.close();
      }
    });

    test('filters by agent, model, status and time; pages by cursor without repeats', async () => {
      const names = async (q: Partial<Parameters<TestStore['listAgentRuns']>[0]>) =>
        (await store.listAgentRuns({ projectId: 1, limit: 10, ...q })).runs.map((r) => r.name);
      assert.deepEqual(await names({ agent: 'support' }), ['invoke_agent support']);
      assert.deepEqual(await names({ model: 'claude-sonnet' }), ['invoke_agent billing']);
      assert.deepEqual(await names({ status: 'error' }), ['invoke_agent billing']);
      assert.deepEqual(await names({ from: T0 + 5000, to: T0 + 15_000 }), ['invoke_agent billing']);
      assert.deepEqual(await names({ agent: 'nobody' }), []);
      assert.deepEqual(await names({ projectId: 2 }), []);

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listAgentRuns({ projectId: 1, limit: 1, cursor });
        assert.ok(page.runs.length <= 1);
        seen.push(...page.runs.map((r) => r.name));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(seen, ['chat gpt-4o-mini', 'invoke_agent billing', 'invoke_agent support']);
    });

    test('a root whose trace has a parent cycle is still summed once per span', async () => {
      const traceId = hexId(32);
      const x = runSpan(traceId, {
        name: 'invoke_agent loop',
        startTime: T0 + 40_000,
        operation: 'invoke_agent',
      });
      const y = runSpan(traceId, {
        name: 'tool',
        startTime: T0 + 40_001,
        operation: 'execute_tool',
        parentSpanId: x.spanId,
      });
      const z = runSpan(traceId, { name: 'plain', startTime: T0 + 40_002, parentSpanId: y.spanId });
      // x's own parent is z (bad input): x still counts as a root because z is not an AI span.
      x.parentSpanId = z.spanId;
      await store.write(batch({ spans: [x, y, z] }));
      const run = (await store.listAgentRuns({ projectId: 1, limit: 1 })).runs[0]!;
      assert.equal(run.name, 'invoke_agent loop');
      assert.equal(run.spanCount, 3);
      assert.equal(run.toolCalls, 1);
    });
  });

  describe('queryLogs attribute filter', () => {
    test('matches exact attribute values, with other filters', async () => {
      const store = await open();
      try {
        const log = (body: string, attributes: LogRow['attributes']): LogRow => ({
          projectId: 1,
          timestamp: T0 + ++idCounter,
          traceId: null,
          spanId: null,
          level: 'info',
          severityNumber: 9,
          body,
          serviceName: null,
          environment: null,
          release: null,
          attributes,
        });
        await store.write(
          batch({
            logs: [
              log('a', { model: 'gpt-4o', n: 3 }),
              log('b', { model: 'gpt-4o-mini' }),
              log('c', { 'odd "key"': 'x"y' }),
            ],
          }),
        );
        const bodies = async (attributes: Record<string, string>) =>
          (await store.queryLogs({ projectId: 1, limit: 10, attributes })).logs.map((l) => l.body);
        assert.deepEqual(await bodies({ model: 'gpt-4o' }), ['a']);
        assert.deepEqual(await bodies({ n: '3' }), ['a']);
        assert.deepEqual(await bodies({ 'odd "key"': 'x"y' }), ['c']);
        assert.deepEqual(await bodies({ model: 'gpt' }), []);
      } finally {
        await store.close();
      }
    });
  });
}
