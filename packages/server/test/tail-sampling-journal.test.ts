/** The durable pending area: held spans survive a crash, segments go once their traces are committed. */
import assert from 'node:assert/strict';
import { appendFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { emptyBatch, type IngestBatch } from '../src/model.js';
import { DuckDbStore } from '../src/storage/duckdb/store.js';
import type { PolicySpec } from '../src/tail-sampling/policy.js';
import { parsePolicyFile } from '../src/tail-sampling/policy-file.js';
import { storeLeftoverJournal, TailSampler } from '../src/tail-sampling/tail-sampler.js';
import { tempDir } from './helpers.js';
import { child, makeSpan, traceIdOf } from './tail-sampling-helpers.js';

const stores: DuckDbStore[] = [];
after(async () => {
  for (const store of stores) await store.close();
});

async function openStore(): Promise<DuckDbStore> {
  const store = new DuckDbStore({ path: ':memory:' });
  await store.open();
  stores.push(store);
  return store;
}

function settings(policies: PolicySpec[]) {
  return parsePolicyFile(JSON.stringify({ decisionWaitMs: 1_000, policies }), 'policy.json');
}

function traceBatch(n: number, spans = 5): IngestBatch {
  const traceId = traceIdOf(n);
  return {
    ...emptyBatch(),
    spans: [
      makeSpan({ traceId, spanId: 'f'.repeat(16) }),
      ...Array.from({ length: spans - 1 }, (_, i) => child(traceId, i + 1)),
    ],
  };
}

const noRest = async () => {};

test('held spans are read back after a crash and decided; segments are deleted once committed', async () => {
  const dataDir = await tempDir();
  let now = 0;
  const clock = () => now;
  const first = await TailSampler.start({
    settings: settings([{ type: 'always' }]),
    store: await openStore(),
    dataDir,
    now: clock,
    tickMs: 0,
  });
  for (let n = 1; n <= 20; n++) await first.write(traceBatch(n), noRest);
  assert.equal(first.stats.heldTraces, 20);
  // A torn last record: the crash hit mid-append, so that request was never acknowledged.
  const [segment] = await readdir(join(dataDir, 'tail-sampling'));
  await appendFile(join(dataDir, 'tail-sampling', segment!), '{"s":[{"projectId":1,"tra');
  // "kill -9": the first sampler is abandoned without stop().

  const store = await openStore();
  const second = await TailSampler.start({
    settings: settings([{ type: 'always' }]),
    store,
    dataDir,
    now: clock,
    tickMs: 0,
  });
  assert.equal(second.stats.heldTraces, 20);
  now = 1_000;
  await second.tick();
  await second.settled();
  const page = await store.listTraces({ projectId: 1, limit: 100 });
  assert.equal(page.total, 20);
  assert.ok(page.traces.every((t) => t.spanCount === 5));
  await second.stop();
  // Every trace of the old segment is committed: the segment is gone.
  const left = await readdir(join(dataDir, 'tail-sampling'));
  assert.ok(!left.includes(segment!), `${segment} deleted, left: ${left.join(', ')}`);
});

test('NDJSON segments of an older version are adopted: their traces are held and decided', async () => {
  const dataDir = await tempDir();
  await mkdir(join(dataDir, 'tail-sampling'), { recursive: true });
  const lines = [1, 2, 3].map((n) => JSON.stringify({ s: traceBatch(n).spans, e: [] }));
  await writeFile(join(dataDir, 'tail-sampling', 'pending-0000000001.ndjson'), `${lines.join('\n')}\n{"s":[`);
  const store = await openStore();
  let now = 0;
  const sampler = await TailSampler.start({
    settings: settings([{ type: 'always' }]),
    store,
    dataDir,
    now: () => now,
    tickMs: 0,
  });
  assert.equal(sampler.stats.heldTraces, 3);
  assert.ok(
    !(await readdir(join(dataDir, 'tail-sampling'))).some((f) => f.endsWith('.ndjson')),
    'the old file is gone once its lines are in the journal',
  );
  now = 1_000;
  await sampler.tick();
  await sampler.settled();
  assert.equal((await store.listTraces({ projectId: 1, limit: 10 })).total, 3);
  await sampler.stop();
});

test('dropped traces are reported and their segments released; kept late spans are stored with the request', async () => {
  const dataDir = await tempDir();
  let now = 0;
  const store = await openStore();
  const sampler = await TailSampler.start({
    settings: settings([{ type: 'error' }]),
    store,
    dataDir,
    now: () => now,
    tickMs: 0,
  });
  const failing = traceBatch(1);
  failing.spans[1] = { ...failing.spans[1]!, status: 'error' };
  await sampler.write(failing, noRest);
  await sampler.write(traceBatch(2), noRest);
  now = 1_000;
  await sampler.tick();
  await sampler.settled();
  const forwarded: IngestBatch[] = [];
  await sampler.write(
    { ...emptyBatch(), spans: [child(traceIdOf(1), 50), child(traceIdOf(2), 50)] },
    async (b) => {
      forwarded.push(b);
    },
  );
  assert.deepEqual(
    forwarded.flatMap((b) => b.spans.map((s) => s.traceId)),
    [traceIdOf(1)],
  );
  now = 2_000;
  await sampler.tick();
  await sampler.settled();
  const stats = await store.samplingStats({ projectId: 1 });
  const dropped = (category: string) =>
    stats.dropped.find((d) => d.reason === 'tail_sampling' && d.category === category)?.quantity;
  assert.equal(dropped('span'), 6, '5 decided + 1 late');
  assert.equal(dropped('transaction'), 1);
  assert.equal(stats.stored.traces, 1);
  await sampler.stop();
});

test('a start without --tail-sampling stores what a previous run held, whole, and removes the journal', async () => {
  const dataDir = await tempDir();
  const sampler = await TailSampler.start({
    settings: settings([{ type: 'drop' }]),
    store: await openStore(),
    dataDir,
    now: () => 0,
    tickMs: 0,
  });
  for (let n = 1; n <= 3; n++) await sampler.write(traceBatch(n, 4), noRest);
  await sampler.stop(); // undecided: they stay in the journal

  const store = await openStore();
  assert.equal(await storeLeftoverJournal(dataDir, store), 12);
  assert.equal((await store.listTraces({ projectId: 1, limit: 10 })).total, 3);
  assert.deepEqual(
    (await readdir(dataDir)).filter((f) => f === 'tail-sampling'),
    [],
  );
  assert.equal(await storeLeftoverJournal(dataDir, store), 0);
});

test('segments rotate; a segment stays while a trace in it is undecided', async () => {
  const dataDir = await tempDir();
  let now = 0;
  const sampler = await TailSampler.start({
    settings: settings([{ type: 'always' }]),
    store: await openStore(),
    dataDir,
    now: () => now,
    tickMs: 0,
  });
  const files = async () => (await readdir(join(dataDir, 'tail-sampling'))).sort();
  // A trace without its root: undecided until the fallback (300 s by default).
  await sampler.write({ ...emptyBatch(), spans: [child(traceIdOf(1), 1)] }, noRest);
  await sampler.write(traceBatch(2), noRest);
  const [first] = await files();
  now = 31_000; // past the 30 s rotation
  await sampler.write(traceBatch(3), noRest);
  await sampler.tick(); // trace 2 (root at 0) and 3 are due at 1 s and 32 s: only 2 is decided
  await sampler.settled();
  assert.deepEqual((await files()).length, 2, 'trace 1 pins the first segment');
  now = 300_000;
  await sampler.tick();
  await sampler.settled();
  await sampler.stop();
  assert.ok(!(await files()).includes(first!), 'released once trace 1 was decided and committed');
});

test('overflow: traces decided early for the bounds are visible in the sampling stats', async () => {
  const store = await openStore();
  const sampler = await TailSampler.start({
    settings: parsePolicyFile(JSON.stringify({ maxTraces: 5, policies: [{ type: 'error' }] }), 'policy.json'),
    store,
    dataDir: await tempDir(),
    now: () => 0,
    tickMs: 0,
  });
  for (let n = 1; n <= 20; n++) await sampler.write(traceBatch(n, 3), noRest);
  await sampler.settled();
  assert.equal(sampler.stats.heldTraces, 5);
  assert.equal(sampler.stats.earlyDecisions, 15);
  const { dropped } = await store.samplingStats({ projectId: 1 });
  assert.deepEqual(
    dropped
      .filter((d) => d.reason === 'tail_sampling_overflow')
      .sort((a, b) => a.category.localeCompare(b.category)),
    [
      { reason: 'tail_sampling_overflow', category: 'span', quantity: 45 },
      { reason: 'tail_sampling_overflow', category: 'transaction', quantity: 15 },
    ],
  );
  await sampler.stop();
});
