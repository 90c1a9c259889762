/**
 * The traffic simulation of issue 7, with known ground truth: 10 000 requests over real loopback HTTP to
 * a node:http app instrumented by @sieve/sdk (head rate 0.1, trace rescue at its defaults; the app runs
 * in its own process, test/fixtures/rescue-traffic.mjs), 5 % running an agent (gen_ai spans nested in the
 * handler), 2 % answering 500, into a real `sieve serve` (in this process, DuckDB on disk).
 *
 * What must hold: every AI request and every failed request is stored as a complete trace at weight 1;
 * every stored trace is complete (all its spans, parent links intact); plain traffic is stored at 10 %
 * within 3 σ of the binomial; the request count extrapolated from stored weights is within 5 % of the
 * truth; client reports count each dropped trace once.
 *
 * Statistics: N plain = 9 300 at p = 0.1. The kept fraction has σ = √(p(1−p)/N) = 0.31 points, so the
 * bound is ±0.93 points (3 σ). The Horvitz–Thompson count Σ w has σ = √(N(1−p)/p) = 289 requests, 2.9 %
 * of 10 000: a 5 % bound is only 1.7 σ, so the run uses fixed seeds (the sample_rand draws and the mix;
 * requests go one at a time so each draw meets the same request every run). The test is deterministic,
 * and it also checks what makes the estimate unbiased whatever the seed: each stored trace's exact weight.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunningServer } from '../src/cli.js';
import type { StoredSpan, TraceSummary } from '../src/store.js';
import { getJson, run, startTestServer, tempDir } from './helpers.js';

const REQUESTS = 10_000;
const RATE = 0.1;

interface Truth {
  traceId: string;
  kind: 'ai' | 'fail' | 'plain';
  status: number;
}

/** Span names each kind of request makes (the root is `GET /api/<route>/<i>`). */
const EXPECTED: Record<Truth['kind'], string[]> = {
  ai: ['chat gpt-4o', 'execute_tool search', 'invoke_agent support', 'load user', 'render'],
  fail: ['charge card', 'load user', 'render'],
  plain: ['load user', 'render'],
};

let server: RunningServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

