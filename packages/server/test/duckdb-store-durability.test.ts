/**
 * "No acknowledged data lost on kill -9" (PRODUCT.md) for the DuckDB store: a child process writes
 * batches and reports each one as soon as write() resolves; the parent SIGKILLs it mid-stream,
 * reopens the file (DuckDB replays its WAL) and checks that every acknowledged batch is there,
 * whole, and that the per-trace summary agrees with the spans.
 *
 * The child is this same file run with SIEVE_DUCKDB_CHILD_DIR set (no separate fixture to keep in step).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpanRow } from '../src/model.js';
import { DuckDbStore } from '../src/storage/duckdb/store.js';
import { NO_AI } from './no-ai.js';

const SPANS_PER_TRACE = 10;
const TRACES_PER_BATCH = 50;
const SPANS_PER_BATCH = SPANS_PER_TRACE * TRACES_PER_BATCH;

function makeBatchSpans(batchNo: number, writer: number): SpanRow[] {
  const spans: SpanRow[] = [];
  for (let t = 0; t < TRACES_PER_BATCH; t++) {
    const traceId = `${writer.toString(16).padStart(4, '0')}${batchNo.toString(16).padStart(12, '0')}${t.toString(16).padStart(16, '0')}`;
    for (let k = 0; k < SPANS_PER_TRACE; k++) {
      const start = 1_700_000_000_000 + batchNo * 1000 + t * 10 + k;
      spans.push({
        projectId: 1,
        traceId,
        spanId: `${t.toString(16).padStart(8, '0')}${k.toString(16).padStart(8, '0')}`,
        parentSpanId: k === 0 ? null : `${t.toString(16).padStart(8, '0')}${'0'.repeat(8)}`,
        name: k === 0 ? 'POST /api/chat' : `step ${k}`,
        op: k === 0 ? 'http.server' : 'function',
        kind: null,
        status: 'ok',
        statusMessage: null,
        startTime: start,
        endTime: start + 5,
        isSegment: k === 0,
        segmentId: null,
        serviceName: 'svc',
        environment: null,
        release: null,
        weight: 1,
        attributes: { batch: batchNo, writer, text: 'x'.repeat(200) },
        source: 'sentry',
        ...NO_AI,
      });
    }
  }
  return spans;
}

async function child(dir: string): Promise<void> {
  const store = new DuckDbStore({ dataDir: dir });
  await store.open();
  process.stdout.write('ready\n');
  // Four writers in flight, as concurrent requests would be; each line is an acknowledgement.
  await Promise.all(
    [0, 1, 2, 3].map(async (writer) => {
      for (let b = 0; b < 10_000; b++) {
        const spans = makeBatchSpans(b, writer);
        await store.write({
          spans,
          logs: [
            {
              projectId: 1,
              timestamp: spans[0]!.startTime,
              traceId: spans[0]!.traceId,
              spanId: null,
              level: 'info',
              severityNumber: 9,
              body: `batch ${writer}/${b}`,
              serviceName: null,
              environment: null,
              release: null,
              attributes: {},
            },
          ],
          metrics: [],
          errors: [],
          clientReports: [],
        });
        process.stdout.write(`acked ${writer} ${b}\n`);
      }
    }),
  );
}

const childDir = process.env.SIEVE_DUCKDB_CHILD_DIR;
if (childDir) {
  await child(childDir);
} else {
  const { test } = await import('node:test');

  test('acknowledged writes survive kill -9 (WAL replay on reopen)', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sieve-duckdb-kill-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, SIEVE_DUCKDB_CHILD_DIR: dir };
      // The test runner's context variable would make the child report as a test file.
      delete env.NODE_TEST_CONTEXT;
      const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      proc.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const acked: Array<[number, number]> = [];
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        proc.on('exit', (_code, signal) => resolve(signal)),
      );
      await new Promise<void>((resolve, reject) => {
        let buf = '';
        proc.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          let nl = buf.indexOf('\n');
          while (nl >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            const m = /^acked (\d+) (\d+)$/.exec(line);
            // Kill while writes are in flight, after enough acknowledgements to span several commits
            // and, with the default 128 MB threshold, before any checkpoint: the data is only in the WAL.
            if (m) {
              acked.push([Number(m[1]), Number(m[2])]);
              if (acked.length === 40) {
                proc.kill('SIGKILL');
                resolve();
              }
            }
            nl = buf.indexOf('\n');
          }
        });
        proc.on('exit', () => {
          if (acked.length < 40) reject(new Error(`child exited early: ${stderr}`));
        });
      });
      assert.equal(await exited, 'SIGKILL');

      const store = new DuckDbStore({ dataDir: dir });
      await store.open();
      assert.deepEqual(store.migrations?.applied, [], 'the schema came back from the file');
      const stats = await store.samplingStats({ projectId: 1 });
      // Every acknowledged batch is there, each batch whole (its commit was atomic).
      assert.ok(
        stats.stored.spans >= acked.length * SPANS_PER_BATCH,
        `${stats.stored.spans} spans after reopen, ${acked.length} batches were acknowledged`,
      );
      assert.equal(stats.stored.spans % SPANS_PER_BATCH, 0, 'no partial batch');
      assert.equal(stats.stored.traces * SPANS_PER_TRACE, stats.stored.spans, 'trace summary matches spans');
      for (const [writer, b] of acked) {
        const spans = makeBatchSpans(b, writer);
        for (const traceId of [spans[0]!.traceId, spans[spans.length - 1]!.traceId]) {
          assert.equal((await store.getTrace(1, traceId)).length, SPANS_PER_TRACE, `batch ${writer}/${b}`);
        }
        const logs = await store.queryLogs({ projectId: 1, traceId: spans[0]!.traceId, limit: 10 });
        assert.equal(logs.logs.length, 1, `log of batch ${writer}/${b}`);
      }
      // The store accepts writes again, and a retry of an acknowledged batch adds nothing.
      const [w, b] = acked[0]!;
      const before = store.stats.duplicates;
      await store.write({
        spans: makeBatchSpans(b, w),
        logs: [],
        metrics: [],
        errors: [],
        clientReports: [],
      });
      assert.equal(store.stats.duplicates - before, SPANS_PER_BATCH);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
