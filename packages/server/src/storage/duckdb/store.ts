import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
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
import * as queries from './queries.js';
import { applyMigrations, MIGRATIONS, type Migration, type MigrationResult } from './schema.js';
import {
  type EncodedBatch,
  encodeBatch,
  GroupCommitWriter,
  validateBatch,
  type WriterStats,
} from './writer.js';

export interface DuckDbStoreOptions {
  /** Directory of the database; the file is `${dataDir}/sieve.duckdb`. Created when missing. */
  dataDir?: string;
  /** Overrides the file path; `':memory:'` for a throw-away in-memory database (tests). */
  path?: string;
  /** Row cap of one group commit (default 20,000; ThreadedDuckDbStore behind its journal: 120,000). */
  maxRowsPerCommit?: number;
  /** See WriterOptions.minRowsPerCommit (default 0: commit as soon as nothing more is queued). */
  minRowsPerCommit?: number;
  /** See WriterOptions.maxCommitDelayMs (default 0). */
  maxCommitDelayMs?: number;
  /**
   * ThreadedDuckDbStore only: the ingest journal's directory (default `${dataDir}/ingest-journal`
   * when `dataDir` is set). With it, `write` resolves once the batch is fsynced to the journal, and
   * the store commits in groups of up to `maxRowsPerCommit` rows behind it (storage/segmented-journal.ts).
   * `false`: no journal; `write` resolves after the commit.
   */
  journalDir?: string | false;
  /** Rows appended between yields to the event loop (default 500: a few ms of JS; measured max loop hold ~15-25 ms per commit). */
  yieldEveryRows?: number;
  /**
   * Writer connections. 2 (default): the next group is appended while the previous one's COMMIT
   * (its fsync, 4–7 ms of waiting on the 2-core VM) runs. 1: groups commit one after the other.
   * Measured (bench/README.md): on the quiet VM, 2 took one-trace envelopes at 16 in flight 14–23 %
   * faster for less CPU a span and was level or better elsewhere; with the cores saturated by other
   * processes it gained nothing (groups split in two, each paying a commit's fixed cost).
   */
  writerConnections?: 1 | 2;
  /** Connections serving queries in parallel with the writer (default 2, the core count we target). */
  readConnections?: number;
  /**
   * DuckDB settings passed at open, e.g. `{ memory_limit: '2GB', threads: '2' }`. Defaults:
   * `checkpoint_threshold: '128MB'`: DuckDB's 16 MB default checkpoints every ~2 commits of 20k
   * spans and halved ingest throughput in our measurements; 128 MB keeps WAL replay after a crash
   * to a few seconds.
   */
  duckdb?: Record<string, string>;
  /** Schema migrations (tests inject extra versions); defaults to the store's own. */
  migrations?: readonly Migration[];
}

const DEFAULT_DUCKDB_CONFIG: Record<string, string> = {
  checkpoint_threshold: '128MB',
};

/** A tiny pool: DuckDB runs one statement at a time per connection, and reads must not wait on the writer. */
class ConnectionPool {
  private readonly idle: DuckDBConnection[];
  private readonly waiting: Array<(c: DuckDBConnection) => void> = [];
  private busy = 0;
  private drained: (() => void) | null = null;

  constructor(private readonly all: DuckDBConnection[]) {
    this.idle = [...all];
  }

  async use<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn =
      this.idle.pop() ?? (await new Promise<DuckDBConnection>((resolve) => this.waiting.push(resolve)));
    this.busy++;
    try {
      return await fn(conn);
    } finally {
      this.busy--;
      const next = this.waiting.shift();
      if (next) next(conn);
      else {
        this.idle.push(conn);
        if (this.busy === 0 && this.drained) this.drained();
      }
    }
  }

  /** Waits for running queries, then closes every connection. */
  async close(): Promise<void> {
    if (this.busy > 0 || this.waiting.length > 0) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
      });
    }
    for (const c of this.all) c.closeSync();
  }
}

/**
 * The default Store: an embedded DuckDB file. One writer connection does group commits
 * (writer.ts); a small pool of read connections serves queries (queries.ts) on MVCC snapshots, so
 * reads never wait for a commit. DuckDB locks the file, so one process owns it.
 */
export class DuckDbStore implements Store {
  readonly path: string;
  private readonly options: DuckDbStoreOptions;
  private instance: DuckDBInstance | null = null;
  private writerConns: DuckDBConnection[] = [];
  private writer: GroupCommitWriter | null = null;
  private pool: ConnectionPool | null = null;
  private closing = false;
  private migrationResult: MigrationResult | null = null;

  constructor(options: DuckDbStoreOptions) {
    if (options.path) this.path = options.path;
    else if (options.dataDir) this.path = join(options.dataDir, 'sieve.duckdb');
    else throw new Error('DuckDbStore needs dataDir or path');
    this.options = options;
  }

