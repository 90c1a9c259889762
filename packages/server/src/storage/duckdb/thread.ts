import { Worker } from 'node:worker_threads';
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
import type { Call, Response } from './rpc.js';
import type { DuckDbStoreOptions } from './store.js';
import { type EncodedBatch, encodeBatch, validateBatch, type WriterStats } from './writer.js';

/**
 * A DuckDbStore on a worker thread of its own, behind the same Store interface (what `sieve serve`
 * uses). On one thread, the group-commit writer shares the event loop with HTTP and request parsing:
 * each of its round trips to DuckDB (BEGIN, the trace lookup, COMMIT) waits until the requests
 * queued ahead of it are parsed, and appending rows holds up parsing in turn. Measured on 2 cores,
 * a commit spent more time waiting for the event loop than working. Here the main thread parses
 * and the worker stores, in parallel; a batch crosses by structured clone (~9 µs a span, split
 * between the two threads), and `write` still resolves only after the commit that holds it.
 */
export class ThreadedDuckDbStore implements Store {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: DuckDbStoreOptions) {}

  async open(): Promise<void> {
    if (this.worker) return;
    this.closing = null;
    this.failure = null;
    const worker = startWorker(this.options);
    // Referenced only while a call is pending: an idle store does not keep the process alive,
    // as the in-process store does not.
    worker.unref();
    worker.on('message', (message: Response) => this.settle(message));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the DuckDB store thread exited (code ${code})`)));
    this.worker = worker;
    try {
      await this.call({ op: 'open' });
    } catch (error) {
      this.worker = null;
      await worker.terminate();
      throw error;
    }
  }

  /** Validated and encoded here, so a bad batch is refused without a trip to the thread. */
  write(batch: IngestBatch): Promise<void> {
    let encoded: EncodedBatch;
    try {
      validateBatch(batch);
      encoded = encodeBatch(batch);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.call({ op: 'write', batch: encoded }) as Promise<void>;
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

  /** The writer's counters (commits, batches, rows, duplicates). */
  stats(): Promise<WriterStats> {
    return this.call({ op: 'stats' }) as Promise<WriterStats>;
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

function reviveError(error: { name: string; message: string }): Error {
  if (error.name === 'InvalidCursorError') return new InvalidCursorError();
  const revived = new Error(error.message);
  revived.name = error.name;
  return revived;
}

/**
 * Built (dist/*.js): the compiled worker file. From the TypeScript sources (tests and `tsx`), the
 * worker loads store-worker.ts through tsx's API: a worker does not inherit the loader hooks that
 * `node --import tsx` registered on the main thread.
 */
function startWorker(options: DuckDbStoreOptions): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const url = JSON.stringify(new URL('./store-worker.ts', here).href);
    return new Worker(`import('tsx/esm/api').then((tsx) => tsx.tsImport(${url}, ${url}))`, {
      eval: true,
      workerData: options,
    });
  }
  return new Worker(new URL('./store-worker.js', here), { workerData: options });
}