async function allTraces(): Promise<TraceSummary[]> {
  const out: TraceSummary[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `/api/v1/traces?limit=1000&from=0${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const { status, body } = await getJson<{ traces: TraceSummary[]; nextCursor: string | null }>(
      server,
      query,
    );
    assert.equal(status, 200);
    out.push(...body.traces);
    cursor = body.nextCursor;
  } while (cursor !== null);
  return out;
}

/** Fetches traces a few at a time (the server answers each from DuckDB). */
async function fetchTraces(ids: string[]): Promise<Map<string, StoredSpan[]>> {
  const out = new Map<string, StoredSpan[]>();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const { status, body } = await getJson<{ spans: StoredSpan[] }>(server, `/api/v1/traces/${id}`);
      assert.equal(status, 200, `trace ${id}`);
      out.set(id, body.spans);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
}

test('10 000 requests, 5 % AI, 2 % failing, head rate 0.1: rescue keeps every AI run and failure whole, weights extrapolate', async () => {
  const out = join(await tempDir('sieve-rescue-'), 'truth.json');
  const fixture = fileURLToPath(new URL('./fixtures/rescue-traffic.mjs', import.meta.url));
  await run(
    process.execPath,
    [fixture],
    { DSN: server.dsn, REQUESTS: String(REQUESTS), SEED: '7', OUT: out },
    120_000,
  );
  const result = JSON.parse(await readFile(out, 'utf8')) as {
    truth: Truth[];
    trafficMs: number;
    flushed: boolean;
    closed: boolean;
    rescue: { peakSpans: number; peakBytes: number; evicted: number };
  };
  assert.equal(result.flushed, true, 'the SDK delivered everything');
  const truth = new Map(result.truth.map((t) => [t.traceId, t]));
  assert.equal(truth.size, REQUESTS, 'one trace per request');
  const count = (kind: Truth['kind']) => result.truth.filter((t) => t.kind === kind).length;
  assert.deepEqual([count('ai'), count('fail'), count('plain')], [500, 200, 9300]);
  assert.equal(result.rescue.evicted, 0, 'the default caps hold this traffic without giving up a trace');

  const stored = await allTraces();
  const spansByTrace = await fetchTraces(stored.map((t) => t.traceId));
  const keptByKind = { ai: 0, fail: 0, plain: 0 };
  for (const summary of stored) {
    const t = truth.get(summary.traceId);
    assert.ok(t, `stored trace ${summary.traceId} belongs to a request`);
    keptByKind[t.kind]++;
    // Complete: the root and every span the handler made, each parent present in the trace.
    const spans = spansByTrace.get(summary.traceId)!;
    const root = spans.find((s) => s.parentSpanId === null);
    assert.ok(root, `${t.kind} trace ${summary.traceId} has its root`);
    assert.equal(root.op, 'http.server');
    assert.deepEqual(
      spans
        .filter((s) => s !== root)
        .map((s) => s.name)
        .sort(),
      EXPECTED[t.kind],
      `${t.kind} trace ${summary.traceId} is complete`,
    );
    const ids = new Set(spans.map((s) => s.spanId));
    for (const s of spans) if (s !== root) assert.ok(ids.has(s.parentSpanId!), `${s.name} has its parent`);
    // Weights: AI runs and failures are kept with probability 1 (head or rescue), the rest at 0.1.
    const rate = t.kind === 'plain' ? RATE : 1;
    assert.equal(root.attributes['sentry.sample_rate'], rate, `${t.kind} root rate`);
    assert.equal(summary.weight, 1 / rate, `${t.kind} trace weight`);
    if (t.kind !== 'plain' && root.attributes['sieve.rescued'] !== undefined) {
      assert.equal(root.attributes['sieve.rescued'], t.kind === 'ai' ? 'gen_ai' : 'error');
    }
    if (t.kind === 'fail') assert.equal(root.status, 'error');
  }
  assert.equal(keptByKind.ai, 500, 'every AI request stored');
  assert.equal(keptByKind.fail, 200, 'every failed request stored');
  const rescued = [...spansByTrace.values()].filter((spans) =>
    spans.some((s) => s.parentSpanId === null && s.attributes['sieve.rescued'] !== undefined),
  ).length;
  assert.ok(rescued > 500, `most AI and failed traces were rescued (the head kept ~10 %): ${rescued}`);

  // Plain traffic at 10 %, within 3 σ of the binomial.
  const plain = count('plain');
  const sigma = Math.sqrt((RATE * (1 - RATE)) / plain);
  const keptShare = keptByKind.plain / plain;
  assert.ok(Math.abs(keptShare - RATE) <= 3 * sigma, `plain kept ${(keptShare * 100).toFixed(2)} %`);

  // The extrapolated request count: Σ weights, from the trace list and from the sampling stats.
  const estimate = stored.reduce((sum, t) => sum + t.weight, 0);
  assert.ok(
    Math.abs(estimate - REQUESTS) <= 0.05 * REQUESTS,
    `estimated ${estimate} requests of ${REQUESTS}`,
  );
  const { body: sampling } = await getJson(server, '/api/v1/sampling?from=0');
  assert.equal(sampling.stored.traces, stored.length);
  assert.ok(Math.abs(sampling.stored.weightedTraces - estimate) < 1e-6, JSON.stringify(sampling.stored));
  // Client reports: each plain trace the head dropped counted once; nothing else lost on the way.
  const dropped = Object.fromEntries(
    (sampling.dropped as Array<{ reason: string; category: string; quantity: number }>).map((d) => [
      `${d.reason}/${d.category}`,
      d.quantity,
    ]),
  );
  assert.deepEqual(dropped, {
    'sample_rate/transaction': plain - keptByKind.plain,
    'sample_rate/span': (plain - keptByKind.plain) * 3,
  });
  console.log(
    `rescue simulation: ${REQUESTS} requests in ${result.trafficMs} ms; stored ${stored.length} traces ` +
      `(${rescued} rescued), plain kept ${(keptShare * 100).toFixed(2)} %, estimated ${estimate} requests ` +
      `(${(((estimate - REQUESTS) / REQUESTS) * 100).toFixed(2)} %); rescue buffer peak ${result.rescue.peakSpans} spans, ` +
      `${Math.round(result.rescue.peakBytes / 1024)} KiB`,
  );
});
