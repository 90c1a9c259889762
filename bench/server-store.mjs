// Benchmark of the DuckDB store: ingest throughput and query latencies at ~1M spans.
//
//   node --import tsx bench/server-store.mjs [spans=1000000] [--keep] [--clickhouse=<url>]
//
// With --clickhouse=http://host:8123/db the same run goes to the ClickHouse store instead
// (store-backends.mjs runs both against a clickhouse-server of its own and prints the ratios).
// Writes spans (with a few logs and metrics per request-sized batch) through DuckDbStore.write
// with 16 writes in flight, as concurrent ingest requests would, then times each query. The data
// generation is outside the timed sections. Figures are printed, not asserted.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseStore } from '../packages/server/src/storage/clickhouse/index.ts';
import { DuckDbStore } from '../packages/server/src/storage/duckdb/index.ts';

const total = Number(process.argv[2] ?? 1_000_000);
const keep = process.argv.includes('--keep');
const clickhouseUrl = process.argv.find((a) => a.startsWith('--clickhouse='))?.slice('--clickhouse='.length);
const SPANS_PER_TRACE = 10;
const BATCH_SPANS = 500;
const IN_FLIGHT = 16;

// Ids from a fresh random buffer per batch (a recycled pool would repeat ids: duplicates, not new spans).
let idBuf = Buffer.alloc(0);
let idPos = 0;
function hex(bytes) {
  if (idPos + bytes > idBuf.length) {
    idBuf = randomBytes(1 << 16);
    idPos = 0;
  }
  const s = idBuf.toString('hex', idPos, idPos + bytes);
  idPos += bytes;
  return s;
}

const ops = ['db.query', 'gen_ai.chat', 'gen_ai.execute_tool', 'http.client', 'function'];
const models = ['gpt-4o', 'claude-sonnet-4', 'gpt-4o-mini'];
// Spans 10 ms apart: 1M spans cover ~2.8 hours ending about now, like a busy service's last hours.
const SPAN_GAP_MS = 10;
const t0 = Date.now() - total * SPAN_GAP_MS - 60_000;

/** One request's worth: BATCH_SPANS spans of whole traces, 20 logs, 20 metric points. */
function makeBatch(first) {
  const spans = [];
  let traceId = '';
  let rootId = '';
  let start = 0;
  for (let i = first; i < first + BATCH_SPANS; i++) {
    const k = i % SPANS_PER_TRACE;
    if (k === 0) {
      traceId = hex(16);
      rootId = hex(8);
      start = t0 + i * SPAN_GAP_MS;
    }
    const op = k === 0 ? 'http.server' : ops[i % ops.length];
    const ai = op.startsWith('gen_ai');
    const s = start + k * 2.5;
    spans.push({
      projectId: 1,
      traceId,
      spanId: k === 0 ? rootId : hex(8),
      parentSpanId: k === 0 ? null : rootId,
      name: k === 0 ? `POST /api/chat/${((i / SPANS_PER_TRACE) % 40) | 0}` : `${op} ${k}`,
      op,
      kind: k === 0 ? 'server' : 'internal',
      status: i % 101 === 0 ? 'error' : 'ok',
      statusMessage: null,
      startTime: s,
      endTime: s + 1 + (i % 300),
      isSegment: k === 0,
      segmentId: rootId,
      serviceName: `svc-${i % 3}`,
      environment: 'production',
      release: '1.2.3',
      weight: 10,
      attributes: {
        'http.method': 'POST',
        'user.id': `user-${i % 5000}`,
        'thread.id': i % 7,
        ...(ai
          ? { 'gen_ai.request.model': models[i % 3], 'gen_ai.usage.input_tokens': 100 + (i % 900) }
          : {}),
      },
      source: 'sentry',
      operation: ai ? (op === 'gen_ai.chat' ? 'chat' : 'execute_tool') : null,
      provider: ai ? 'openai' : null,
      model: ai ? models[i % 3] : null,
      inputTokens: ai ? 100 + (i % 900) : null,
      outputTokens: ai ? 50 + (i % 200) : null,
      cachedInputTokens: null,
      reasoningTokens: null,
      agentName: null,
      toolName: op === 'gen_ai.execute_tool' ? 'search' : null,
    });
  }
  const logs = [];
  const metrics = [];
  for (let j = 0; j < 20; j++) {
    const s = spans[j * 25];
    logs.push({
      projectId: 1,
      timestamp: s.startTime,
      traceId: s.traceId,
      spanId: s.spanId,
      level: j % 10 === 0 ? 'error' : 'info',
      severityNumber: 9,
      body: `llm call finished for ${s.attributes['user.id']} in ${j} ms`,
      serviceName: s.serviceName,
      environment: 'production',
      release: '1.2.3',
      attributes: { model: models[j % 3] },
    });
    metrics.push({
      projectId: 1,
      timestamp: s.startTime,
      traceId: s.traceId,
      spanId: s.spanId,
      name: 'gen_ai.client.token.usage',
      type: 'distribution',
      value: 100 + ((first + j * 37) % 1000),
      unit: 'token',
      serviceName: s.serviceName,
      attributes: { 'gen_ai.request.model': models[j % 3] },
    });
  }
  return { spans, logs, metrics, errors: [], clientReports: [] };
}

