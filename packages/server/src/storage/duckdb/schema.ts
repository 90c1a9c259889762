import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * Versioned schema migrations for the DuckDB store.
 *
 * A migration is frozen once released: never edit one, append a new version instead, because
 * existing files record which versions they have and will not run an edited one again.
 *
 * Type choices (measured with @duckdb/node-api 1.5 on 2 cores, 1M spans):
 * - Times are DOUBLE epoch milliseconds, exactly the model's representation. A TIMESTAMP column
 *   would need a BigInt microsecond conversion per value in the appender and a conversion back per
 *   value read, and would drop sub-microsecond digits; zone-map pruning and ORDER BY work the same
 *   on DOUBLE. Bucketing for metrics is plain arithmetic.
 * - Attributes are JSON text (VARCHAR). One JSON.stringify per row is the cheapest thing to append
 *   (a MAP needs a JS object per entry), text search is a single `contains(lower(...))` over the
 *   column, and exact matches use `json_extract_string(attributes, <JSON pointer>)`.
 * - Ids are VARCHAR: they arrive as hex text and are returned as text. Version 1 had an ART index
 *   on spans(trace_id) for trace detail; version 2 moved it to traces(trace_id): trace detail reads
 *   the trace's [start_time, last_start] from `traces` by id and then only the spans row groups
 *   whose zone maps overlap that range, and the writer looks the traces of each commit up by id.
 *   Single-column, because DuckDB uses ART indexes for single-column equality filters; project_id
 *   is checked on the few matching rows.
 * - Span idempotency is not a PRIMARY KEY: an INSERT OR IGNORE against a 3-column PK was ~5x
 *   slower per commit, and a PK's ART index over every span costs memory proportional to the
 *   table. The writer deduplicates against the stored spans of the traces it already has (see
 *   writer.ts writeSpans).
 * - `traces` is a per-trace summary maintained in the same transaction as `spans` (see
 *   writer.ts mergeTrace). Listing traces from it is a top-N over traces instead of a GROUP BY over
 *   every span (~290 ms at 1M spans for the full aggregate).
 */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    statements: [
      `CREATE TABLE spans (
        project_id INTEGER NOT NULL,
        trace_id VARCHAR NOT NULL,
        span_id VARCHAR NOT NULL,
        parent_span_id VARCHAR,
        name VARCHAR NOT NULL,
        op VARCHAR,
        kind VARCHAR,
        status VARCHAR NOT NULL,
        status_message VARCHAR,
        start_time DOUBLE NOT NULL,
        end_time DOUBLE NOT NULL,
        -- Stored rather than a VIRTUAL generated column (DuckDB has no STORED ones): it gets a zone map.
        duration_ms DOUBLE NOT NULL,
        is_segment BOOLEAN NOT NULL,
        segment_id VARCHAR,
        service_name VARCHAR,
        environment VARCHAR,
        release VARCHAR,
        weight DOUBLE NOT NULL,
        attributes VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        ai_operation VARCHAR,
        ai_provider VARCHAR,
        ai_model VARCHAR,
        input_tokens BIGINT,
        output_tokens BIGINT,
        cached_input_tokens BIGINT,
        reasoning_tokens BIGINT,
        agent_name VARCHAR,
        tool_name VARCHAR
      )`,
      'CREATE INDEX spans_trace_id ON spans (trace_id)',
      `CREATE TABLE traces (
        project_id INTEGER NOT NULL,
        trace_id VARCHAR NOT NULL,
        start_time DOUBLE NOT NULL,
        end_time DOUBLE NOT NULL,
        -- Newest span start: retention deletes whole traces whose newest span is older than the cutoff.
        last_start DOUBLE NOT NULL,
        span_count BIGINT NOT NULL,
        error_count BIGINT NOT NULL,
        -- The span that names the trace: rank 0 = root (no parent), 1 = segment, 2 = any other;
        -- ties broken by the earliest start. Kept with its rank so a later commit can replace it.
        root_rank TINYINT NOT NULL,
        root_start DOUBLE NOT NULL,
        root_name VARCHAR NOT NULL,
        root_op VARCHAR,
        root_status VARCHAR NOT NULL,
        root_weight DOUBLE NOT NULL,
        models VARCHAR[] NOT NULL,
        ops VARCHAR[] NOT NULL,
        services VARCHAR[] NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        has_ai BOOLEAN NOT NULL,
        -- Σ span weight: the extrapolated span count of the trace.
        -- No PRIMARY KEY: the writer merges by delete + insert, which DuckDB's eager unique checks
        -- can refuse within one transaction; the single writer keeps (project_id, trace_id) unique.
        weight_sum DOUBLE NOT NULL
      )`,
      `CREATE TABLE logs (
        -- Assigned by the single writer; a stable tie-breaker for cursors (DuckDB rowids are not stable).
        id BIGINT NOT NULL,
        project_id INTEGER NOT NULL,
        timestamp DOUBLE NOT NULL,
        trace_id VARCHAR,
        span_id VARCHAR,
        level VARCHAR NOT NULL,
        severity_number INTEGER NOT NULL,
        body VARCHAR NOT NULL,
        service_name VARCHAR,
        environment VARCHAR,
        release VARCHAR,
        attributes VARCHAR NOT NULL
      )`,
      `CREATE TABLE metrics (
        project_id INTEGER NOT NULL,
        timestamp DOUBLE NOT NULL,
        trace_id VARCHAR,
        span_id VARCHAR,
        name VARCHAR NOT NULL,
        type VARCHAR NOT NULL,
        value DOUBLE NOT NULL,
        unit VARCHAR,
        service_name VARCHAR,
        attributes VARCHAR NOT NULL
      )`,
      `CREATE TABLE errors (
        project_id INTEGER NOT NULL,
        event_id VARCHAR NOT NULL,
        timestamp DOUBLE NOT NULL,
        trace_id VARCHAR,
        span_id VARCHAR,
        level VARCHAR NOT NULL,
        type VARCHAR NOT NULL,
        message VARCHAR NOT NULL,
        frames VARCHAR NOT NULL,
        environment VARCHAR,
        release VARCHAR,
        tags VARCHAR NOT NULL,
        raw VARCHAR NOT NULL
      )`,
      `CREATE TABLE client_reports (
        project_id INTEGER NOT NULL,
        timestamp DOUBLE NOT NULL,
        reason VARCHAR NOT NULL,
        category VARCHAR NOT NULL,
        quantity BIGINT NOT NULL
      )`,
    ],
  },
  {
    // The ART index on spans(trace_id) cost ingest ~7 µs a span (kept up on every append, rewritten
    // at checkpoints); trace detail now finds the trace's time range in `traces` and reads only the
    // spans row groups of that range (zone maps). The writer looks traces up by id on every commit
    // (to merge summaries and find duplicates), which an index on the 30× smaller `traces` serves.
    version: 2,
    name: 'trace ids indexed on traces instead of spans',
    statements: ['DROP INDEX spans_trace_id', 'CREATE INDEX traces_trace_id ON traces (trace_id)'],
  },
  {
    // The normalised cost (`gen_ai.cost.total_usd`) of a span, and its sums on the trace summary: the
    // cost of the calls, and apart from it that of the `invoke_agent` spans (often a total over the
    // same calls, counted only when no call has a cost). Stored spans and summaries are backfilled
    // from the attributes. DuckDB refuses ALTER on a table with an index, hence the index dance.
    version: 3,
    name: 'span and trace cost',
    statements: [
      'ALTER TABLE spans ADD COLUMN cost_usd DOUBLE',
      `UPDATE spans SET cost_usd = c FROM (
         SELECT rowid AS r, TRY_CAST(json_extract_string(attributes, '$."gen_ai.cost.total_usd"') AS DOUBLE) AS c
         FROM spans WHERE contains(attributes, '"gen_ai.cost.total_usd"')
       ) WHERE spans.rowid = r AND isfinite(c) AND c >= 0`,
      'DROP INDEX traces_trace_id',
      'ALTER TABLE traces ADD COLUMN cost_usd DOUBLE',
      'ALTER TABLE traces ADD COLUMN agent_cost_usd DOUBLE',
      `UPDATE traces SET cost_usd = s.calls, agent_cost_usd = s.agents FROM (
         SELECT project_id AS p, trace_id AS t,
           sum(cost_usd) FILTER (WHERE ai_operation IS DISTINCT FROM 'invoke_agent') AS calls,
           sum(cost_usd) FILTER (WHERE ai_operation = 'invoke_agent') AS agents
         FROM spans WHERE cost_usd IS NOT NULL GROUP BY project_id, trace_id
       ) s WHERE traces.project_id = s.p AND traces.trace_id = s.t`,
      'CREATE INDEX traces_trace_id ON traces (trace_id)',
    ],
  },
  {
    // Which ingest-journal records (storage/segmented-journal.ts) are committed: each group commit
    // appends the ranges of its batches' sequence numbers in the same transaction as their rows, so
    // a restart after a crash stores again exactly the acknowledged records that were not.
    version: 4,
    name: 'ingest journal sequence numbers',
    statements: ['CREATE TABLE ingest_journal (seq_lo BIGINT NOT NULL, seq_hi BIGINT NOT NULL)'],
  },
];

