import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { IngestBatch } from '../../model.js';
import {
  type AgentRunPage,
  type AgentRunQuery,
  type ErrorPage,
  type ErrorQuery,
  InvalidCursorError,
  type LogPage,
  type LogQuery,
  type MetricQuery,
  type MetricResult,
  type SamplingQuery,
  type SamplingStats,
  type Store,
  type StoredSpan,
  type TracePage,
  type TraceQuery,
} from '../../store.js';
import { startWorker } from '../../threads/start-worker.js';
import { type JournalEntry, SegmentedJournal } from '../segmented-journal.js';
import type { Call, Response } from './rpc.js';
import type { DuckDbStoreOptions } from './store.js';
import { encodeBatch, mergeRanges, serializeBatch, validateBatch, type WriterStats } from './writer.js';

/**
 * With the ingest journal, a group commits once it holds 100,000 rows, or 10 s after it opened,
 * whichever comes first (or at once for a query, which must see every acknowledged write), and
 * takes no batch past 120,000 rows (a larger single batch still commits alone). Measured in
 * back-to-back pairs (bench/README.md): 6–27 % less server CPU a span than groups of 20,000 rows or
 * 250 ms.
 *
 * Why under 122,880, DuckDB's row group: a transaction that appends a whole row group to a table
 * has DuckDB write its row groups straight into the file, the last one partial, and the checkpoints
 * after that rewrite them: ~9 µs a span more and up to ~45 % of the file left as free blocks, unless
 * every commit is an exact multiple of a row group (whole batches cannot be) with no small commit
 * between them (a query commits the open group): bench/duckdb-commit-size.mjs. Before the journal,
 * one-trace envelopes at 16 in flight committed ~300 rows a group (each request waited for its
 * commit).
 */
const JOURNALED_MIN_ROWS = 100_000;
const JOURNALED_MAX_ROWS = 120_000;
const JOURNALED_MAX_DELAY_MS = 10_000;

/** Forget committed journal numbers (a row a commit in `ingest_journal`) every this many writes. */
const FORGET_EVERY_WRITES = 4096;

/**
 * A DuckDbStore on a worker thread of its own, behind the same Store interface (what `sieve serve`
 * uses). On one thread, the group-commit writer shares the event loop with HTTP and request parsing:
 * each of its round trips to DuckDB (BEGIN, the trace lookup, COMMIT) waits until the requests
 * queued ahead of it are parsed, and appending rows holds up parsing in turn. Measured on 2 cores,
 * a commit spent more time waiting for the event loop than working. Here the main thread parses
 * and the worker stores, in parallel; a batch crosses by structured clone (~9 µs a span, split
 * between the two threads).
 *
 * With a data directory, batches go through the ingest journal (../segmented-journal.ts): `write`
 * resolves once its batch is fsynced there, and the thread commits in large groups behind it; a
 * query waits for the writes issued before it, so it sees everything acknowledged. On open, what a
 * crash left in the journal and not in the database is stored. Without one (`journalDir: false`, or
 * an explicit `path`), `write` resolves only after the commit that holds its batch.
 */
export class ThreadedDuckDbStore implements Store {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;
  private readonly journalDir: string | null;
  private journal: SegmentedJournal | null = null;
  /** Rows acknowledged (journaled) and not yet committed. */
  private backlog = 0;
  private writesSinceForget = 0;
  private forgotten = 0;
  /** Journaled batches whose commit failed: they stay in the journal for the next start. */
  private failedCommits = 0;
  /** What open() found in the journal: records stored again, and records already committed. */
  recovery: { stored: number; alreadyCommitted: number; tornSegments: number; setAside: string[] } | null =
    null;

  constructor(private readonly options: DuckDbStoreOptions) {
    this.journalDir =
      options.journalDir === false
        ? null
        : (options.journalDir ??
          (options.dataDir && !options.path ? join(options.dataDir, 'ingest-journal') : null));
  }