async function writeAll(store, batches) {
  let next = 0;
  const worker = async () => {
    while (next < batches.length) await store.write(batches[next++]);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `p50 ${q(0.5).toFixed(2)} ms, p95 ${q(0.95).toFixed(2)} ms, max ${s[s.length - 1].toFixed(2)} ms`;
}

async function time(label, n, fn) {
  await fn(0);
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  console.log(`${label.padEnd(44)} ${stats(samples)}`);
}

const dir = mkdtempSync(join(tmpdir(), 'sieve-bench-'));
const store = clickhouseUrl ? new ClickHouseStore({ url: clickhouseUrl }) : new DuckDbStore({ dataDir: dir });
await store.open();
// Event-loop lateness while writing: how long ingest work holds the loop (a 5 ms interval probe).
let maxLate = 0;
let written = 0;
let firstBatch = null;
let writeMs = 0;
const traceIds = [];
const CHUNK = 100_000;
for (let base = 0; base < total; base += CHUNK) {
  const batches = [];
  for (let i = base; i < Math.min(total, base + CHUNK); i += BATCH_SPANS) batches.push(makeBatch(i));
  for (const b of batches)
    if (traceIds.length < 2000 && Math.random() < 0.05) traceIds.push(b.spans[0].traceId);
  firstBatch ??= batches[0];
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    maxLate = Math.max(maxLate, now - last - 5);
    last = now;
  }, 5);
  const t = performance.now();
  await writeAll(store, batches);
  writeMs += performance.now() - t;
  clearInterval(probe);
  written += batches.reduce((n, b) => n + b.spans.length, 0);
  // Every trace is whole in one batch here, so the summary must count exactly written / 10.
  const { total: traces } = await store.listTraces({ projectId: 1, limit: 1 });
  if (traces * SPANS_PER_TRACE !== written) {
    throw new Error(`expected ${written / SPANS_PER_TRACE} traces, got ${traces}`);
  }
}
const s = store.stats;
console.log(
  `ingest: ${written} spans (+${s.rows - written} logs/metrics) in ${(writeMs / 1000).toFixed(1)} s = ` +
    `${Math.round(written / (writeMs / 1000))} spans/s, ${Math.round(s.rows / (writeMs / 1000))} rows/s; ` +
    `${s.batches} writes in ${s.commits} commits; event loop held at most ${maxLate.toFixed(1)} ms`,
);

// Re-ingest of an already stored batch (SDK retry): every span is a duplicate.
{
  const retry = firstBatch;
  const before = store.stats.duplicates;
  const t = performance.now();
  await store.write(retry);
  console.log(
    `retry of a stored ${BATCH_SPANS}-span batch: ${(performance.now() - t).toFixed(1)} ms, duplicates dropped ${store.stats.duplicates - before}`,
  );
}

await time('getTrace (index on trace_id)', 200, (i) => store.getTrace(1, traceIds[i % traceIds.length]));
await time('listTraces first page (50)', 30, () => store.listTraces({ projectId: 1, limit: 50 }));
const page1 = await store.listTraces({ projectId: 1, limit: 50 });
await time('listTraces page 2 by cursor', 30, () =>
  store.listTraces({ projectId: 1, limit: 50, cursor: page1.nextCursor }),
);
await time('listTraces status=error', 20, () =>
  store.listTraces({ projectId: 1, limit: 50, status: 'error' }),
);
await time('listTraces model + hasAi + minDuration', 20, () =>
  store.listTraces({ projectId: 1, limit: 50, model: 'gpt-4o', hasAi: true, minDurationMs: 250 }),
);
await time('listTraces op=gen_ai.execute_tool', 20, () =>
  store.listTraces({ projectId: 1, limit: 50, op: 'gen_ai.execute_tool' }),
);
await time('listTraces q (text over spans)', 10, () =>
  store.listTraces({ projectId: 1, limit: 50, q: 'user-1234' }),
);
await time('listTraces attributes exact', 10, () =>
  store.listTraces({ projectId: 1, limit: 50, attributes: { 'user.id': 'user-1234' } }),
);
await time('listTraces last 15 min', 20, () =>
  store.listTraces({ projectId: 1, limit: 50, from: t0 + total * SPAN_GAP_MS - 900_000 }),
);
await time('queryLogs newest 100', 20, () => store.queryLogs({ projectId: 1, limit: 100 }));
await time('queryLogs q', 10, () => store.queryLogs({ projectId: 1, limit: 100, q: 'USER-42 ' }));
await time('queryLogs traceId', 20, (i) =>
  store.queryLogs({ projectId: 1, limit: 100, traceId: traceIds[i % traceIds.length] }),
);
await time('queryMetrics 1 min buckets, p50/p95/p99, by model', 10, () =>
  store.queryMetrics({
    projectId: 1,
    name: 'gen_ai.client.token.usage',
    intervalMs: 60_000,
    aggregates: ['count', 'avg', 'p50', 'p95', 'p99'],
    groupBy: 'gen_ai.request.model',
  }),
);
await time('samplingStats', 10, () => store.samplingStats({ projectId: 1 }));

const tDel = performance.now();
const deleted = await store.deleteOlderThan(t0 + total * SPAN_GAP_MS * 0.1);
console.log(`deleteOlderThan (oldest ~10%): ${deleted} rows in ${(performance.now() - tDel).toFixed(0)} ms`);

await store.close();
const size = clickhouseUrl ? '' : `file ${(statSync(join(dir, 'sieve.duckdb')).size / 1e6).toFixed(0)} MB; `;
console.log(`${size}rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
if (keep) console.log(`kept ${dir}`);
else rmSync(dir, { recursive: true, force: true });