export interface MigrationResult {
  /** Versions applied by this call (empty when the file was already up to date). */
  applied: number[];
  /** The schema version after the call. */
  version: number;
}

/**
 * Creates `schema_migrations` if needed and applies every missing migration in version order, all
 * in one transaction: a crash or an error half-way leaves the file as it was.
 */
export async function applyMigrations(
  conn: DuckDBConnection,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationResult> {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i]!.version === ordered[i - 1]!.version) {
      throw new Error(`duplicate migration version ${ordered[i]!.version}`);
    }
  }
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name VARCHAR NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
      )`,
    );
    const reader = await conn.runAndReadAll('SELECT version FROM schema_migrations ORDER BY version');
    const done = new Set(reader.getColumnsJS()[0]?.map((v) => Number(v)) ?? []);
    const known = new Set(ordered.map((m) => m.version));
    const unknown = [...done].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      // A newer sieve wrote this file; running old code against it could corrupt it.
      throw new Error(
        `database has schema version(s) ${unknown.join(', ')} that this sieve does not know; upgrade sieve`,
      );
    }
    const applied: number[] = [];
    for (const m of ordered) {
      if (done.has(m.version)) continue;
      for (const sql of m.statements) {
        try {
          await conn.run(sql);
        } catch (err) {
          throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
        }
      }
      await conn.run('INSERT INTO schema_migrations (version, name) VALUES ($v::INTEGER, $n)', {
        v: m.version,
        n: m.name,
      });
      applied.push(m.version);
    }
    await conn.run('COMMIT');
    const version = Math.max(0, ...done, ...applied);
    return { applied, version };
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
