/**
 * DuckDbStore against real DuckDB databases (':memory:' and files in a temp dir): the shared Store
 * conformance suite (store-conformance.ts), plus what is DuckDB's own: schema migrations in a file,
 * a commit refused by DuckDB, and close() against a file reopened afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { applyMigrations, MIGRATIONS, type Migration } from '../src/storage/duckdb/schema.js';
import { DuckDbStore, type DuckDbStoreOptions } from '../src/storage/duckdb/store.js';
import { batch, span, storeConformance, T0, trace } from './store-conformance.js';

async function memoryStore(options: Partial<DuckDbStoreOptions> = {}): Promise<DuckDbStore> {
  const store = new DuckDbStore({ path: ':memory:', ...options });
  await store.open();
  return store;
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

describe('schema upgrade', () => {
  test('a file at schema version 2 (no costs) upgrades: spans and summaries get their costs from the attributes', async () => {
    const dir = tempDir();
    const db = await DuckDBInstance.create(join(dir, 'sieve.duckdb'));
    const conn = await db.connect();
    assert.deepEqual(
      (
        await applyMigrations(
          conn,
          MIGRATIONS.filter((m) => m.version <= 2),
        )
      ).version,
      2,
    );
    // Rows as the version-2 writer stored them: an agent span whose cost totals its two calls, and a
    // trace without costs.
    const spanSql = (trace: string, id: string, parent: string | null, op: string, attributes: string) =>
      `(1, '${trace}', '${id}', ${parent === null ? 'NULL' : `'${parent}'`}, '${op}', 'ok', ${T0}, ${T0 + 10}, 10,
        false, 1, '${attributes}', 'sentry', '${op}')`;
    await conn.run(
      `INSERT INTO spans (project_id, trace_id, span_id, parent_span_id, name, status, start_time, end_time,
         duration_ms, is_segment, weight, attributes, source, ai_operation) VALUES
       ${spanSql('t1', 's1', null, 'invoke_agent', '{"gen_ai.cost.total_usd":99}')},
       ${spanSql('t1', 's2', 's1', 'chat', '{"gen_ai.cost.total_usd":0.25}')},
       ${spanSql('t1', 's3', 's1', 'chat', '{"gen_ai.cost.total_usd":"0.5","x":1}')},
       ${spanSql('t2', 's4', null, 'chat', '{"gen_ai.cost.other":1}')}`,
    );
    const traceSql = (trace: string, spans: number) =>
      `(1, '${trace}', ${T0}, ${T0 + 10}, ${T0}, ${spans}, 0, 0, ${T0}, '${trace}', NULL, 'ok', 1, [], [], [], 0, 0, true, ${spans})`;
    await conn.run(`INSERT INTO traces VALUES ${traceSql('t1', 3)}, ${traceSql('t2', 1)}`);
    conn.closeSync();
    db.closeSync();

    const store = new DuckDbStore({ dataDir: dir });
    await store.open();
    try {
      assert.deepEqual(store.migrations, { applied: [3, 4], version: 4 });
      const costs = async () =>
        Object.fromEntries(
          (await store.listTraces({ projectId: 1, limit: 10 })).traces.map((t) => [t.traceId, t.costUsd]),
        );
      assert.deepEqual(await costs(), { t1: 0.75, t2: null });
      assert.deepEqual(
        (await store.getTrace(1, 't1')).map((s) => s.ai?.costUsd),
        [99, 0.25, 0.5],
      );
      // The upgraded summary keeps being merged by the writer.
      await store.write(
        batch({
          spans: [
            span({ traceId: 't1', spanId: 's5', parentSpanId: 's1', operation: 'chat', costUsd: 0.125 }),
          ],
        }),
      );
      assert.deepEqual(await costs(), { t1: 0.875, t2: null });
    } finally {
      await store.close();
    }
  });
});

describe('DuckDB: commits and files', () => {
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

  test('a group that waits for rows past the COMMIT it began beside takes none of that COMMIT’s traces', async () => {
    // As behind the ingest journal: a group keeps taking batches until it has minRowsPerCommit rows
    // or maxCommitDelayMs passed, so it outlives the COMMIT it began beside, and its snapshot never
    // sees what that COMMIT wrote. A later part of one of those traces merged there would delete the
    // summary row the COMMIT already replaced ("Conflict on tuple deletion": the commit fails).
    const dir = mkdtempSync(join(tmpdir(), 'sieve-pipeline-wait-'));
    const s = new DuckDbStore({
      dataDir: dir,
      minRowsPerCommit: 10_000,
      maxCommitDelayMs: 200,
      writerConnections: 2,
    });
    await s.open();
    try {
      // Group 1 is large, so its COMMIT (a WAL write and fsync) takes a while.
      const [t, u] = [
        trace({ start: T0 + 400_000, children: 6_000 }),
        trace({ start: T0 + 400_500, children: 1 }),
      ];
      const writer = (s as unknown as { writer: { inFlight: unknown } }).writer;
      await s.write(batch({ spans: t.slice(0, 1) })); // T's summary row exists
      const before = writer.inFlight;
      const writes = [s.write(batch({ spans: t.slice(1, 5_001) }))]; // merged into it by group 1 ...
      const committing = s.barrier(); // ... which commits now
      while (writer.inFlight === null || writer.inFlight === before) {
        await new Promise((r) => setImmediate(r));
      }
      writes.push(s.write(batch({ spans: u }))); // group 2 begins beside group 1's COMMIT
      await committing;
      await new Promise((r) => setTimeout(r, 20)); // group 1 has committed; group 2 still waits
      writes.push(s.write(batch({ spans: t.slice(5_001) })));
      const results = await Promise.allSettled(writes);
      assert.deepEqual(
        results
          .filter((r) => r.status === 'rejected')
          .map((r) => String((r as PromiseRejectedResult).reason)),
        [],
      );
      assert.ok(s.stats.overlapped > 0, 'group 2 was appended while group 1 committed');
      const page = await s.listTraces({ projectId: 1, limit: 10, from: T0 + 400_000 });
      assert.equal(page.total, 2, 'one summary row per trace');
      assert.equal(page.traces.find((x) => x.traceId === t[0]!.traceId)?.spanCount, 6_001);
      assert.equal((await s.getTrace(1, t[0]!.traceId)).length, 6_001);
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a commit that fails is retried one batch at a time: only the bad batch fails, with the cause', async () => {
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
    assert.equal(results[0]!.status, 'fulfilled', 'the good batch committed on its own');
    assert.equal(results[1]!.status, 'rejected');
    assert.match(
      String((results[1] as PromiseRejectedResult).reason),
      /commit of 1 batch\(es\), 1 row\(s\) failed: .*CHECK/i,
    );
    assert.equal(s.commitCount, 1);
    assert.equal(s.stats.failedCommits, 2, 'the shared commit, then the bad batch alone');
    assert.equal((await s.getTrace(1, good[0]!.traceId)).length, 2);
    assert.equal((await s.samplingStats({ projectId: 1 })).dropped.length, 0, 'nothing of the bad batch');
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
});

storeConformance((options) => memoryStore(options));
