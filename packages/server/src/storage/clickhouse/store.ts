import { randomInt } from 'node:crypto';
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { IngestBatch } from '../../model.js';
import type {
  AgentRunPage,
  AgentRunQuery,
  ErrorPage,
  ErrorQuery,
  LogPage,
  LogQuery,
  MetricQuery,
  MetricResult,
  SamplingQuery,
  SamplingStats,
  Store,
  StoredSpan,
  TracePage,
  TraceQuery,
} from '../../store.js';
import { type EncodedBatch, encodeBatch, validateBatch, type WriterStats } from '../duckdb/writer.js';
import * as queries from './queries.js';
import { applyMigrations, MIGRATIONS, type Migration, type MigrationResult } from './schema.js';
import { type ClickHouseTarget, parseClickHouseUrl } from './url.js';
import { ClickHouseWriter } from './writer.js';

export interface ClickHouseStoreOptions {
  /** `http(s)://user:password@host:8123/database`; the database is created when missing (default `sieve`). */
  url: string;
  /** Row cap of one group commit (default 20,000). */
  maxRowsPerCommit?: number;
  /** Schema migrations (tests inject extra versions); defaults to the store's own. */
  migrations?: readonly Migration[];
}

function client(target: ClickHouseTarget, database: string | undefined): ClickHouseClient {
  return createClient({
    url: target.url,
    username: target.username,
    password: target.password,
    ...(database ? { database } : {}),
    // Plain HTTP bodies: 18.16 answers compressed requests too, but nothing is gained on loopback
    // and a proxy in front of an old server may not.
    compression: { request: false, response: false },
    // Every failure is thrown to the store's caller (and answered or logged by the server there);
    // the client's own console logging would print each one a second time.
    log: { level: ClickHouseLogLevel.OFF },
  });
}

/**
 * The Store on a ClickHouse server over its HTTP interface (`@clickhouse/client`). Several sieve
 * processes can share one database (see writer.ts for what stays exact then). Reads go straight to
 * ClickHouse; writes go through one group-commit writer per process.
 */
export class ClickHouseStore implements Store {
  readonly target: ClickHouseTarget;
  private readonly options: ClickHouseStoreOptions;
  private client: ClickHouseClient | null = null;
  private writer: ClickHouseWriter | null = null;
  private closing = false;
  private migrationResult: MigrationResult | null = null;

  constructor(options: ClickHouseStoreOptions) {
    this.target = parseClickHouseUrl(options.url);
    this.options = options;
  }

  async open(): Promise<void> {
    if (this.client) return;
    this.closing = false;
    const admin = client(this.target, undefined);
    try {
      await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${this.target.database}` });
    } catch (err) {
      throw new Error(
        `ClickHouse at ${this.target.url} (database ${this.target.database}): ${(err as Error).message}`,
        { cause: err },
      );
    } finally {
      await admin.close();
    }
    const c = client(this.target, this.target.database);
    try {
      this.migrationResult = await applyMigrations(c, this.options.migrations ?? MIGRATIONS);
      // Log ids order logs with equal timestamps by arrival: a sequence above every stored id, in
      // the high bits; the low 16 bits are a random tag of this process, so several sieve
      // processes writing one database do not hand out the same id.
      const rows = await (
        await c.query({ query: 'SELECT toString(max(id)) AS id FROM logs', format: 'JSONEachRow' })
      ).json<{ id: string }>();
      const maxId = BigInt(rows[0]?.id ?? '0');
      this.writer = new ClickHouseWriter(c, {
        maxRowsPerCommit: this.options.maxRowsPerCommit ?? 20_000,
        logSequence: (maxId >> 16n) + 1n,
        logTag: randomInt(0, 65_536),
      });
      this.client = c;
    } catch (err) {
      await c.close();
      throw err;
    }
  }

  get migrations(): MigrationResult | null {
    return this.migrationResult;
  }

  get stats(): Readonly<WriterStats> {
    return this.requireWriter().stats;
  }

  get commitCount(): number {
    return this.requireWriter().stats.commits;
  }

  write(batch: IngestBatch): Promise<void> {
    let encoded: EncodedBatch;
    try {
      // The same validation and normalisation as the DuckDB store: a bad batch is refused alone.
      validateBatch(batch);
      encoded = encodeBatch(batch);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.closing || !this.client) return Promise.reject(new Error('ClickHouse store is not open'));
    return this.requireWriter().write(encoded);
  }

  listTraces(query: TraceQuery): Promise<TracePage> {
    return this.read((c) => queries.listTraces(c, query));
  }

  getTrace(projectId: number, traceId: string): Promise<StoredSpan[]> {
    return this.read((c) => queries.getTrace(c, projectId, traceId));
  }

  queryLogs(query: LogQuery): Promise<LogPage> {
    return this.read((c) => queries.queryLogs(c, query));
  }

  queryMetrics(query: MetricQuery): Promise<MetricResult> {
    return this.read((c) => queries.queryMetrics(c, query));
  }

  samplingStats(query: SamplingQuery): Promise<SamplingStats> {
    return this.read((c) => queries.samplingStats(c, query));
  }

  listErrors(query: ErrorQuery): Promise<ErrorPage> {
    return this.read((c) => queries.listErrors(c, query));
  }

  listAgentRuns(query: AgentRunQuery): Promise<AgentRunPage> {
    return this.read((c) => queries.listAgentRuns(c, query));
  }

  deleteOlderThan(time: number): Promise<number> {
    const c = this.client;
    if (this.closing || !c) return Promise.reject(new Error('ClickHouse store is not open'));
    return this.requireWriter().runExclusive(() => queries.deleteOlderThan(c, time));
  }

  async close(): Promise<void> {
    if (this.closing || !this.client) return;
    this.closing = true;
    await this.writer?.drain();
    await this.client.close();
    this.client = null;
  }

  /** Drops the store's database (tests clean up with it). */
  async dropDatabase(): Promise<void> {
    const admin = client(this.target, undefined);
    try {
      await admin.command({ query: `DROP DATABASE IF EXISTS ${this.target.database}` });
    } finally {
      await admin.close();
    }
  }

  private read<T>(fn: (c: ClickHouseClient) => Promise<T>): Promise<T> {
    if (this.closing || !this.client) return Promise.reject(new Error('ClickHouse store is not open'));
    return fn(this.client);
  }

  private requireWriter(): ClickHouseWriter {
    if (!this.writer) throw new Error('ClickHouse store is not open');
    return this.writer;
  }
}
