/**
 * ClickHouseStore against a real clickhouse-server started for this file (clickhouse-server.ts):
 * the shared Store conformance suite (store-conformance.ts), each group in a database of its own,
 * plus what is ClickHouse's own: migrations recorded in schema_migrations, SQL literals that survive
 * hostile text, close() with writes queued, connection errors and URL parsing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { MIGRATIONS, type Migration } from '../src/storage/clickhouse/schema.js';
import { dayOf, str } from '../src/storage/clickhouse/sql.js';
import { ClickHouseStore } from '../src/storage/clickhouse/store.js';
import { parseClickHouseUrl, redactedClickHouseUrl } from '../src/storage/clickhouse/url.js';
import { clickhouseSkip, type RunningClickHouse, startClickHouse } from './clickhouse-server.js';
import { batch, log, span, storeConformance, T0, trace } from './store-conformance.js';

describe('parseClickHouseUrl', () => {
  const cases: Array<[string, ReturnType<typeof parseClickHouseUrl> | RegExp]> = [
    [
      'http://user:p%40ss@ch.internal:8123/traces',
      { url: 'http://ch.internal:8123', username: 'user', password: 'p@ss', database: 'traces' },
    ],
    [
      'http://localhost:8123',
      { url: 'http://localhost:8123', username: 'default', password: '', database: 'sieve' },
    ],
    ['https://h/db/', { url: 'https://h', username: 'default', password: '', database: 'db' }],
    ['tcp://h:9000/db', /not http: or https:/],
    ['http://h:8123/a/b', /one database/],
    ['http://h:8123/bad-name', /letters, digits and _/],
    ['not a url', /invalid ClickHouse URL/],
  ];
  for (const [input, expected] of cases) {
    test(input, () => {
      if (expected instanceof RegExp) assert.throws(() => parseClickHouseUrl(input), expected);
      else assert.deepEqual(parseClickHouseUrl(input), expected);
    });
  }
  test('redaction drops credentials', () => {
    assert.equal(redactedClickHouseUrl('http://u:secret@h:8123/db'), 'http://h:8123/db');
  });
});

describe('ClickHouseStore', { skip: clickhouseSkip() }, () => {
  let ch: RunningClickHouse;
  before(async () => {
    ch = await startClickHouse();
  });
  after(() => ch?.stop());

  const openStore = async (options: { maxRowsPerCommit?: number; migrations?: Migration[] } = {}) => {
    const store = new ClickHouseStore({ url: ch.databaseUrl(), ...options });
    await store.open();
    return store;
  };

  describe('ClickHouse: schema, SQL and connections', () => {
    const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

    test('a new database gets every migration; reopening applies none; a newer schema is refused', async () => {
      const url = ch.databaseUrl();
      const store = new ClickHouseStore({ url });
      await store.open();
      assert.deepEqual(store.migrations, { applied: MIGRATIONS.map((m) => m.version), version: LATEST });
      await store.write(batch({ spans: trace({ start: T0 }) }));
      await store.close();

      const extra: Migration[] = [
        ...MIGRATIONS,
        {
          version: LATEST + 1,
          name: 'extra',
          statements: ['CREATE TABLE IF NOT EXISTS extra (x UInt8) ENGINE = Log'],
        },
      ];
      const again = new ClickHouseStore({ url, migrations: extra });
      await again.open();
      assert.deepEqual(again.migrations, { applied: [LATEST + 1], version: LATEST + 1 });
      assert.equal((await again.listTraces({ projectId: 1, limit: 10 })).total, 1);
      await again.close();

      await assert.rejects(
        new ClickHouseStore({ url }).open(),
        new RegExp(`schema version\\(s\\) ${LATEST + 1}`),
      );
      const bad: Migration[] = [
        ...extra,
        { version: LATEST + 2, name: 'bad', statements: ['SELECT * FROM no_such_table'] },
      ];
      await assert.rejects(
        new ClickHouseStore({ url, migrations: bad }).open(),
        new RegExp(`migration ${LATEST + 2} \\(bad\\) failed`),
      );
    });

    test('a database at schema version 1 (no costs) upgrades: stored spans read their cost from the attributes', async () => {
      const url = ch.databaseUrl();
      const v1 = new ClickHouseStore({ url, migrations: MIGRATIONS.filter((m) => m.version <= 1) });
      await v1.open();
      await v1.close();
      // Rows as the version-1 writer stored them: an agent span whose cost totals its two calls.
      const client = createClient({
        url: ch.httpUrl,
        database: new URL(url).pathname.slice(1),
        log: { level: ClickHouseLogLevel.OFF },
      });
      const spanSql = (id: string, parent: string | null, op: string, attributes: string) =>
        `(1, ${dayOf(T0)}, 't1', ${str(id)}, ${parent === null ? 'NULL' : str(parent)}, ${str(op)}, 'ok', ${T0},
          ${T0 + 10}, 0, 1, ${str(attributes)}, 'sentry', ${str(op)})`;
      await client.command({
        query: `INSERT INTO spans (project_id, day, trace_id, span_id, parent_span_id, name, status, start_time,
            end_time, is_segment, weight, attributes, source, ai_operation) VALUES
          ${spanSql('s1', null, 'invoke_agent', '{"gen_ai.cost.total_usd":99}')},
          ${spanSql('s2', 's1', 'chat', '{"gen_ai.cost.total_usd":0.25}')},
          ${spanSql('s3', 's1', 'chat', '{"x":1,"gen_ai.cost.total_usd":"0.5"}')}`,
      });
      await client.command({
        query: `INSERT INTO traces VALUES (1, 't1', ${T0}, ${T0 + 10}, ${T0}, 3, 0, 't1', NULL, 'ok', 1, [], [], [], 0, 0, 1, 3)`,
      });
      await client.close();

      const store = new ClickHouseStore({ url });
      await store.open();
      try {
        assert.deepEqual(store.migrations, { applied: [2], version: 2 });
        const cost = async () => (await store.listTraces({ projectId: 1, limit: 10 })).traces[0]?.costUsd;
        assert.deepEqual(
          (await store.getTrace(1, 't1')).map((s) => s.ai?.costUsd),
          [99, 0.25, 0.5],
        );
        // Known limit: a summary written before the upgrade has no cost until its trace changes.
        assert.equal(await cost(), null);
        await store.write(
          batch({
            spans: [
              span({ traceId: 't1', spanId: 's4', parentSpanId: 's1', operation: 'chat', costUsd: 0.125 }),
            ],
          }),
        );
        assert.equal(await cost(), 0.875, 'recomputed from all its spans, the old ones included');
      } finally {
        await store.close();
      }
    });

    test('string literals carry any text unchanged', async () => {
      const client = createClient({ url: ch.httpUrl, log: { level: ClickHouseLogLevel.OFF } });
      const nasty = [
        "it's",
        'back\\slash',
        "\\'; DROP TABLE spans; --",
        'nul\0byte',
        'tab\tnew\nline',
        'Zoë 🚀',
        "''",
      ];
      for (const text of nasty) {
        const rows = await (
          await client.query({ query: `SELECT ${str(text)} AS v`, format: 'JSONEachRow' })
        ).json<{
          v: string;
        }>();
        assert.equal(rows[0]?.v, text);
      }
      await client.close();
    });

    test('inserted text comes back unchanged (TabSeparated escapes)', async () => {
      const store = await openStore();
      const nasty = [
        'tab\there',
        'new\nline\r\n',
        'back\\slash \\N',
        '\\N',
        'nul\0byte',
        'it\'s "quoted"',
        'Zoë 🚀',
        '',
      ];
      await store.write(
        batch({
          logs: nasty.map((body, i) => log({ body, timestamp: T0 + i, attributes: { body, [body]: i } })),
        }),
      );
      const { logs } = await store.queryLogs({ projectId: 1, limit: 100 });
      assert.deepEqual(logs.map((l) => l.body).reverse(), nasty);
      assert.deepEqual(
        logs.map((l) => l.attributes).reverse(),
        nasty.map((body, i) => ({ body, [body]: i })),
      );
      await store.close();
    });

    test('a retry after a commit failed between spans and summary makes the trace visible', async () => {
      const store = await openStore();
      const spans = trace({ start: T0, children: 2 });
      // What a failed commit leaves: the spans inserted, their summary not.
      const client = createClient({
        url: ch.httpUrl,
        database: store.target.database,
        log: { level: ClickHouseLogLevel.OFF },
      });
      await client.insert({
        table: 'spans',
        format: 'JSONEachRow',
        values: spans.map((s) => ({
          project_id: 1,
          day: dayOf(s.startTime),
          trace_id: s.traceId,
          span_id: s.spanId,
          parent_span_id: s.parentSpanId,
          name: s.name,
          op: s.op,
          status: s.status,
          start_time: s.startTime,
          end_time: s.endTime,
          is_segment: s.isSegment ? 1 : 0,
          weight: s.weight,
          attributes: '{}',
          source: 'sentry',
        })),
      });
      await client.close();
      assert.deepEqual(await store.getTrace(1, spans[0]!.traceId), [], 'no summary, not found');
      await store.write(batch({ spans }));
      assert.equal((await store.getTrace(1, spans[0]!.traceId)).length, 3);
      const page = await store.listTraces({ projectId: 1, limit: 10 });
      assert.equal(page.traces[0]?.spanCount, 3);
      assert.equal(store.stats.duplicates, 3);
      await store.close();
    });

    test('close() waits for queued writes; writes after close are refused', async () => {
      const url = ch.databaseUrl();
      const s = new ClickHouseStore({ url });
      await s.open();
      const spans = trace({ start: T0, children: 5 });
      const pending = s.write(batch({ spans }));
      await s.close();
      await pending;
      await assert.rejects(s.write(batch({ spans })), /not open/);
      const again = new ClickHouseStore({ url });
      await again.open();
      assert.equal((await again.getTrace(1, spans[0]!.traceId)).length, 6);
      await again.close();
    });

    test('an unreachable server fails open() with the address in the message', async () => {
      const dead = new ClickHouseStore({ url: 'http://user:secret@127.0.0.1:1/db' });
      await assert.rejects(dead.open(), (err: Error) => {
        assert.match(err.message, /ClickHouse at http:\/\/127\.0\.0\.1:1 \(database db\)/);
        assert.doesNotMatch(err.message, /secret/);
        return true;
      });
    });
  });

  storeConformance((options) => openStore(options));
});