  async open(): Promise<void> {
    if (this.instance) return;
    this.closing = false;
    if (this.path !== ':memory:' && this.options.dataDir && !this.options.path) {
      await mkdir(this.options.dataDir, { recursive: true });
    }
    const instance = await DuckDBInstance.create(this.path, {
      ...DEFAULT_DUCKDB_CONFIG,
      ...this.options.duckdb,
    });
    const conns: DuckDBConnection[] = [];
    try {
      const writerConn = await instance.connect();
      conns.push(writerConn);
      const writerConns = [writerConn];
      if ((this.options.writerConnections ?? 2) === 2) {
        // One group's COMMIT overlaps the next group's appends (writer.ts).
        const pipelineConn = await instance.connect();
        conns.push(pipelineConn);
        writerConns.push(pipelineConn);
      }
      this.migrationResult = await applyMigrations(writerConn, this.options.migrations ?? MIGRATIONS);
      const maxId = await writerConn.runAndReadAll('SELECT coalesce(max(id), 0)::BIGINT AS id FROM logs');
      const lastLogId = maxId.getRowObjectsJS()[0]?.id;
      const readers: DuckDBConnection[] = [];
      for (let i = 0; i < Math.max(1, this.options.readConnections ?? 2); i++) {
        const c = await instance.connect();
        conns.push(c);
        readers.push(c);
      }
      this.writer = new GroupCommitWriter(writerConns, {
        maxRowsPerCommit: this.options.maxRowsPerCommit ?? 20_000,
        yieldEveryRows: this.options.yieldEveryRows ?? 500,
        nextLogId: (typeof lastLogId === 'bigint' ? lastLogId : BigInt(Number(lastLogId ?? 0))) + 1n,
        minRowsPerCommit: this.options.minRowsPerCommit ?? 0,
        maxCommitDelayMs: this.options.maxCommitDelayMs ?? 0,
      });
      await this.writer.buildTraceFilter();
      this.pool = new ConnectionPool(readers);
      this.writerConns = writerConns;
      this.instance = instance;
    } catch (err) {
      for (const c of conns) c.closeSync();
      instance.closeSync();
      throw err;
    }
  }

  /** Versions applied by the last open() and the resulting schema version. */
  get migrations(): MigrationResult | null {
    return this.migrationResult;
  }

  /** Commits, batches and duplicates so far (tests check that concurrent writes share commits). */
  get stats(): Readonly<WriterStats> {
    return this.requireWriter().stats;
  }

  get commitCount(): number {
    return this.requireWriter().stats.commits;
  }

  write(batch: IngestBatch): Promise<void> {
    let encoded: EncodedBatch;
    try {
      // A malformed batch is refused on its own, before it can fail a commit shared with others.
      validateBatch(batch);
      encoded = encodeBatch(batch);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.writeEncoded(encoded);
  }

  /**
   * write() for a batch already validated and encoded (by ThreadedDuckDbStore's main thread);
   * `journalSeq`, its ingest-journal record, is recorded in the same transaction as its rows.
   */
  writeEncoded(batch: EncodedBatch, journalSeq?: number): Promise<void> {
    if (this.closing || !this.instance) return Promise.reject(new Error('DuckDB store is not open'));
    return this.requireWriter().write(batch, journalSeq);
  }

  /** Resolves once every write issued before it has committed or failed (see GroupCommitWriter.barrier). */
  barrier(): Promise<void> {
    return this.writer?.barrier() ?? Promise.resolve();
  }

  /** The ingest-journal records already committed, as [lo, hi] ranges, and the highest. */
  async committedJournalSeqs(): Promise<{ ranges: Array<[number, number]>; max: number }> {
    const rows = await this.read(async (c) =>
      (await c.runAndReadAll('SELECT seq_lo::DOUBLE, seq_hi::DOUBLE FROM ingest_journal')).getRows(),
    );
    const ranges = rows.map(([lo, hi]) => [Number(lo), Number(hi)] as [number, number]);
    return { ranges, max: ranges.reduce((m, [, hi]) => Math.max(m, hi), 0) };
  }

  /**
   * Forgets committed journal records up to `seq` (their segment files are gone, so no restart can
   * read them back). Runs between commits, like retention.
   */
  forgetJournalSeqs(seq: number): Promise<void> {
    if (this.closing || !this.instance) return Promise.reject(new Error('DuckDB store is not open'));
    return this.requireWriter().runExclusive(async (c) => {
      await c.run('DELETE FROM ingest_journal WHERE seq_hi <= $s::DOUBLE', { s: seq });
    });
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

  /** Runs between commits on the writer connection, so it never conflicts with an ingest transaction. */
  deleteOlderThan(time: number): Promise<number> {
    if (this.closing || !this.instance) return Promise.reject(new Error('DuckDB store is not open'));
    const writer = this.requireWriter();
    return writer.runExclusive(async (c) => {
      const deleted = await queries.deleteOlderThan(c, time);
      writer.invalidateTraceFilter();
      return deleted;
    });
  }

  /** Forces a checkpoint (WAL folded into the file); useful before a backup copy of the file. */
  checkpoint(): Promise<void> {
    if (this.closing || !this.instance) return Promise.reject(new Error('DuckDB store is not open'));
    return this.requireWriter().runExclusive(async (c) => {
      await c.run('CHECKPOINT');
    });
  }

  async close(): Promise<void> {
    if (this.closing || !this.instance) return;
    this.closing = true;
    await this.writer?.drain();
    await this.pool?.close();
    for (const c of this.writerConns) c.closeSync();
    // Closing the instance checkpoints the WAL into the file.
    this.instance.closeSync();
    this.instance = null;
    // The writer object stays so `stats` can still be read after close.
    this.pool = null;
    this.writerConns = [];
  }

  private read<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closing || !this.pool) return Promise.reject(new Error('DuckDB store is not open'));
    return this.pool.use(fn);
  }

  private requireWriter(): GroupCommitWriter {
    if (!this.writer) throw new Error('DuckDB store is not open');
    return this.writer;
  }
}
