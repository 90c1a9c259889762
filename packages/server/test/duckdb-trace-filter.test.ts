/**
 * The writer's trace filter (a Bloom filter over stored trace ids): never a false "no", few false
 * "maybe"s; and the store around it: a trace that already has a summary row is merged into it,
 * not given a second one, whether the filter was built at open or grew since, and after retention
 * deleted a trace its spans are stored again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { IngestBatch, SpanRow } from '../src/model.js';
import { DuckDbStore } from '../src/storage/duckdb/store.js';
import { TraceFilter } from '../src/storage/duckdb/trace-filter.js';
import { NO_AI } from './no-ai.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('no false negatives; false positives near the designed rate', () => {
  const filter = new TraceFilter(100_000);
  for (let i = 0; i < 100_000; i++) filter.add(1, i.toString(16).padStart(32, '0'));
  for (let i = 0; i < 100_000; i++) assert.ok(filter.mightContain(1, i.toString(16).padStart(32, '0')));
  let positives = 0;
  for (let i = 100_000; i < 200_000; i++)
    if (filter.mightContain(1, i.toString(16).padStart(32, '0'))) positives++;
  assert.ok(positives < 1000, `${positives} false positives in 100k (designed ~0.24%)`);
  // The project is part of the key.
  let otherProject = 0;
  for (let i = 0; i < 10_000; i++)
    if (filter.mightContain(2, i.toString(16).padStart(32, '0'))) otherProject++;
  assert.ok(otherProject < 100);
  assert.equal(filter.full, false);
});

function span(traceId: string, spanId: string, start: number, parentSpanId: string | null = null): SpanRow {
  return {
    projectId: 1,
    traceId,
    spanId,
    parentSpanId,
    name: parentSpanId ? 'child' : 'root',
    op: null,
    kind: null,
    status: 'ok',
    statusMessage: null,
    startTime: start,
    endTime: start + 5,
    isSegment: parentSpanId === null,
    segmentId: null,
    serviceName: 'svc',
    environment: null,
    release: null,
    weight: 1,
    attributes: {},
    source: 'sentry',
    ...NO_AI,
  };
}

const batch = (spans: SpanRow[]): IngestBatch => ({
  spans,
  logs: [],
  metrics: [],
  errors: [],
  clientReports: [],
});

test('a trace continued after a reopen, after the filter grew, and after retention', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sieve-trace-filter-'));
  dirs.push(dir);
  const T0 = 1_700_000_000_000;
  const old = 'a'.repeat(32);
  let store = new DuckDbStore({ dataDir: dir });
  await store.open();
  await store.write(batch([span(old, '1'.repeat(16), T0)]));
  await store.close();

  // Reopened: the filter is rebuilt from the file, so the second request merges into the summary.
  store = new DuckDbStore({ dataDir: dir });
  await store.open();
  await store.write(
    batch([span(old, '1'.repeat(16), T0), span(old, '2'.repeat(16), T0 + 1, '1'.repeat(16))]),
  );
  let page = await store.listTraces({ projectId: 1, limit: 10 });
  assert.equal(page.total, 1, 'one summary row');
  assert.equal(page.traces[0]?.spanCount, 2);
  assert.equal(store.stats.duplicates, 1);

  // Past the filter's initial capacity (65,536 traces) it is rebuilt larger; nothing is lost.
  const many: SpanRow[] = [];
  for (let i = 0; i < 70_000; i++)
    many.push(span(`b${i.toString(16).padStart(31, '0')}`, '3'.repeat(16), T0 + 10_000 + i));
  await store.write(batch(many));
  await store.write(batch([span(old, '4'.repeat(16), T0 + 2, '1'.repeat(16)), many[0]!]));
  page = await store.listTraces({ projectId: 1, limit: 1, to: T0 + 5000 });
  assert.equal(page.total, 1);
  assert.equal(page.traces[0]?.spanCount, 3);
  assert.equal((await store.listTraces({ projectId: 1, limit: 1 })).total, 70_001);
  assert.equal(store.stats.duplicates, 2, 'the re-sent span of a new trace is a duplicate too');

  // Retention removes the old trace whole; sent again, it is a new trace.
  await store.deleteOlderThan(T0 + 5000);
  await store.write(batch([span(old, '1'.repeat(16), T0)]));
  page = await store.listTraces({ projectId: 1, limit: 1, to: T0 + 5000 });
  assert.equal(page.total, 1);
  assert.equal(page.traces[0]?.spanCount, 1);
  assert.equal((await store.getTrace(1, old)).length, 1);
  await store.close();
});
