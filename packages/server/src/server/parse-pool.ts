import type { Worker } from 'node:worker_threads';
import { IngestError, type IngestErrorStatus } from '../ingest/errors.js';
import { startWorker } from '../threads/start-worker.js';
import { Overloaded } from './ingest-queue.js';
import type { ParseJob, ParseResult, ParseWorkerData } from './parse-messages.js';

/** Distributes over the union, so each job keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
export type ParseRequest = WithoutId<ParseJob>;
export type Parsed = Extract<ParseResult, { ok: true }>;

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (r: Parsed) => void; reject: (e: Error) => void }>;
}

/**
 * Request parsing on threads of its own. On the main thread, decoding, parsing and converting a
 * request took ~40 of the ~50 µs of main-thread CPU a span under load (bench/README.md), so the
 * main thread capped ingest at ~20k spans/s whatever the core count. With the pool, the main thread
 * keeps HTTP, the ingest journal and the hand-off to the store thread; the threads here turn each
 * body into the store's serialized batch (the journal record as it is) and the answer to send.
 *
 * A request goes to the thread with the fewest pending; past `maxPending` requests waiting in all,
 * new ones are refused with 429 (bodies waiting here are memory). A thread that dies fails its
 * pending requests (500) and is replaced.
 */
export class ParsePool {
  private readonly threads: Thread[] = [];
  private nextId = 1;
  private pendingTotal = 0;
  private closed = false;

  constructor(
    size: number,
    private readonly data: ParseWorkerData,
    private readonly maxPending = 1024,
  ) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`ParsePool needs 1 or more threads, got ${size}`);
    for (let i = 0; i < size; i++) this.threads.push(this.spawn());
  }

  get size(): number {
    return this.threads.length;
  }

  parse(request: ParseRequest): Promise<Parsed> {
    if (this.closed) return Promise.reject(new Error('the parse pool is closed'));
    if (this.pendingTotal >= this.maxPending) return Promise.reject(new Overloaded(1));
    let thread = this.threads[0]!;
    for (const t of this.threads) if (t.pending.size < thread.pending.size) thread = t;
    const id = this.nextId++;
    const job = { ...request, id } as ParseJob;
    return new Promise<Parsed>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      this.pendingTotal++;
      if (thread.pending.size === 1) thread.worker.ref();
      // The body's memory moves to the thread when the body owns it (Buffer.concat of a large
      // body); a small body may share Node's buffer pool and is copied instead.
      const { body } = job;
      const owns = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
      thread.worker.postMessage(job, owns ? [body.buffer as ArrayBuffer] : []);
    });
  }

  /** Stops the threads; pending requests fail. */
  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads.splice(0);
    for (const t of threads) this.failAll(t, new Error('the parse pool closed'));
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private spawn(): Thread {
    const worker = startWorker(import.meta.url, 'parse-worker', this.data);
    const thread: Thread = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (result: ParseResult) => this.settle(thread, result));
    const replace = (error: Error) => {
      this.failAll(thread, error);
      const at = this.threads.indexOf(thread);
      if (at >= 0 && !this.closed) this.threads[at] = this.spawn();
    };
    worker.on('error', replace);
    worker.on('exit', (code) => replace(new Error(`an ingest parse thread exited (code ${code})`)));
    return thread;
  }

  private settle(thread: Thread, result: ParseResult): void {
    const waiter = thread.pending.get(result.id);
    if (!waiter) return;
    thread.pending.delete(result.id);
    this.pendingTotal--;
    if (thread.pending.size === 0) thread.worker.unref();
    if (result.ok) waiter.resolve(result);
    else if (result.status !== undefined)
      waiter.reject(new IngestError(result.status as IngestErrorStatus, result.message));
    else waiter.reject(new Error(result.message));
  }

  private failAll(thread: Thread, error: Error): void {
    for (const { reject } of thread.pending.values()) reject(error);
    this.pendingTotal -= thread.pending.size;
    thread.pending.clear();
  }
}
