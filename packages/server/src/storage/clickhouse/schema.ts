import type { ClickHouseClient } from '@clickhouse/client';
import { str } from './sql.js';

/**
 * Versioned schema migrations for the ClickHouse store, recorded in `schema_migrations`.
 *
 * ClickHouse has no DDL transactions, so every statement is idempotent (`IF NOT EXISTS`): a
 * migration interrupted half-way is simply run again by the next start, and two sieve processes
 * starting at once against one database both succeed. A migration is frozen once released.
 *
 * SQL accepted by ClickHouse 18.16 (Debian's package) and current releases alike: the
 * `ENGINE = … ORDER BY` syntax, no SimpleAggregateFunction, no LowCardinality, no data-skipping
 * indexes, no Bool type (UInt8), no TTL, no query parameters. See docs/clickhouse.md.
 *
 * Layout:
 * - `spans`: ReplacingMergeTree ordered by (project_id, day, trace_id, span_id). `day` (days since
 *   the epoch of start_time) makes time-range scans (text search, sampling by root) prune the
 *   primary index, and trace detail reads the trace's [start_time, last_start] from `traces`, so it
 *   looks up (project, day range, trace id) in the index. Granules of 1024 rows rather than 8192:
 *   a trace's spans are a few rows, and a lookup reads whole granules of every column (measured at
 *   100k spans on 2 busy cores: trace detail p50 ~170 ms with 8192, see docs/clickhouse.md). Replacing: a span stored twice by two
 *   racing sieve processes collapses to one row when parts merge (reads that count use FINAL).
 * - `traces`: the per-trace summary, one row per version; ReplacingMergeTree(span_count) keeps the
 *   newest (a summary is recomputed from all the trace's spans whenever spans are added, so its span
 *   count only grows). Listing traces reads it with FINAL, ordered by (project_id, trace_id).
 * - No PARTITION BY: hostile timestamps could create thousands of partitions (newer releases refuse
 *   inserts touching more than 100), and retention deletes whole traces, not days.
 */
export interface Migration {
  version: number;
  name: string;
  statements: readonly MigrationStatement[];
}

/**
 * SQL, or a column to add unless it exists: 18.16 has no `ADD COLUMN IF NOT EXISTS`, so that is
 * checked in `system.columns` to keep a re-run migration idempotent.
 */