  async open(): Promise<void> {
    if (this.worker) return;
    this.closing = null;
    this.failure = null;
    const journaled = this.journalDir !== null;
    const worker = startWorker(import.meta.url, 'store-worker', {
      ...this.options,
      journaled,
      maxRowsPerCommit: this.options.maxRowsPerCommit ?? (journaled ? JOURNALED_MAX_ROWS : undefined),
      minRowsPerCommit: this.options.minRowsPerCommit ?? (journaled ? JOURNALED_MIN_ROWS : 0),
      maxCommitDelayMs: this.options.maxCommitDelayMs ?? (journaled ? JOURNALED_MAX_DELAY_MS : 0),
    });
    // Referenced only while a call is pending: an idle store does not keep the process alive,
    // as the in-process store does not.
    worker.unref();
    worker.on('message', (message: Response) => this.settle(message));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the DuckDB store thread exited (code ${code})`)));
    this.worker = worker;
    try {
      await this.call({ op: 'open' });
      if (this.journalDir !== null) await this.recover(this.journalDir);
    } catch (error) {
      this.worker = null;
      await this.journal?.close();
      this.journal = null;
      await worker.terminate();
      throw error;
    }
  }

  /**
   * Stores what the journal holds and the database does not (acknowledged before a crash), then
   * forgets the committed numbers no journal file holds any more.
   */
  private async recover(dir: string): Promise<void> {
    const committed = (await this.call({ op: 'committedJournalSeqs' })) as {
      ranges: Array<[number, number]>;
      max: number;
    };
    const { journal, recovered, tornSegments } = await SegmentedJournal.open(dir, {
      prefix: 'ingest',
      minNextSeq: committed.max + 1,
    });
    this.journal = journal;
    const isCommitted = inRanges(committed.ranges);
    const failed = new Map<number, Error>();
    let stored = 0;
    let alreadyCommitted = 0;
    await Promise.all(
      recovered.map(async (record) => {
        if (isCommitted(record.seq)) {
          alreadyCommitted++;
          journal.release(record);
          return;
        }
        try {
          await this.call({ op: 'writeBytes', seq: record.seq, bytes: record.payload });
          stored++;
          journal.release(record);
        } catch (error) {
          failed.set(record.segment, error instanceof Error ? error : new Error(String(error)));
        }
      }),
    );
    const setAside: string[] = [];
    for (const [segment, error] of failed) {
      const path = await journal.setAside(segment);
      setAside.push(path);
      console.error(
        `[sieve] ingest journal: could not store ${path} (${error.message}); kept for inspection`,
      );
    }
    await journal.settled();
    await this.call({ op: 'forgetJournalSeqs', seq: journal.lowestLiveSeq() - 1 });
    this.forgotten = journal.lowestLiveSeq() - 1;
    this.recovery = { stored, alreadyCommitted, tornSegments, setAside };
  }

  /** Rows acknowledged but not committed yet (the ingest queue counts them against its bound). */
  backlogRows(): number {
    return this.backlog;
  }

  /** Validated and encoded here, so a bad batch is refused without a trip to the thread. */
  write(batch: IngestBatch): Promise<void> {
    try {
      if (this.journal !== null) {
        const { bytes, rows } = serializeBatch(batch);
        return this.writeSerialized(bytes, rows);
      }
      validateBatch(batch);
      return this.call({ op: 'write', batch: encodeBatch(batch) }) as Promise<void>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * write() for a batch validated, encoded and v8-serialized elsewhere (`serializeBatch`, on an
   * ingest parse thread): the bytes are the journal record as they are.
   */
  writeSerialized(bytes: Uint8Array, rows: number): Promise<void> {
    const journal = this.journal;
    if (journal === null) return this.call({ op: 'writeBytes', bytes }) as Promise<void>;
    // Nothing would commit it: refuse (the client retries) rather than acknowledge what no query
    // would find until a restart.
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.worker === null || this.closing !== null) {
      return Promise.reject(new Error('DuckDB store is not open'));
    }
    const { entry, durable } = journal.append(bytes);
    this.backlog += rows;
    this.call({ op: 'writeBytes', seq: entry.seq, bytes }).then(
      () => this.committed(journal, entry, rows),
      (error: Error) => {
        // The writer already retried it alone (a group's failure is not its batches' failure).
        this.backlog -= rows;
        this.failedCommits++;
        console.error(
          `[sieve] a batch of ${rows} rows failed to commit; it stays in the ingest journal and is stored at the next start: ${error.message}`,
        );
      },
    );
    return durable;
  }

  private committed(journal: SegmentedJournal, entry: JournalEntry, rows: number): void {
    this.backlog -= rows;
    journal.release(entry);
    if (++this.writesSinceForget < FORGET_EVERY_WRITES) return;
    this.writesSinceForget = 0;
    const below = journal.lowestLiveSeq() - 1;
    if (below <= this.forgotten) return;
    this.forgotten = below;
    this.call({ op: 'forgetJournalSeqs', seq: below }).catch(() => {
      // Harmless: the numbers are forgotten at the next try or the next start.
    });
  }

  listTraces(query: TraceQuery): Promise<TracePage> {
    return this.call({ op: 'listTraces', query }) as Promise<TracePage>;
  }

  getTrace(projectId: number, traceId: string): Promise<StoredSpan[]> {
    return this.call({ op: 'getTrace', projectId, traceId }) as Promise<StoredSpan[]>;
  }

  queryLogs(query: LogQuery): Promise<LogPage> {
    return this.call({ op: 'queryLogs', query }) as Promise<LogPage>;
  }

  queryMetrics(query: MetricQuery): Promise<MetricResult> {
    return this.call({ op: 'queryMetrics', query }) as Promise<MetricResult>;
  }

  samplingStats(query: SamplingQuery): Promise<SamplingStats> {
    return this.call({ op: 'samplingStats', query }) as Promise<SamplingStats>;
  }

  listErrors(query: ErrorQuery): Promise<ErrorPage> {
    return this.call({ op: 'listErrors', query }) as Promise<ErrorPage>;
  }

  listAgentRuns(query: AgentRunQuery): Promise<AgentRunPage> {
    return this.call({ op: 'listAgentRuns', query }) as Promise<AgentRunPage>;
  }

  deleteOlderThan(time: number): Promise<number> {
    return this.call({ op: 'deleteOlderThan', time }) as Promise<number>;
  }

  checkpoint(): Promise<void> {
    return this.call({ op: 'checkpoint' }) as Promise<void>;
  }

  /** The writer's counters (commits, batches, rows, duplicates), and the journal's. */
  async stats(): Promise<WriterStats & { journal: JournalStats | null }> {
    const writer = (await this.call({ op: 'stats' })) as WriterStats;
    const journal = this.journal;
    return {
      ...writer,
      journal:
        journal === null
          ? null
          : { ...journal.stats, backlogRows: this.backlog, failedCommits: this.failedCommits },
    };
  }

  /** Finishes queued writes, closes the database, then ends the thread. */
  close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    this.closing ??= (async () => {
      try {
        await this.call({ op: 'close' });
      } finally {
        this.worker = null;
        await worker.terminate();
        // After the thread committed everything: each record was released, so its file goes.
        await this.journal?.close();
        this.journal = null;
      }
    })();
    return this.closing;
  }

  private call(call: Call): Promise<unknown> {
    const worker = this.worker;
    if (this.failure) return Promise.reject(this.failure);
    if (!worker || (this.closing && call.op !== 'close')) {
      return Promise.reject(new Error('DuckDB store is not open'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
      try {
        worker.postMessage({ ...call, id });
      } catch (error) {
        // A value that cannot be cloned (a function, a symbol) fails here, for this call only.
        this.pending.delete(id);
        if (this.pending.size === 0) worker.unref();
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  private settle(message: Response): void {
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(reviveError(message.error));
  }

  /** The thread died: every pending and later call fails with the reason. */
  private fail(error: Error): void {
    if (this.worker === null && this.pending.size === 0) return;
    this.failure ??= error;
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}

/** A membership test over [lo, hi] ranges (binary search: a journal holds up to millions of records). */
function inRanges(ranges: ReadonlyArray<readonly [number, number]>): (n: number) => boolean {
  const sorted = mergeRanges(ranges);
  return (n) => {
    let lo = 0;
    let hi = sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [from, to] = sorted[mid]!;
      if (n < from) hi = mid - 1;
      else if (n > to) lo = mid + 1;
      else return true;
    }
    return false;
  };
}

export interface JournalStats {
  segments: number;
  currentSegment: number;
  nextSeq: number;
  backlogRows: number;
  failedCommits: number;
}

function reviveError(error: { name: string; message: string }): Error {
  if (error.name === 'InvalidCursorError') return new InvalidCursorError();
  const revived = new Error(error.message);
  revived.name = error.name;
  return revived;
}
