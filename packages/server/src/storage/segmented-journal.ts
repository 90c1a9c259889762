import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * An append-only journal of segment files: what lets `sieve serve` answer 2xx before data reaches
 * its final place without losing it on a crash. Two journals use it:
 * - the ingest journal (storage/duckdb/thread.ts): each accepted batch is a record; the request is
 *   answered once it is fsynced, and the store commits behind it in large groups (one commit of
 *   20,000 rows costs a fraction per row of 40 commits of 500: see bench/README.md);
 * - the tail-sampling journal (tail-sampling/journal.ts): spans held until their trace's decision.
 *
 * `append` queues a record; `durable` resolves after the fsync that covers it (appends that arrive
 * while an fsync runs share the next one). A segment is deleted once nothing holds it: each record
 * holds its segment until `release`d, and `hold` adds holds (the tail sampler's traces). On open,
 * the records of the segments a previous run left are read back, each holding its segment.
 *
 * A record: u32 payload length, u32 CRC-32 of the payload, f64 sequence number (little-endian),
 * then the payload. A torn or corrupt record ends its segment's reading: it was never fsynced, so
 * never acknowledged, and no later record of the file was either.
 */

export interface JournalEntry {
  readonly seq: number;
  readonly segment: number;
}

export interface RecoveredRecord extends JournalEntry {
  readonly payload: Buffer;
}

export interface JournalOptions {
  /** Segment files are `<prefix>-<number>.journal`. */
  prefix: string;
  /** Rotate to a new segment file past this size (default 64 MiB). */
  segmentBytes?: number;
  /** Rotate to a new segment file this long after the current one opened (default: never). */
  segmentMaxAgeMs?: number;
  /** The first sequence number at least (the ingest store's highest committed one + 1). */
  minNextSeq?: number;
  /** The clock of age rotation (default Date.now). */
  now?: () => number;
}

const HEADER_BYTES = 16;
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

interface PendingAppend {
  segment: number;
  header: Buffer;
  payload: Uint8Array;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class SegmentedJournal {
  private current: number;
  private currentBytes = 0;
  private currentOpenedAt: number;
  private nextSeq: number;
  /** Holds on each segment: its records not yet released, and `hold` calls. */
  private readonly outstanding = new Map<number, number>();
  private queue: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;
  private handle: FileHandle | null = null;
  private handleSegment = -1;
  private closed = false;
  private readonly segmentBytes: number;
  private readonly segmentMaxAgeMs: number;
  private readonly clock: () => number;
  /** Segments to delete, in order, after the appends queued before them. */
  private deletions: number[] = [];
  /** The first sequence number of each segment file that exists (or is about to). */
  private readonly firstSeqs = new Map<number, number>();

  private constructor(
    private readonly dir: string,
    private readonly prefix: string,
    first: number,
    nextSeq: number,
    options: JournalOptions,
  ) {
    this.current = first;
    this.nextSeq = nextSeq;
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.segmentMaxAgeMs = options.segmentMaxAgeMs ?? Number.POSITIVE_INFINITY;
    this.clock = options.now ?? Date.now;
    this.currentOpenedAt = this.clock();
  }

  /**
   * Opens the directory and reads back every intact record of the segments a previous run left.
   * The caller stores the ones not committed yet, then `release`s each recovered record.
   */
  static async open(
    dir: string,
    options: JournalOptions,
  ): Promise<{ journal: SegmentedJournal; recovered: RecoveredRecord[]; tornSegments: number }> {
    await mkdir(dir, { recursive: true });
    const segmentFile = new RegExp(`^${options.prefix}-(\\d+)\\.journal$`);
    const segments = (await readdir(dir))
      .map((name) => segmentFile.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const recovered: RecoveredRecord[] = [];
    let tornSegments = 0;
    let maxSeq = 0;
    const counts = new Map<number, number>();
    const firstSeqs = new Map<number, number>();
    for (const segment of segments) {
      const data = await readFile(segmentPath(dir, options.prefix, segment));
      const { records, torn } = readRecords(data);
      if (torn) tornSegments++;
      counts.set(segment, records.length);
      if (records.length > 0) firstSeqs.set(segment, records[0]!.seq);
      for (const r of records) {
        recovered.push({ seq: r.seq, segment, payload: r.payload });
        if (r.seq > maxSeq) maxSeq = r.seq;
      }
    }
    const nextSeq = Math.max(maxSeq + 1, options.minNextSeq ?? 1);
    const journal = new SegmentedJournal(dir, options.prefix, (segments.at(-1) ?? 0) + 1, nextSeq, options);
    for (const [segment, first] of firstSeqs) journal.firstSeqs.set(segment, first);
    for (const [segment, count] of counts) {
      if (count > 0) journal.outstanding.set(segment, count);
      else journal.remove(segment);
    }
    return { journal, recovered, tornSegments };
  }

  /** The segment the next append goes to at `now`, rotating first when the current one is full or old. */
  segmentFor(now: number = this.clock()): number {
    if (this.currentBytes >= this.segmentBytes || now - this.currentOpenedAt >= this.segmentMaxAgeMs) {
      const old = this.current;
      this.current++;
      this.currentBytes = 0;
      this.currentOpenedAt = now;
      if (!this.outstanding.has(old)) this.remove(old);
    }
    return this.current;
  }

  /**
   * Appends a record to `segmentFor(now)`, holding that segment until the entry is released;
   * `durable` resolves once it is fsynced (then the request may be answered).
   */
  append(payload: Uint8Array, now?: number): { entry: JournalEntry; durable: Promise<void> } {
    if (this.closed) {
      const error = new Error(`journal ${this.dir} is closed`);
      return { entry: { seq: -1, segment: -1 }, durable: Promise.reject(error) };
    }
    this.segmentFor(now);
    const seq = this.nextSeq++;
    const segment = this.current;
    if (!this.firstSeqs.has(segment)) this.firstSeqs.set(segment, seq);
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32LE(payload.byteLength, 0);
    header.writeUInt32LE(crc32(payload), 4);
    header.writeDoubleLE(seq, 8);
    this.currentBytes += HEADER_BYTES + payload.byteLength;
    this.outstanding.set(segment, (this.outstanding.get(segment) ?? 0) + 1);
    const durable = new Promise<void>((resolve, reject) => {
      this.queue.push({ segment, header, payload, resolve, reject });
    });
    this.kick();
    return { entry: { seq, segment }, durable };
  }

  /** One more hold on `segment` (it is kept until every hold is released). */
  hold(segment: number): void {
    this.outstanding.set(segment, (this.outstanding.get(segment) ?? 0) + 1);
  }

  /** Drops a hold: a record's (its entry) or a `hold`'s (its segment number). */
  release(held: JournalEntry | number): void {
    const segment = typeof held === 'number' ? held : held.segment;
    const left = (this.outstanding.get(segment) ?? 1) - 1;
    if (left > 0) this.outstanding.set(segment, left);
    else {
      this.outstanding.delete(segment);
      if (segment !== this.current) this.remove(segment);
    }
  }

  /**
   * Keeps a segment whose records could not be stored for a later look (renamed `*.failed`, never
   * read back again): the server goes on instead of failing the same records at every start.
   */
  async setAside(segment: number): Promise<string> {
    this.outstanding.delete(segment);
    this.firstSeqs.delete(segment);
    const from = segmentPath(this.dir, this.prefix, segment);
    const to = `${from}.failed`;
    await rename(from, to);
    return to;
  }

  /**
   * Every record numbered below this is in a deleted segment file: no restart can read it back, so
   * the store may forget that it committed it.
   */
  lowestLiveSeq(): number {
    let lowest = this.nextSeq;
    for (const first of this.firstSeqs.values()) if (first < lowest) lowest = first;
    return lowest;
  }

  /** Resolves once queued appends and deletions are done. */
  async settled(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
  }

  get stats(): { segments: number; currentSegment: number; nextSeq: number } {
    const segments = this.outstanding.size + (this.outstanding.has(this.current) ? 0 : 1);
    return { segments, currentSegment: this.current, nextSeq: this.nextSeq };
  }

  /** Finishes queued appends; deletes the current segment too when everything in it was released. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing !== null) await this.flushing;
    await this.handle?.close();
    this.handle = null;
    this.handleSegment = -1;
    if (!this.outstanding.has(this.current)) {
      await unlink(segmentPath(this.dir, this.prefix, this.current)).catch(() => undefined);
      this.firstSeqs.delete(this.current);
    }
  }

  private remove(segment: number): void {
    this.deletions.push(segment);
    this.kick();
  }

  private kick(): void {
    if (this.flushing !== null) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = null;
      if (this.queue.length > 0 || this.deletions.length > 0) this.kick();
    });
  }

  /**
   * One write and one fsync for every append queued to a segment; deletions run after the appends
   * queued before them (a segment is deleted only once it is no longer written to).
   */
  private async flush(): Promise<void> {
    while (this.queue.length > 0 || this.deletions.length > 0) {
      const queued = this.queue;
      this.queue = [];
      let i = 0;
      while (i < queued.length) {
        const segment = queued[i]!.segment;
        let j = i;
        const buffers: Uint8Array[] = [];
        while (j < queued.length && queued[j]!.segment === segment) {
          buffers.push(queued[j]!.header, queued[j]!.payload);
          j++;
        }
        const group = queued.slice(i, j);
        try {
          const handle = await this.handleFor(segment);
          await handle.writev(buffers);
          await handle.datasync();
          for (const a of group) a.resolve();
        } catch (error) {
          const e = error instanceof Error ? error : new Error(String(error));
          const failure = new Error(`journal ${this.dir}: write failed: ${e.message}`, { cause: e });
          for (const a of group) a.reject(failure);
        }
        i = j;
      }
      const deletions = this.deletions;
      this.deletions = [];
      for (const segment of deletions) {
        if (this.handleSegment === segment) {
          await this.handle?.close();
          this.handle = null;
          this.handleSegment = -1;
        }
        await unlink(segmentPath(this.dir, this.prefix, segment)).catch(() => undefined);
        this.firstSeqs.delete(segment);
      }
    }
  }

  private async handleFor(segment: number): Promise<FileHandle> {
    if (this.handle !== null && this.handleSegment === segment) return this.handle;
    await this.handle?.close();
    this.handle = await open(segmentPath(this.dir, this.prefix, segment), 'a');
    this.handleSegment = segment;
    return this.handle;
  }
}

function segmentPath(dir: string, prefix: string, segment: number): string {
  return join(dir, `${prefix}-${String(segment).padStart(10, '0')}.journal`);
}

/** The intact records of a segment file, in order; `torn` when it ends in a partial or corrupt record. */
export function readRecords(data: Buffer): {
  records: Array<{ seq: number; payload: Buffer }>;
  torn: boolean;
} {
  const records: Array<{ seq: number; payload: Buffer }> = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < HEADER_BYTES) return { records, torn: true };
    const length = data.readUInt32LE(at);
    const crc = data.readUInt32LE(at + 4);
    const seq = data.readDoubleLE(at + 8);
    const end = at + HEADER_BYTES + length;
    if (end > data.length) return { records, torn: true };
    const payload = data.subarray(at + HEADER_BYTES, end);
    if (crc32(payload) !== crc || !Number.isSafeInteger(seq)) return { records, torn: true };
    records.push({ seq, payload });
    at = end;
  }
  return { records, torn: false };
}
