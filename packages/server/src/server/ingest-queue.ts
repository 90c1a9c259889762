import { batchSize, type IngestBatch } from '../model.js';
import type { Store } from '../store.js';

/** The queue is full: the request gets 429 with Retry-After. */
export class Overloaded extends Error {
  override name = 'Overloaded';
  constructor(readonly retryAfterSeconds: number) {
    super(`the ingest queue is full; retry after ${retryAfterSeconds} s`);
  }
}

/**
 * Bounds what waits for the store: rows not yet committed (including those a journaled store has
 * acknowledged). Past the bound new requests are refused
 * (429) instead of buffering without limit, so a slow disk or a flood never grows memory unbounded.
 */
export class IngestQueue {
  private pendingRows = 0;
  private pendingWrites = 0;

  constructor(
    private readonly store: Store,
    private readonly maxPendingRows = 500_000,
  ) {}

  get pending(): { rows: number; writes: number } {
    return { rows: this.pendingRows, writes: this.pendingWrites };
  }

  /** Resolves once the batch is durable (Store.write); throws Overloaded when the queue is full. */
  write(batch: IngestBatch): Promise<void> {
    return this.admit(batchSize(batch), () => this.store.write(batch));
  }

  /** write() for a batch the store's serializeBatch made (Store.writeSerialized). */
  writeSerialized(bytes: Uint8Array, rows: number): Promise<void> {
    const { store } = this;
    if (store.writeSerialized === undefined) {
      return Promise.reject(new Error('this store does not take serialized batches'));
    }
    return this.admit(rows, () => store.writeSerialized!(bytes, rows));
  }

  private async admit(rows: number, write: () => Promise<void>): Promise<void> {
    if (rows === 0) return;
    // Rows a journaled store acknowledged but has not committed count too: they are in memory.
    const waiting = this.pendingRows + (this.store.backlogRows?.() ?? 0);
    if (waiting > 0 && waiting + rows > this.maxPendingRows) throw new Overloaded(1);
    this.pendingRows += rows;
    this.pendingWrites++;
    try {
      await write();
    } finally {
      this.pendingRows -= rows;
      this.pendingWrites--;
    }
  }
}