export type MigrationStatement =
  | string
  | { addColumn: { table: string; column: string; definition: string } };

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    statements: [
      `CREATE TABLE IF NOT EXISTS spans (
        project_id UInt32,
        day Int32,
        trace_id String,
        span_id String,
        parent_span_id Nullable(String),
        name String,
        op Nullable(String),
        kind Nullable(String),
        status String,
        status_message Nullable(String),
        start_time Float64,
        end_time Float64,
        is_segment UInt8,
        segment_id Nullable(String),
        service_name Nullable(String),
        environment Nullable(String),
        release Nullable(String),
        weight Float64,
        attributes String,
        source String,
        ai_operation Nullable(String),
        ai_provider Nullable(String),
        ai_model Nullable(String),
        input_tokens Nullable(Int64),
        output_tokens Nullable(Int64),
        cached_input_tokens Nullable(Int64),
        reasoning_tokens Nullable(Int64),
        agent_name Nullable(String),
        tool_name Nullable(String)
      ) ENGINE = ReplacingMergeTree() ORDER BY (project_id, day, trace_id, span_id)
      SETTINGS index_granularity = 1024`,
      `CREATE TABLE IF NOT EXISTS traces (
        project_id UInt32,
        trace_id String,
        start_time Float64,
        end_time Float64,
        last_start Float64,
        span_count UInt64,
        error_count UInt64,
        root_name String,
        root_op Nullable(String),
        root_status String,
        root_weight Float64,
        models Array(String),
        ops Array(String),
        services Array(String),
        input_tokens Int64,
        output_tokens Int64,
        has_ai UInt8,
        weight_sum Float64
      ) ENGINE = ReplacingMergeTree(span_count) ORDER BY (project_id, trace_id)`,
      `CREATE TABLE IF NOT EXISTS logs (
        id UInt64,
        project_id UInt32,
        timestamp Float64,
        trace_id Nullable(String),
        span_id Nullable(String),
        level String,
        severity_number Int32,
        body String,
        service_name Nullable(String),
        environment Nullable(String),
        release Nullable(String),
        attributes String
      ) ENGINE = MergeTree ORDER BY (project_id, timestamp, id)`,
      `CREATE TABLE IF NOT EXISTS metrics (
        project_id UInt32,
        timestamp Float64,
        trace_id Nullable(String),
        span_id Nullable(String),
        name String,
        type String,
        value Float64,
        unit Nullable(String),
        service_name Nullable(String),
        attributes String
      ) ENGINE = MergeTree ORDER BY (project_id, name, timestamp)`,
      `CREATE TABLE IF NOT EXISTS errors (
        project_id UInt32,
        event_id String,
        timestamp Float64,
        trace_id Nullable(String),
        span_id Nullable(String),
        level String,
        type String,
        message String,
        frames String,
        environment Nullable(String),
        release Nullable(String),
        tags String,
        raw String
      ) ENGINE = MergeTree ORDER BY (project_id, timestamp, event_id)`,
      `CREATE TABLE IF NOT EXISTS client_reports (
        project_id UInt32,
        timestamp Float64,
        reason String,
        category String,
        quantity Int64
      ) ENGINE = MergeTree ORDER BY (project_id, timestamp)`,
    ],
  },
  {
    // The normalised cost (`gen_ai.cost.total_usd`) of a span, and its sums on the trace summary: the
    // cost of the calls, and apart from it that of the `invoke_agent` spans (often a total over the
    // same calls, counted only when no call has a cost). The spans column's DEFAULT reads the cost
    // from the attributes, so spans stored before it have one (ClickHouse computes a missing column's
    // default when old parts are read); new rows always carry the value. Summaries written before
    // stay without a cost until their trace gets another span (the summary is then recomputed).
    version: 2,
    name: 'span and trace cost',
    statements: [
      {
        addColumn: {
          table: 'spans',
          column: 'cost_usd',
          definition: `Nullable(Float64) DEFAULT
            if(position(attributes, '"gen_ai.cost.total_usd":') > 0
                AND toFloat64OrNull(replaceAll(visitParamExtractRaw(attributes, 'gen_ai.cost.total_usd'), '"', '')) >= 0,
              toFloat64OrNull(replaceAll(visitParamExtractRaw(attributes, 'gen_ai.cost.total_usd'), '"', '')),
              CAST(NULL AS Nullable(Float64)))`,
        },
      },
      { addColumn: { table: 'traces', column: 'cost_usd', definition: 'Nullable(Float64)' } },
      { addColumn: { table: 'traces', column: 'agent_cost_usd', definition: 'Nullable(Float64)' } },
    ],
  },
];

export interface MigrationResult {
  /** Versions applied by this call (empty when the database was already up to date). */
  applied: number[];
  /** The schema version after the call. */
  version: number;
}

async function runStatement(client: ClickHouseClient, statement: MigrationStatement): Promise<void> {
  if (typeof statement === 'string') {
    await client.command({ query: statement });
    return;
  }
  const { table, column, definition } = statement.addColumn;
  const found = await (
    await client.query({
      query: `SELECT count() AS n FROM system.columns
        WHERE database = currentDatabase() AND table = ${str(table)} AND name = ${str(column)}`,
      format: 'JSONEachRow',
    })
  ).json<{ n: number | string }>();
  if (Number(found[0]?.n ?? 0) > 0) return;
  await client.command({ query: `ALTER TABLE ${table} ADD COLUMN ${column} ${definition}` });
}

/** Applies every missing migration in version order and records each one once it has run. */
export async function applyMigrations(
  client: ClickHouseClient,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationResult> {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i]!.version === ordered[i - 1]!.version) {
      throw new Error(`duplicate migration version ${ordered[i]!.version}`);
    }
  }
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (
      version UInt32,
      name String,
      applied_at DateTime DEFAULT now()
    ) ENGINE = MergeTree ORDER BY version`,
  });
  const rows = await (
    await client.query({ query: 'SELECT DISTINCT version FROM schema_migrations', format: 'JSONEachRow' })
  ).json<{ version: number | string }>();
  const done = new Set(rows.map((r) => Number(r.version)));
  const known = new Set(ordered.map((m) => m.version));
  const unknown = [...done].filter((v) => !known.has(v)).sort((a, b) => a - b);
  if (unknown.length > 0) {
    throw new Error(
      `database has schema version(s) ${unknown.join(', ')} that this sieve does not know; upgrade sieve`,
    );
  }
  const applied: number[] = [];
  for (const m of ordered) {
    if (done.has(m.version)) continue;
    for (const statement of m.statements) {
      try {
        await runStatement(client, statement);
      } catch (err) {
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
      }
    }
    await client.command({
      query: `INSERT INTO schema_migrations (version, name) VALUES (${m.version}, ${str(m.name)})`,
    });
    applied.push(m.version);
  }
  return { applied, version: Math.max(0, ...done, ...applied) };
}
