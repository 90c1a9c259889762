/**
 * Trace rescue under load: floods of dropped traces, traces that never end and one enormous trace keep
 * the buffer within its caps (spans and estimated bytes), the heap bounded, and every drop counted once.
 * Runs with --expose-gc (the package's test script passes it).
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { getClient, type SieveOptions, startInactiveSpan, startSpan } from '../src/index.js';
import { setup, teardown } from './helpers.js';

afterEach(teardown);

function start(rescue: SieveOptions['rescue']) {
  const memory = setup({ tracesSampleRate: 0, rescue, sendClientReports: false });
  const client = getClient()!;
  const counts = () => {
    const out: Record<string, number> = {};
    for (const d of client.takeDiscardedEvents()) out[`${d.reason}/${d.category}`] = d.quantity;
    return out;
  };
  return { memory, rescue: client.rescue!, counts };
}

function heapUsed(): number {
  global.gc?.();
  return process.memoryUsage().heapUsed;
}

test('200 000 dropped traces, some never ending: caps hold, heap stays bounded, every trace counted once', async () => {
  const maxBufferedSpans = 5000;
  const maxBufferedBytes = 1024 * 1024;
  const { memory, rescue, counts } = start({
    maxBufferedSpans,
    maxBufferedBytes,
    maxTraceDurationMs: 3_600_000,
  });
  const before = heapUsed();
  let peakHeap = before;
  const TRACES = 200_000;
  let neverEnded = 0;
  for (let i = 0; i < TRACES; i++) {
    // Every 10th root never ends (a leaked request); every trace leaves one child open for ever.
    const root = startInactiveSpan({
      name: 'GET /items',
      op: 'http.server',
      attributes: { 'url.path': '/items' },
    });
    startSpan({ name: 'handler', parentSpan: root }, () => {
      for (let c = 0; c < 4; c++) {
        startSpan(
          {
            name: 'db.query',
            op: 'db',
            attributes: { 'db.statement': 'SELECT * FROM items WHERE id = ?', row: c },
          },
          () => {},
        );
      }
      startInactiveSpan({ name: 'never ends' });
    });
    if (i % 10 === 9) neverEnded++;
    else root.end();
    if (i % 20_000 === 0) {
      await sleep(0);
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }
  }
  const stats = rescue.stats();
  assert.ok(stats.peakSpans <= maxBufferedSpans, `peak ${stats.peakSpans} spans`);
  assert.ok(stats.peakBytes <= maxBufferedBytes, `peak ${stats.peakBytes} bytes`);
  assert.ok(stats.evicted > 0, 'the never-ending roots were evicted');
  assert.deepEqual(memory.getFinishedSpans(), []);
  const c = counts();
  // Every trace exactly once: freed (a head drop), evicted (buffer_overflow) or still buffered.
  assert.equal(
    c['sample_rate/transaction']! + c['buffer_overflow/transaction']! + stats.traces,
    TRACES,
    JSON.stringify(c),
  );
  assert.equal(c['buffer_overflow/transaction'], stats.evicted);
  assert.equal(
    c['sample_rate/transaction'],
    TRACES - neverEnded,
    'the roots that ended were freed, not evicted',
  );
  // Ended spans: 6 per ended trace (root, handler, 4 queries), 5 per never-ending one, each counted once.
  const endedSpans = (TRACES - neverEnded) * 6 + neverEnded * 5;
  assert.equal(
    c['sample_rate/span']! + (c['buffer_overflow/span'] ?? 0) + stats.spans - stats.traces,
    endedSpans,
  );
  const grown = heapUsed() - before;
  assert.ok(peakHeap - before < 200 * 1024 * 1024, `peak heap growth ${(peakHeap - before) >> 20} MiB`);
  assert.ok(grown < 40 * 1024 * 1024, `heap growth ${grown >> 20} MiB after the flood`);
});

test('a trace that never ends is given up after maxTraceDurationMs and counted', async () => {
  const { rescue, counts, memory } = start({ maxTraceDurationMs: 20 });
  const stuck = startInactiveSpan({ name: 'stuck agent loop' });
  startSpan({ name: 'step', parentSpan: stuck }, () => {});
  await sleep(40);
  startSpan({ name: 'next request' }, () => {});
  assert.equal(rescue.stats().evicted, 1);
  assert.equal(rescue.stats().traces, 0);
  // Too late to rescue: an AI call now would make a partial trace, so nothing is sent.
  startSpan({ name: 'llm', op: 'gen_ai.chat', parentSpan: stuck }, () => {});
  stuck.end();
  assert.deepEqual(memory.getFinishedSpans(), []);
  assert.deepEqual(counts(), {
    'buffer_overflow/transaction': 1,
    'buffer_overflow/span': 3,
    'sample_rate/transaction': 1,
    'sample_rate/span': 1,
  });
});

test('one dropped trace of 100 000 spans stays within the caps and is not sent partial', async () => {
  const { rescue, counts, memory } = start({ maxBufferedSpans: 20_000 });
  const before = heapUsed();
  startSpan({ name: 'huge agent run' }, () => {
    for (let i = 0; i < 99_999; i++) startSpan({ name: 'step', attributes: { i } }, () => {});
    // The AI call comes after the trace was evicted: sending what is left would be a partial trace.
    startSpan({ name: 'llm', op: 'gen_ai.chat' }, () => {});
  });
  const stats = rescue.stats();
  assert.ok(stats.peakSpans <= 20_000, `peak ${stats.peakSpans}`);
  assert.ok(stats.peakBytes <= rescue.settings.maxBufferedBytes);
  assert.equal(stats.evicted, 1);
  assert.equal(stats.spans, 0);
  assert.deepEqual(memory.getFinishedSpans(), []);
  assert.deepEqual(counts(), { 'buffer_overflow/transaction': 1, 'buffer_overflow/span': 100_001 });
  assert.ok(heapUsed() - before < 20 * 1024 * 1024);
});

test('eviction is oldest first, and a rescue of a younger trace still sends it whole', () => {
  const { rescue, memory } = start({ maxBufferedSpans: 10 });
  const old = startInactiveSpan({ name: 'old' });
  for (let i = 0; i < 3; i++) startSpan({ name: 'o', parentSpan: old }, () => {});
  const young = startInactiveSpan({ name: 'young' });
  for (let i = 0; i < 5; i++) startSpan({ name: 'y', parentSpan: young }, () => {});
  assert.equal(rescue.stats().spans, 10);
  startSpan({ name: 'y', parentSpan: young }, () => {});
  assert.equal(rescue.stats().evicted, 1, 'the old trace went first');
  startSpan({ name: 'llm', op: 'gen_ai.chat', parentSpan: young }, () => {});
  young.end();
  assert.equal(memory.getFinishedSpans().length, 8, 'young, its 6 spans and the AI call');
  startSpan({ name: 'llm', op: 'gen_ai.chat', parentSpan: old }, () => {});
  old.end();
  assert.equal(memory.getFinishedSpans().length, 8, 'the evicted trace is not sent');
});
