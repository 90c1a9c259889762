/**
 * The segmented journal (src/storage/segmented-journal.ts) on its own, then as ThreadedDuckDbStore's
 * ingest journal:
 * records survive a restart until released, a torn tail is cut off without losing the intact
 * records before it, segment files go once their records are committed, and a store opened on a
 * journal stores exactly the records it had not committed (none twice).
 */
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { serialize } from 'node:v8';
import { crc32 } from 'node:zlib';
import type { IngestBatch, LogRow } from '../src/model.js';
import { ThreadedDuckDbStore } from '../src/storage/duckdb/thread.js';
import { encodeBatch, mergeRanges, seqRanges } from '../src/storage/duckdb/writer.js';
import { readRecords, SegmentedJournal } from '../src/storage/segmented-journal.js';

const root = mkdtempSync(join(tmpdir(), 'sieve-ingest-journal-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `d${++dirs}`);
const files = (dir: string) => readdirSync(dir).sort();

const T0 = 1_700_000_000_000;

function logBatch(n: number, tag: string): IngestBatch {
  const logs: LogRow[] = Array.from({ length: n }, (_, i) => ({
    projectId: 1,
    timestamp: T0 + i,
    traceId: null,
    spanId: null,
    level: 'info',
    severityNumber: 9,
    body: `${tag} line ${i}`,
    attributes: { tag },
    serviceName: 'svc',
    environment: null,
    release: null,
  }));
  return { spans: [], logs, metrics: [], errors: [], clientReports: [] };
}

test('appends are durable in order, read back after a restart until released', async () => {
  const dir = freshDir();
  const { journal, recovered } = await SegmentedJournal.open(dir, { prefix: 'ingest' });
  assert.equal(recovered.length, 0);
  const a = journal.append(Buffer.from('first'));
  const b = journal.append(Buffer.from('second'));
  await Promise.all([a.durable, b.durable]);
  assert.deepEqual([a.entry.seq, b.entry.seq], [1, 2]);
  journal.release(a.entry);
  await journal.close();

  const again = await SegmentedJournal.open(dir, { prefix: 'ingest' });
  // The segment still holds an unreleased record, so both come back; numbering goes on after them.
  assert.deepEqual(
    again.recovered.map((r) => [r.seq, r.payload.toString()]),
    [
      [1, 'first'],
      [2, 'second'],
    ],
  );
  const c = again.journal.append(Buffer.from('third'));
  await c.durable;
  assert.equal(c.entry.seq, 3);
  for (const r of again.recovered) again.journal.release(r);
  again.journal.release(c.entry);
  await again.journal.close();
  assert.deepEqual(files(dir), [], 'every record released: no segment left');
});

test('numbering starts past the store’s highest committed number', async () => {
  const { journal } = await SegmentedJournal.open(freshDir(), { prefix: 'ingest', minNextSeq: 500 });
  const { entry, durable } = journal.append(Buffer.from('x'));
  await durable;
  assert.equal(entry.seq, 500);
  journal.release(entry);
  await journal.close();
});

test('a torn or corrupt tail ends the segment; the intact records before it are kept', async () => {
  const dir = freshDir();
  const { journal } = await SegmentedJournal.open(dir, { prefix: 'ingest' });
  await journal.append(Buffer.from('kept 1')).durable;
  await journal.append(Buffer.from('kept 2')).durable;
  await journal.close();
  const [segment] = files(dir);
  appendFileSync(join(dir, segment!), Buffer.from([9, 0, 0, 0, 1, 2])); // a header cut short
  const torn = await SegmentedJournal.open(dir, { prefix: 'ingest' });
  assert.equal(torn.tornSegments, 1);
  assert.deepEqual(
    torn.recovered.map((r) => r.payload.toString()),
    ['kept 1', 'kept 2'],
  );
  await torn.journal.close();

  // A flipped payload byte fails its CRC: that record and everything after it are dropped.
  const data = Buffer.concat([record(1, 'good'), record(2, 'flipped'), record(3, 'after')]);
  data[16 + 4 + 16 + 2] ^= 0xff;
  assert.deepEqual(
    readRecords(data).records.map((r) => r.payload.toString()),
    ['good'],
  );
  assert.equal(readRecords(data).torn, true);
  assert.equal(readRecords(Buffer.concat([record(1, 'a'), record(2, 'b')])).torn, false);
});

test('segments rotate by size and go once all their records are released', async () => {
  const dir = freshDir();
  const { journal } = await SegmentedJournal.open(dir, { prefix: 'ingest', segmentBytes: 64 });
  const entries = [];
  for (let i = 0; i < 6; i++) {
    const { entry, durable } = journal.append(Buffer.alloc(40, i));
    await durable;
    entries.push(entry);
  }
  const segments = new Set(entries.map((e) => e.segment));
  assert.ok(segments.size >= 3, `6 records of 56 bytes in segments of 64: ${segments.size} segments`);
  assert.equal(journal.lowestLiveSeq(), 1);
  // Release all but the last record: every full segment goes, the current one stays.
  for (const e of entries.slice(0, -1)) journal.release(e);
  await journal.settled();
  assert.equal(files(dir).length, 1);
  // The current segment's file still holds its released records too: numbering is live from its first.
  const last = entries.at(-1)!;
  assert.equal(journal.lowestLiveSeq(), entries.find((e) => e.segment === last.segment)!.seq);
  journal.release(last);
  await journal.close();
  assert.deepEqual(files(dir), []);
});

test('a store opened on a journal stores what was acknowledged and not committed, once', async () => {
  const dataDir = freshDir();
  const journalDir = join(dataDir, 'ingest-journal');
  // What a crash leaves: records fsynced (so acknowledged) that never reached the database.
  const { journal } = await SegmentedJournal.open(journalDir, { prefix: 'ingest' });
  for (const tag of ['a', 'b', 'c']) {
    await journal.append(serialize(encodeBatch(logBatch(10, tag)))).durable;
  }
  await journal.close();
  appendFileSync(join(journalDir, files(journalDir)[0]!), Buffer.from('torn'));

  const store = new ThreadedDuckDbStore({ dataDir });
  await store.open();
  assert.deepEqual(store.recovery, { stored: 3, alreadyCommitted: 0, tornSegments: 1, setAside: [] });
  assert.equal((await store.queryLogs({ projectId: 1, limit: 100 })).logs.length, 30);
  // Acknowledged writes are readable at once (a query waits for the commit), and journaled.
  await store.write(logBatch(5, 'd'));
  assert.equal((await store.queryLogs({ projectId: 1, limit: 100 })).logs.length, 35);
  const saved = join(root, `saved-${dirs}`);
  cpSync(journalDir, saved, { recursive: true });
  assert.ok(files(saved).length > 0, 'the live segment exists while the store is open');
  await store.close();
  assert.deepEqual(files(journalDir), [], 'a clean close leaves no journal');

  // A crash after the commit but before the segment file was deleted: its records are committed
  // already (ingest_journal says so), so nothing is stored twice.
  for (const f of files(saved)) cpSync(join(saved, f), join(journalDir, f));
  const reopened = new ThreadedDuckDbStore({ dataDir });
  await reopened.open();
  assert.deepEqual(reopened.recovery, { stored: 0, alreadyCommitted: 1, tornSegments: 0, setAside: [] });
  assert.equal((await reopened.queryLogs({ projectId: 1, limit: 100 })).logs.length, 35);
  await reopened.close();
});

test('a record the store cannot read is set aside, and the server still opens', async () => {
  const dataDir = freshDir();
  const journalDir = join(dataDir, 'ingest-journal');
  const { journal } = await SegmentedJournal.open(journalDir, { prefix: 'ingest' });
  await journal.append(Buffer.from('not a v8-serialized batch')).durable;
  await journal.close();
  const store = new ThreadedDuckDbStore({ dataDir });
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(' '));
  try {
    await store.open();
  } finally {
    console.error = original;
  }
  assert.equal(store.recovery?.setAside.length, 1);
  assert.match(errors.join('\n'), /could not store .*\.failed/);
  assert.ok(files(journalDir).some((f) => f.endsWith('.failed')));
  await store.write(logBatch(2, 'after'));
  assert.equal((await store.queryLogs({ projectId: 1, limit: 10 })).logs.length, 2);
  await store.close();
});

function record(seq: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(16);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  header.writeDoubleLE(seq, 8);
  return Buffer.concat([header, payload]);
}

test('journal numbers recorded as merged ranges', () => {
  assert.deepEqual(seqRanges([5, 3, 4, 9, 1]), [
    [1, 1],
    [3, 5],
    [9, 9],
  ]);
  assert.deepEqual(seqRanges([]), []);
  assert.deepEqual(
    mergeRanges([
      [10, 12],
      [1, 4],
      [5, 6],
      [3, 3],
      [14, 20],
    ]),
    [
      [1, 6],
      [10, 12],
      [14, 20],
    ],
  );
});
