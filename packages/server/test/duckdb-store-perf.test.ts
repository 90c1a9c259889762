/**
 * A quick throughput and latency check of the DuckDB store, printed and not asserted (timings are
 * noisy on shared machines): 200k spans written as 400 request-sized batches with 16 in flight,
 * then trace-detail and trace-list latencies. `node --import tsx bench-store.mjs` runs the same at
 * 1M spans with more queries.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { IngestBatch, SpanRow } from '../src/model.js';
import { DuckDbStore } from '../src/storage/duckdb/store.js';

const TOTAL = 200_000;
const BATCH = 500;
const PER_TRACE = 10;

function makeBatch(first: number, t0: number): IngestBatch {
  const ids = randomBytes(BATCH * 24);
  let pos = 0;
  const hex = (n: number) => {
    const s = ids.toString('hex', pos, pos + n);
    pos += n;
    return s;
  };
  const spans: SpanRow[] = [];
  let traceId = '';
  let rootId = '';
  for (let i = first; i < first + BATCH; i++) {
    const k = i % PER_TRACE;
    if (k === 0) {
      traceId = hex(16);
      rootId = hex(8);
    }
    const ai = k % 3 === 1;
    const start = t0 + i * 10;
    spans.push({
      projectId: 1,
      traceId,
      spanId: k === 0 ? rootId : hex(8),
      parentSpanId: k === 0 ? null : rootId,
      name: k === 0 ? `POST /api/chat/${i % 40}` : `step ${k}`,
      op: k === 0 ? 'http.server' : ai ? 'gen_ai.chat' : 'db.query',
      kind: null,
      status: i % 97 === 0 ? 'error' : 'ok',
      statusMessage: null,
      startTime: start,
      endTime: start + 1 + (i % 200),
      isSegment: k === 0,
      segmentId: rootId,
      serviceName: `svc-${i % 3}`,
      environment: 'production',
      release: '1.0.0',
      weight: 10,
      attributes: { 'user.id': `user-${i % 5000}`, 'http.method': 'POST', n: i },
      source: 'sentry',
      operation: ai ? 'chat' : null,
      provider: ai ? 'openai' : null,
      model: ai ? 'gpt-4o' : null,
      inputTokens: ai ? 120 : null,
      outputTokens: ai ? 40 : null,
      cachedInputTokens: null,
      reasoningTokens: null,
      agentName: null,
      toolName: null,
      costUsd: null,
    });
  }
  return { spans, logs: [], metrics: [], errors: [], clientReports: [] };
}

function summary(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(2);
  return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms`;
}

test('throughput and latency (printed, not asserted)', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sieve-duckdb-perf-'));
  const store = new DuckDbStore({ dataDir: dir });
  try {
    await store.open();
    const t0 = Date.now() - TOTAL * 10;
    const batches: IngestBatch[] = [];
    for (let i = 0; i < TOTAL; i += BATCH) batches.push(makeBatch(i, t0));

    let maxLate = 0;
    let last = performance.now();
    const probe = setInterval(() => {
      const now = performance.now();
      maxLate = Math.max(maxLate, now - last - 5);
      last = now;
    }, 5);
    const start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < batches.length) await store.write(batches[next++]!);
      }),
    );
    const elapsed = (performance.now() - start) / 1000;
    clearInterval(probe);
    t.diagnostic(
      `ingest: ${TOTAL} spans in ${elapsed.toFixed(2)} s = ${Math.round(TOTAL / elapsed)} spans/s; ` +
        `${store.stats.batches} writes in ${store.commitCount} commits; event loop held at most ${maxLate.toFixed(1)} ms`,
    );

    const traceIds = batches.filter((_, i) => i % 7 === 0).map((b) => b.spans[0]!.traceId);
    const samples: number[] = [];
    for (let i = 0; i < 100; i++) {
      const s = performance.now();
      const spans = await store.getTrace(1, traceIds[i % traceIds.length]!);
      samples.push(performance.now() - s);
      assert.equal(spans.length, PER_TRACE);
    }
    t.diagnostic(`getTrace at ${TOTAL} spans: ${summary(samples)}`);

    const list: number[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 30; i++) {
      const s = performance.now();
      const page = await store.listTraces({ projectId: 1, limit: 50, cursor });
      list.push(performance.now() - s);
      assert.equal(page.total, TOTAL / PER_TRACE);
      cursor = page.nextCursor ?? undefined;
    }
    t.diagnostic(`listTraces (50 per page, paging) at ${TOTAL / PER_TRACE} traces: ${summary(list)}`);

    const filtered: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      await store.listTraces({ projectId: 1, limit: 50, q: `user-${1000 + i}` });
      filtered.push(performance.now() - s);
    }
    t.diagnostic(`listTraces with q (text search over spans): ${summary(filtered)}`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
