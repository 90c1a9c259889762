/**
 * ThreadedDuckDbStore: the DuckDB store on its own worker thread behind the Store interface (what
 * `sieve serve` runs). Writes resolve after their commit and are readable at once, a malformed
 * batch is refused without reaching the thread, store errors keep their type (a bad cursor is
 * still an InvalidCursorError), and after close every call is refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { IngestBatch, SpanRow } from '../src/model.js';
import { DuckDbStore } from '../src/storage/duckdb/store.js';
import { ThreadedDuckDbStore } from '../src/storage/duckdb/thread.js';
import { InvalidCursorError } from '../src/store.js';

const dir = mkdtempSync(join(tmpdir(), 'sieve-thread-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_000;

function span(i: number, overrides: Partial<SpanRow> = {}): SpanRow {
  return {
    projectId: 1,
    traceId: (1000 + Math.floor(i / 3)).toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    parentSpanId: i % 3 === 0 ? null : (i - (i % 3) + 1).toString(16).padStart(16, '0'),
    name: i % 3 === 0 ? 'POST /chat' : 'chat gpt-4o',
    op: i % 3 === 0 ? 'http.server' : 'gen_ai.chat',
    kind: null,
    status: 'ok',
    statusMessage: null,
    startTime: T0 + i,
    endTime: T0 + i + 5,
    isSegment: i % 3 === 0,
    segmentId: null,
    serviceName: 'svc',
    environment: 'production',
    release: null,
    weight: 2,
    attributes: { 'gen_ai.request.model': 'gpt-4o', n: i, tags: ['a', 'b'] },
    source: 'otlp',
    operation: i % 3 === 0 ? null : 'chat',
    provider: null,
    model: i % 3 === 0 ? null : 'gpt-4o',
    inputTokens: i % 3 === 0 ? null : 10,
    outputTokens: i % 3 === 0 ? null : 5,
    cachedInputTokens: null,
    reasoningTokens: null,
    agentName: null,
    toolName: null,
    costUsd: null,
    ...overrides,
  };
}

const batch = (spans: SpanRow[]): IngestBatch => ({
  spans,
  logs: [],
  metrics: [],
  errors: [],
  clientReports: [],
});

test('the threaded store reads and writes like the in-process one', async () => {
  const store = new ThreadedDuckDbStore({ dataDir: dir });
  await store.open();
  const spans = Array.from({ length: 30 }, (_, i) => span(i));
  // Concurrent writes share commits on the thread; each resolves after its own commit.
  await Promise.all([store.write(batch(spans.slice(0, 15))), store.write(batch(spans.slice(15)))]);
  await store.write(batch(spans.slice(0, 3))); // a retry: duplicates only
  const stats = await store.stats();
  assert.equal(stats.duplicates, 3);
  assert.ok(stats.commits <= 3);

  const page = await store.listTraces({ projectId: 1, limit: 100 });
  assert.equal(page.total, 10);
  assert.equal(page.traces[0]?.spanCount, 3);
  assert.deepEqual(page.traces[0]?.models, ['gpt-4o']);
  const trace = await store.getTrace(1, spans[0]!.traceId);
  assert.deepEqual(
    trace.map((s) => s.spanId),
    spans.slice(0, 3).map((s) => s.spanId),
  );
  assert.deepEqual(trace[1]?.attributes, { 'gen_ai.request.model': 'gpt-4o', n: 1, tags: ['a', 'b'] });

  await assert.rejects(
    store.write(batch([span(99, { startTime: Number.NaN })])),
    /invalid span #0: startTime/,
  );
  await assert.rejects(store.listTraces({ projectId: 1, limit: 10, cursor: 'garbage' }), InvalidCursorError);
  await store.close();
  await assert.rejects(store.listTraces({ projectId: 1, limit: 10 }), /not open/);
  await assert.rejects(store.write(batch([span(100)])), /not open/);

  // What the thread committed is in the file.
  const direct = new DuckDbStore({ dataDir: dir });
  await direct.open();
  assert.equal((await direct.listTraces({ projectId: 1, limit: 1 })).total, 10);
  await direct.close();
});
