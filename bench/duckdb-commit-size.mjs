// The raw DuckDB appender's CPU a span by transaction size and checkpoint threshold: the same spans
// as server-ingest.mjs (Sentry chunks of lib/traces.mjs, decoded and encoded by the server's own
// code outside the timing) appended into a fresh file per case, COMMIT every `--commit` spans, then
// one CHECKPOINT. What the server's commit size behind its ingest journal costs DuckDB: a
// transaction that appends a whole row group (122,880 rows) has it written compressed straight into
// the file; smaller ones go through the WAL and are compressed again at each checkpoint; and some
// mixes of the two leave much of the file as free blocks (bench/README.md).
//
//   cd bench && node --import tsx duckdb-commit-size.mjs [--spans 1200000] [--commit 20000,122880] [--threshold 128MB]
//
// Each comma-separated case is a commit size, or a cycle of sizes joined by `+` (`122880+5000`: a
// row group, then 5,000 spans, again and again).
//
// Prints CPU µs a span (all threads of the process) for the appends and commits, and with the final
// checkpoint; the WAL left before that checkpoint; the file size.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseEnvelope } from '../packages/server/src/ingest/envelope.ts';
import { sentryEnvelopeToBatch } from '../packages/server/src/ingest/sentry.ts';
import { applyMigrations } from '../packages/server/src/storage/duckdb/schema.ts';
import { appendSpan, encodeBatch } from '../packages/server/src/storage/duckdb/writer.ts';
import { makeChunk } from './lib/traces.mjs';

const { values: args } = parseArgs({
  options: {
    spans: { type: 'string', default: '1200000' },
    commit: { type: 'string', default: '20000,122880' },
    threshold: { type: 'string', default: '128MB' },
  },
});
const total = Number(args.spans);
const spans = [];
for (let first = 0; spans.length < total; first += 100_000) {
  const chunk = makeChunk({
    seed: 7 + first,
    format: 'sentry',
    firstSpan: first,
    spans: 100_000,
    t0: Date.UTC(2026, 10, 1),
    publicKey: 'b',
  });
  for (const q of chunk.requests) {
    if (q.spans === 0) continue;
    for (const s of encodeBatch(sentryEnvelopeToBatch(parseEnvelope(q.body), 1).batch).spans) spans.push(s);
  }
}
spans.length = total;
const cpu = (since) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / spans.length;
};
const dir = mkdtempSync(join(tmpdir(), 'sieve-commit-size-'));
try {
  for (const pattern of args.commit.split(',')) {
    const cycle = pattern.split('+').map(Number);
    const file = join(dir, `${pattern}-${Math.random().toString(36).slice(2)}.duckdb`);
    const instance = await DuckDBInstance.create(file, { checkpoint_threshold: args.threshold });
    const conn = await instance.connect();
    await applyMigrations(conn);
    const start = process.cpuUsage();
    for (let i = 0, k = 0; i < spans.length; i += cycle[k++ % cycle.length]) {
      const size = cycle[k % cycle.length];
      await conn.run('BEGIN');
      const ap = await conn.createAppender('spans');
      for (let j = i; j < Math.min(spans.length, i + size); j++) appendSpan(ap, spans[j]);
      ap.closeSync();
      await conn.run('COMMIT');
    }
    const appended = cpu(start);
    const wal = existsSync(`${file}.wal`) ? statSync(`${file}.wal`).size : 0;
    await conn.run('CHECKPOINT');
    const db = (await conn.runAndReadAll('PRAGMA database_size')).getRowObjectsJS()[0];
    console.log(
      `commit every ${pattern} spans, threshold ${args.threshold}: ${appended.toFixed(1)} µs a span appended and committed, ` +
        `${cpu(start).toFixed(1)} with the final checkpoint; WAL before it ${(wal / 1e6).toFixed(0)} MB; file ${(statSync(file).size / 1e6).toFixed(0)} MB (${db.free_blocks} of ${db.total_blocks} blocks free)`,
    );
    conn.closeSync();
    instance.closeSync();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
