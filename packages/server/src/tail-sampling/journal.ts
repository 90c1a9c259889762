import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpanRow } from '../model.js';

/**
 * The durable pending area of tail sampling: what keeps "a 2xx means committed" true while spans
 * wait in memory for their trace's decision. Each request's held spans (and the trace ids of its
 * error events) are appended as one JSON line to the current segment file and fsynced before the
 * request is answered; appends that arrive while an fsync runs share the next one (group commit).
 *
 * A segment is deleted once every trace that has spans in it has been decided and the decision
 * committed to the store (reference counts per segment, taken by the engine's tags). On start, the
 * remaining segments are read back and their spans held again, so `kill -9` loses no acknowledged
 * span: a trace is decided again after the restart. Segments rotate by size and age so one
 * long-waiting trace pins only a small file.
 */

export interface JournalEntry {
  segment: number;
  spans: SpanRow[];
  errors: Array<{ projectId: number; traceId: string }>;
}

const SEGMENT_FILE = /^pending-(\d+)\.ndjson$/;
const ROTATE_BYTES = 16 * 1024 * 1024;
const ROTATE_MS = 30_000;

type Op =
  | { kind: 'append'; segment: number; data: string; resolve: () => void; reject: (error: Error) => void }
  | { kind: 'delete'; segment: number };

export class PendingJournal {
  private current: number;
  private currentBytes = 0;
  private currentOpenedAt: number;
  private readonly refs = new Map<number, number>();
  private ops: Op[] = [];
  private flushing: Promise<void> | null = null;
  private handle: FileHandle | null = null;
  private handleSegment = -1;
  private closed = false;
  /** Lines that could not be read back at start (a torn last line after a crash: never acknowledged). */
  unreadableLines = 0;

  private constructor(
    private readonly dir: string,
    first: number,
    now: number,
  ) {
    this.current = first;
    this.currentOpenedAt = now;
  }

  /** Opens the directory and reads back what a previous run left undecided. */
  static async open(
    dir: string,
    now: number,
  ): Promise<{ journal: PendingJournal; recovered: JournalEntry[] }> {
    await mkdir(dir, { recursive: true });
    const segments = (await readdir(dir))
      .map((name) => SEGMENT_FILE.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const journal = new PendingJournal(dir, (segments.at(-1) ?? 0) + 1, now);
    const recovered: JournalEntry[] = [];
    for (const segment of segments) {
      const text = await readFile(journal.path(segment), 'utf8');
      for (const line of text.split('\n')) {
        if (line === '') continue;
        try {
          const parsed = JSON.parse(line) as { s: SpanRow[]; e: JournalEntry['errors'] };
          recovered.push({ segment, spans: parsed.s, errors: parsed.e });
        } catch {
          journal.unreadableLines++;
        }
      }
      journal.refs.set(segment, 0);
    }
    return { journal, recovered };
  }

  /** The segment new appends go to at `now` (rotating when the current one is big or old). */
  segmentFor(now: number): number {
    if (this.currentBytes >= ROTATE_BYTES || now - this.currentOpenedAt >= ROTATE_MS) {
      const old = this.current;
      this.current++;
      this.currentBytes = 0;
      this.currentOpenedAt = now;
      if ((this.refs.get(old) ?? 0) === 0) this.remove(old);
    }
    return this.current;
  }

  /** A trace took a reference on `segment` (it holds spans written there). */
  ref(segment: number): void {
    this.refs.set(segment, (this.refs.get(segment) ?? 0) + 1);
  }

  /** The traces of these tags were decided and committed: drop their references. */
  release(segments: Iterable<number>): void {
    for (const segment of segments) {
      const left = (this.refs.get(segment) ?? 1) - 1;
      if (left > 0 || segment === this.current) this.refs.set(segment, Math.max(0, left));
      else this.remove(segment);
    }
  }

  /** Deletes segments nobody references (after recovery decided everything they held). */
  sweep(): void {
    for (const [segment, count] of this.refs)
      if (count === 0 && segment !== this.current) this.remove(segment);
  }

  /** Resolves once the entry is on disk (fsynced). */
  append(segment: number, spans: readonly SpanRow[], errors: JournalEntry['errors']): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the tail-sampling journal is closed'));
    const data = `${JSON.stringify({ s: spans, e: errors })}\n`;
    if (segment === this.current) this.currentBytes += data.length;
    return new Promise((resolve, reject) => {
      this.ops.push({ kind: 'append', segment, data, resolve, reject });
      this.kick();
    });
  }

  get stats(): { segments: number; currentSegment: number } {
    return { segments: this.refs.size + (this.refs.has(this.current) ? 0 : 1), currentSegment: this.current };
  }

  /** Finishes queued appends and closes the file; undecided entries stay for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing !== null) await this.flushing;
    await this.handle?.close();
    this.handle = null;
  }

  private path(segment: number): string {
    return join(this.dir, `pending-${String(segment).padStart(10, '0')}.ndjson`);
  }

  private remove(segment: number): void {
    this.refs.delete(segment);
    // Queued behind the appends already queued, which may still target this segment.
    this.ops.push({ kind: 'delete', segment });
    this.kick();
  }

  private kick(): void {
    if (this.flushing !== null) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = null;
      if (this.ops.length > 0) this.kick();
    });
  }

  private async flush(): Promise<void> {
    while (this.ops.length > 0) {
      const ops = this.ops;
      this.ops = [];
      let i = 0;
      while (i < ops.length) {
        const op = ops[i]!;
        if (op.kind === 'delete') {
          if (this.handleSegment === op.segment) {
            await this.handle?.close();
            this.handle = null;
            this.handleSegment = -1;
          }
          await unlink(this.path(op.segment)).catch(() => {});
          i++;
          continue;
        }
        // Consecutive appends to one segment: one write, one fsync.
        let j = i;
        let data = '';
        while (j < ops.length) {
          const next = ops[j]!;
          if (next.kind !== 'append' || next.segment !== op.segment) break;
          data += next.data;
          j++;
        }
        const group = ops.slice(i, j) as Array<Extract<Op, { kind: 'append' }>>;
        try {
          const handle = await this.handleFor(op.segment);
          await handle.write(data);
          await handle.datasync();
          for (const a of group) a.resolve();
        } catch (error) {
          for (const a of group) a.reject(error as Error);
        }
        i = j;
      }
    }
  }

  private async handleFor(segment: number): Promise<FileHandle> {
    if (this.handle !== null && this.handleSegment === segment) return this.handle;
    await this.handle?.close();
    this.handle = await open(this.path(segment), 'a');
    this.handleSegment = segment;
    return this.handle;
  }
}
