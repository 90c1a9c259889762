import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpanRow } from '../model.js';
import { type RecoveredRecord, SegmentedJournal } from '../storage/segmented-journal.js';

/**
 * The durable pending area of tail sampling: what keeps "a 2xx means durable" true while spans wait
 * in memory for their trace's decision. Each request's held spans (and the trace ids of its error
 * events) are one JSON record of a SegmentedJournal, fsynced before the request is answered.
 *
 * A segment is deleted once every trace that has spans in it has been decided and the decision
 * committed to the store: each trace holds the segments its spans were written to (the engine's
 * tags). On start, the remaining segments are read back and their spans held again, so `kill -9`
 * loses no acknowledged span: a trace is decided again after the restart. Segments rotate by size
 * and age so one long-waiting trace pins only a small file.
 */

export interface JournalEntry {
  segment: number;
  spans: SpanRow[];
  errors: Array<{ projectId: number; traceId: string }>;
  /** The record read back: released once the entry's traces hold what they need (`recovered`). */
  record: RecoveredRecord;
}

const ROTATE_BYTES = 16 * 1024 * 1024;
/** The NDJSON segments of versions before the binary journal (read once, then moved into it). */
const LEGACY_SEGMENT = /^pending-\d+\.ndjson$/;
const ROTATE_MS = 30_000;

export class PendingJournal {
  /** Records that could not be read back at start (torn by a crash: never acknowledged). */
  unreadableRecords = 0;

  private constructor(private readonly journal: SegmentedJournal) {}

  /** Opens the directory and reads back what a previous run left undecided. */
  static async open(
    dir: string,
    now: number,
  ): Promise<{ journal: PendingJournal; recovered: JournalEntry[] }> {
    const opened = await SegmentedJournal.open(dir, {
      prefix: 'pending',
      segmentBytes: ROTATE_BYTES,
      segmentMaxAgeMs: ROTATE_MS,
      now: () => now,
    });
    const journal = new PendingJournal(opened.journal);
    journal.unreadableRecords = opened.tornSegments;
    const records = [...opened.recovered, ...(await journal.adoptLegacySegments(dir, now))];
    const recovered: JournalEntry[] = [];
    for (const record of records) {
      try {
        const parsed = JSON.parse(record.payload.toString('utf8')) as {
          s: SpanRow[];
          e: JournalEntry['errors'];
        };
        recovered.push({ segment: record.segment, spans: parsed.s, errors: parsed.e, record });
      } catch {
        journal.unreadableRecords++;
        opened.journal.release(record);
      }
    }
    return { journal, recovered };
  }

  /**
   * Moves the lines of NDJSON segments an older version left into the journal (fsynced before the
   * old files go), so an upgrade with undecided traces loses none of them.
   */
  private async adoptLegacySegments(dir: string, now: number): Promise<RecoveredRecord[]> {
    const legacy = (await readdir(dir)).filter((name) => LEGACY_SEGMENT.test(name)).sort();
    const adopted: RecoveredRecord[] = [];
    for (const name of legacy) {
      const lines = (await readFile(join(dir, name), 'utf8')).split('\n').filter((line) => line !== '');
      for (const line of lines) {
        const payload = Buffer.from(line);
        const { entry, durable } = this.journal.append(payload, now);
        await durable;
        adopted.push({ ...entry, payload });
      }
      await unlink(join(dir, name));
    }
    return adopted;
  }

  /** The segment new appends go to at `now` (rotating when the current one is big or old). */
  segmentFor(now: number): number {
    return this.journal.segmentFor(now);
  }

  /** A trace took a reference on `segment` (it holds spans written there). */
  ref(segment: number): void {
    this.journal.hold(segment);
  }

  /** The traces of these tags were decided and committed: drop their references. */
  release(segments: Iterable<number>): void {
    for (const segment of segments) this.journal.release(segment);
  }

  /**
   * The recovered entries were held again (their traces took references): the records' own holds
   * go, and segments no trace needs are deleted.
   */
  recovered(entries: readonly JournalEntry[]): void {
    for (const entry of entries) this.journal.release(entry.record);
  }

  /**
   * Resolves once the entry is on disk (fsynced). `segment` is `segmentFor(now)` of the same tick:
   * the traces that hold spans in it were tagged with it.
   */
  async append(
    segment: number,
    now: number,
    spans: readonly SpanRow[],
    errors: JournalEntry['errors'],
  ): Promise<void> {
    const { entry, durable } = this.journal.append(Buffer.from(JSON.stringify({ s: spans, e: errors })), now);
    if (entry.segment !== segment && entry.segment !== -1) {
      throw new Error(`tail-sampling journal: appended to segment ${entry.segment}, expected ${segment}`);
    }
    try {
      await durable;
    } finally {
      // The traces' references keep the segment; the record itself needs none once written.
      if (entry.segment !== -1) this.journal.release(entry);
    }
  }

  get stats(): { segments: number; currentSegment: number } {
    const { segments, currentSegment } = this.journal.stats;
    return { segments, currentSegment };
  }

  /** Finishes queued appends and closes the file; undecided entries stay for the next start. */
  close(): Promise<void> {
    return this.journal.close();
  }
}
