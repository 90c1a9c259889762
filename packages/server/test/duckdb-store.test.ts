/**
 * DuckDbStore against real DuckDB databases (':memory:' and files in a temp dir): schema
 * migrations, idempotent ingest, group commit, every query with its filters and cursors, metric
 * aggregates against values computed here, sampling stats and retention.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { ErrorRow, IngestBatch, LogRow, MetricRow, SpanRow } from '../src/model.js';
import { InvalidCursorError } from '../src/storage/duckdb/cursor.js';
import { MIGRATIONS, type Migration } from '../src/storage/duckdb/schema.js';
import { DuckDbStore, type DuckDbStoreOptions } from '../src/storage/duckdb/store.js';
import type { TraceSummary } from '../src/store.js';

const T0 = 1_700_000_000_000;
let idCounter = 0;

function hexId(len: number): string {
  idCounter++;
  return idCounter.toString(16).padStart(len, '0');
}

function span(overrides: Partial<SpanRow> = {}): SpanRow {
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
    operation: null,
    provider: null,
    model: null,
    inputTokens: null,
    outputTokens: null,
    cachedInputTokens: null,
    reasoningTokens: null,
    agentName: null,
    toolName: null,
    ...overrides,
  };
}

function log(overrides: Partial<LogRow> = {}): LogRow {
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

function metric(overrides: Partial<MetricRow> = {}): MetricRow {
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

function errorRow(overrides: Partial<ErrorRow> = {}): ErrorRow {
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

function batch(parts: Partial<IngestBatch>): IngestBatch {
  return { spans: [], logs: [], metrics: [], errors: [], clientReports: [], ...parts };
}

async function memoryStore(options: Partial<DuckDbStoreOptions> = {}): Promise<DuckDbStore> {
  const store = new DuckDbStore({ path: ':memory:', ...options });
  await store.open();
  return store;
}

/** A trace: a root and `children` children, `gap` ms apart. */
function trace(opts: {
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

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sieve-duckdb-test-'));
  tempDirs.push(dir);
  return dir;
}
after(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** The store's own newest schema version: test migrations go after it. */
const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

describe('schema migrations', () => {
  test('a new file gets every migration; reopening applies none', async () => {
    const dir = tempDir();
    const store = new DuckDbStore({ dataDir: join(dir, 'nested') });
    await store.open();
    assert.deepEqual(store.migrations, { applied: MIGRATIONS.map((m) => m.version), version: LATEST });
    await store.write(batch({ spans: trace({ start: T0 }) }));
    await store.close();

    const again = new DuckDbStore({ dataDir: join(dir, 'nested') });
    await again.open();
    assert.deepEqual(again.migrations, { applied: [], version: LATEST });
    assert.equal((await again.listTraces({ projectId: 1, limit: 10 })).total, 1);
    await again.close();

    const db = await DuckDBInstance.create(join(dir, 'nested', 'sieve.duckdb'));
    const conn = await db.connect();
    const rows = (
      await conn.runAndReadAll('SELECT version, applied_at FROM schema_migrations')
    ).getRowObjectsJS();
    assert.equal(rows.length, MIGRATIONS.length, 'one row per version, not re-applied');
    conn.closeSync();
    db.closeSync();
  });

  test('a later migration is applied once, in order; a failing one leaves the file unchanged', async () => {
    const dir = tempDir();
    const v1 = new DuckDbStore({ dataDir: dir });
    await v1.open();
    await v1.close();

    const broken: Migration[] = [
      ...MIGRATIONS,
      { version: LATEST + 1, name: 'good', statements: ['CREATE TABLE extra_a (x INTEGER)'] },
      {
        version: LATEST + 2,
        name: 'bad',
        statements: ['CREATE TABLE extra_b (x INTEGER)', 'SELECT * FROM no_such_table'],
      },
    ];
    await assert.rejects(
      new DuckDbStore({ dataDir: dir, migrations: broken }).open(),
      new RegExp(`migration ${LATEST + 2} \\(bad\\) failed`),
    );

    const fixed: Migration[] = [
      ...MIGRATIONS,
      { version: LATEST + 2, name: 'c', statements: ['CREATE TABLE extra_c (x INTEGER)'] },
      { version: LATEST + 1, name: 'b', statements: ['CREATE TABLE extra_b (x INTEGER)'] },
    ];
    const v3 = new DuckDbStore({ dataDir: dir, migrations: fixed });
    await v3.open();
    assert.deepEqual(v3.migrations, { applied: [LATEST + 1, LATEST + 2], version: LATEST + 2 });
    await v3.close();

    // An old build must not write to a file migrated by a newer one.
    await assert.rejects(
      new DuckDbStore({ dataDir: dir }).open(),
      new RegExp(`schema version\\(s\\) ${LATEST + 1}, ${LATEST + 2}`),
    );
  });
});

describe('ingest', () => {
  let store: DuckDbStore;
  before(async () => {
    store = await memoryStore();
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

  test('groups appended beside a COMMIT in flight: a trace split across them is still stored once, with one summary', async () => {
    // A file database (a real WAL and fsync) and a small row cap, so a backlog becomes many groups
    // and each is appended while the one before commits.
    const dir = mkdtempSync(join(tmpdir(), 'sieve-pipeline-'));
    const s = new DuckDbStore({ dataDir: dir, maxRowsPerCommit: 40, writerConnections: 2 });
    await s.open();
    try {
      const traces = Array.from({ length: 60 }, (_, i) =>
        trace({ start: T0 + 300_000 + i * 10, children: 5 }),
      );
      const writes: Promise<void>[] = [];
      // Each trace arrives in three requests in successive ticks: root first, then the children,
      // then all six again (a retry), so parts of one trace land in different, overlapping groups.
      for (const spans of traces) writes.push(s.write(batch({ spans: spans.slice(0, 1) })));
      await new Promise((r) => setImmediate(r));
      for (const spans of traces) writes.push(s.write(batch({ spans: spans.slice(1) })));
      await new Promise((r) => setImmediate(r));
      for (const spans of traces) writes.push(s.write(batch({ spans })));
      await Promise.all(writes);
      assert.ok(s.stats.overlapped > 0, 'some groups were appended while a COMMIT ran');
      assert.equal(s.stats.duplicates, 60 * 6);
      const page = await s.listTraces({ projectId: 1, limit: 100, from: T0 + 300_000 });
      assert.equal(page.total, 60, 'one summary row per trace');
      for (const spans of traces) {
        const stored = await s.getTrace(1, spans[0]!.traceId);
        assert.equal(stored.length, 6);
        const summary = page.traces.find((t) => t.traceId === spans[0]!.traceId);
        assert.equal(summary?.spanCount, 6);
        assert.equal(summary?.name, 'root');
      }
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the row cap splits a backlog into several commits', async () => {
    const capped = await memoryStore({ maxRowsPerCommit: 100 });
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

  test('a commit that fails rejects every write in it with the cause; the writer carries on', async () => {
    // A CHECK constraint the validator knows nothing about makes DuckDB refuse the commit.
    const migrations: Migration[] = [
      ...MIGRATIONS,
      {
        version: LATEST + 1,
        name: 'test: constrained client_reports',
        statements: [
          'DROP TABLE client_reports',
          `CREATE TABLE client_reports (project_id INTEGER NOT NULL, timestamp DOUBLE NOT NULL,
            reason VARCHAR NOT NULL, category VARCHAR NOT NULL, quantity BIGINT NOT NULL CHECK (quantity < 1000))`,
        ],
      },
    ];
    const s = await memoryStore({ migrations });
    const good = trace({ start: T0 });
    const results = await Promise.allSettled([
      s.write(batch({ spans: good })),
      s.write(
        batch({
          clientReports: [{ projectId: 1, timestamp: T0, reason: 'r', category: 'c', quantity: 5000 }],
        }),
      ),
    ]);
    assert.equal(s.commitCount, 0);
    assert.equal(s.stats.failedCommits, 1);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.match(String(r.reason), /commit of 2 batch\(es\), 3 row\(s\) failed: .*CHECK/i);
    }
    assert.equal(
      (await s.getTrace(1, good[0]!.traceId)).length,
      0,
      'nothing of the failed commit is visible',
    );
    await s.write(batch({ spans: good }));
    assert.equal((await s.getTrace(1, good[0]!.traceId)).length, 2);
    await s.close();
  });

  test('close() waits for queued writes; writes after close are refused', async () => {
    const dir = tempDir();
    const s = new DuckDbStore({ dataDir: dir });
    await s.open();
    const spans = trace({ start: T0, children: 5 });
    const pending = s.write(batch({ spans }));
    await s.close();
    await pending;
    await assert.rejects(s.write(batch({ spans })), /not open/);
    const again = new DuckDbStore({ dataDir: dir });
    await again.open();
    assert.equal((await again.getTrace(1, spans[0]!.traceId)).length, 6);
    await again.close();
  });

  test('an empty batch resolves without a commit', async () => {
    const before = store.commitCount;
    await store.write(batch({}));
    assert.equal(store.commitCount, before);
  });
});

describe('traces', () => {
  let store: DuckDbStore;
  const ids: Record<string, string> = {};
  before(async () => {
    store = await memoryStore();
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
  const idsOf = async (q: Omit<Parameters<DuckDbStore['listTraces']>[0], 'projectId' | 'limit'>) =>
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
    assert.deepEqual(await idsOf({ from: T0 + 2000, to: T0 + 2999 }), [ids.c, ids.b], 'both ends inclusive');
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
    assert.deepEqual(await idsOf({ attributes: { 'gen_ai.request.model': 'gpt-4o', 'user.id': 'u2' } }), []);
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
    const s = await memoryStore();
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
  let store: DuckDbStore;
  const trace1 = 'a'.repeat(32);
  before(async () => {
    store = await memoryStore();
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
    for (let i = 1; i < all.logs.length; i++) assert.ok(all.logs[i - 1]!.timestamp >= all.logs[i]!.timestamp);
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
    const store = await memoryStore();
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
    const store = await memoryStore();
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
    const all = await store.samplingStats({ projectId: 1 });
    assert.equal(all.stored.traces, 8);
    assert.equal(all.dropped[0]!.quantity, 1036);
    await store.close();
  });
});

describe('retention', () => {
  test('deleteOlderThan removes old rows and whole old traces, never part of a trace', async () => {
    const store = await memoryStore();
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
