// The demo test: the agent demo against a real `sieve serve` (embedded DuckDB, loopback port),
// fallback rate 0.2 and AI routes at 1.0. Every agent run must arrive as a whole trace, and the stored
// token metrics must total exactly what the mock LLM server billed, sampled and unsampled traffic alike.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { close, flush, InMemorySpanProcessor, type ReadableSpan } from '@sieve/sdk';
import { type RunningServer, resolveConfig, type StoredSpan, startServer } from '@sieve/server';
import { type Demo, initTracing, startDemo } from '../src/demo.js';
import { runTraffic, type TrafficReport } from '../src/traffic.js';

let dataDir: string;
let server: RunningServer;
let demo: Demo;
let report: TrafficReport;
let startedAt: number;
const memory = new InMemorySpanProcessor(1_000_000);

interface MetricResult {
  series: { group: string | null; points: Record<string, number>[] }[];
}

/** A metric's aggregate over the whole test run, per value of `groupBy` (null: no groupBy / absent). */
async function metricTotal(
  name: string,
  aggregate: 'sum' | 'count',
  groupBy?: string,
): Promise<Map<string | null, number>> {
  const from = startedAt - 60_000;
  const to = Date.now() + 60_000;
  const params = new URLSearchParams({
    name,
    aggregates: aggregate,
    from: String(from),
    to: String(to),
    interval: String(to - from),
  });
  if (groupBy !== undefined) params.set('groupBy', groupBy);
  const response = await fetch(`${server.url}/api/v1/metrics?${params}`);
  const result = (await response.json()) as MetricResult;
  assert.equal(response.status, 200, `metrics ${name}: ${response.status} ${JSON.stringify(result)}`);
  const totals = new Map<string | null, number>();
  for (const series of result.series) {
    const total = series.points.reduce((sum, point) => sum + (point[aggregate] ?? 0), 0);
    totals.set(series.group, (totals.get(series.group) ?? 0) + total);
  }
  return totals;
}

async function storedTrace(traceId: string): Promise<StoredSpan[]> {
  const response = await fetch(`${server.url}/api/v1/traces/${traceId}`);
  if (response.status === 404) return [];
  return ((await response.json()) as { spans: StoredSpan[] }).spans;
}

/** Polls until `check` returns a value (the SDK sends asynchronously; ingest commits in batches). */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

before(async () => {
  startedAt = Date.now();
  dataDir = await mkdtemp(join(tmpdir(), 'sieve-agent-demo-'));
  server = await startServer(
    await resolveConfig(['--port', '0', '--data-dir', dataDir, '--retention-days', '0'], {}),
  );
  // Rescue off: with it, a dropped trace that calls an LLM is kept after all, and no LLM call would stay
  // unsampled; the metrics must add up without any trace to lean on.
  initTracing({ dsn: server.dsn, fallbackRate: 0.2, spanProcessors: [memory], rescue: false });
  // Random 500s/429s from the mock and fault markers in the traffic: failed calls must bill and count nothing.
  demo = await startDemo({ mock: { errorRate: 0.03, seed: 5 }, maxRetries: 1, paymentFailureRate: 0.1 });
  report = await runTraffic({
    baseUrl: demo.service.url,
    requests: 160,
    concurrency: 4,
    faultRate: 0.04,
    seed: 3,
  });
  // Two agent runs that surely fail (the mock answers 500 every time): failed runs must arrive whole too.
  for (let i = 0; i < 2; i++) {
    const failed = await fetch(`${demo.service.url}/api/agent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: `Where is order ${i}? [[mock:error=500]]` }),
    });
    assert.equal(failed.status, 502, await failed.text());
  }
  await flush(10_000);
});

after(async () => {
  await demo?.close();
  await close(2000);
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('agent demo against sieve serve', () => {
  it('drove mixed traffic, agent runs with tools and handoffs among it', () => {
    assert.ok(report.sent.agent >= 10, `agent requests: ${report.sent.agent}`);
    assert.ok(
      report.agentRuns.some((run) => run.handoffs > 0),
      'no handoff happened',
    );
    assert.ok(
      report.agentRuns.some((run) => run.toolCalls >= 2),
      'no multi-tool run',
    );
    assert.ok(report.sent.search > 0 && report.sent.recommendations > 0 && report.sent.health > 0);
  });

  it('keeps 100 % of agent runs as whole traces: every span stored, parent links intact', async () => {
    const local = memory.getFinishedSpans();
    const byTrace = new Map<string, ReadableSpan[]>();
    for (const span of local) byTrace.set(span.traceId, [...(byTrace.get(span.traceId) ?? []), span]);
    // Every /api/agent request was sampled (AI route at 1.0), answered or failed.
    const agentRoots = local.filter((s) => s.isSegment && s.name === 'POST /api/agent');
    assert.equal(agentRoots.length, report.sent.agent + 2);
    assert.ok(
      agentRoots.filter((root) => root.status.code === 2).length >= 2,
      'failed runs are marked as errors',
    );
    const answered = new Map(report.agentRuns.map((run) => [run.traceId, run]));
    assert.equal(answered.size, report.agentRuns.length);

    for (const root of agentRoots) {
      const expected = byTrace.get(root.traceId)!;
      const stored = await eventually(`trace ${root.traceId}`, async () => {
        const spans = await storedTrace(root.traceId);
        return spans.length >= expected.length ? spans : undefined;
      });
      assert.deepEqual(
        stored.map((s) => s.spanId).sort(),
        expected.map((s) => s.spanId).sort(),
        `trace ${root.traceId}: stored spans differ from the spans the SDK recorded`,
      );
      const ids = new Set(stored.map((s) => s.spanId));
      const roots = stored.filter((s) => s.parentSpanId === null);
      assert.equal(roots.length, 1, `trace ${root.traceId} has ${roots.length} roots`);
      assert.equal(roots[0]!.name, 'POST /api/agent');
      assert.equal(roots[0]!.attributes['sentry.sample_rate'], 1, 'an AI route is kept at rate 1');
      for (const span of stored) {
        if (span.parentSpanId !== null) assert.ok(ids.has(span.parentSpanId), `${span.name}: parent missing`);
        // The provider (the mock, in its own process) is not part of the app's trace.
        if (span !== roots[0])
          assert.notEqual(span.op, 'http.server', `${span.name}: a server span inside the run`);
      }
      const run = answered.get(root.traceId);
      if (run === undefined) continue; // a failed run: whole, but no counts to compare
      const count = (op: string) => stored.filter((s) => s.op === op).length;
      assert.equal(count('gen_ai.invoke_agent'), run.agents.length);
      assert.equal(count('gen_ai.execute_tool'), run.toolCalls);
      assert.equal(count('gen_ai.handoff'), run.handoffs);
      assert.equal(count('gen_ai.chat'), run.llmCalls, 'one span per LLM call');
    }
  });

  it('stores token metrics that total exactly what the mock billed, sampled and unsampled calls alike', async (t) => {
    const billed = await demo.mock.billed();
    t.diagnostic(
      `billed ${billed.calls} calls (${billed.byOperation.embeddings.calls} embeddings), ${billed.inputTokens} input ` +
        `(${billed.cachedTokens} cached), ${billed.outputTokens} output tokens; ${billed.errors} errors; ` +
        `${report.agentRuns.length} of ${report.sent.agent} agent runs answered`,
    );
    assert.ok(billed.calls > 0 && billed.byOperation.embeddings.calls > 0);
    // One input point per call that reported usage: wait until all of them are stored.
    await eventually("every call's token metrics", async () => {
      const count = await metricTotal('gen_ai.client.token.usage', 'count', 'gen_ai.token.type');
      return count.get('input') === billed.calls ? true : undefined;
    });
    const byType = await metricTotal('gen_ai.client.token.usage', 'sum', 'gen_ai.token.type');
    assert.equal(byType.get('input'), billed.inputTokens, 'input tokens');
    assert.equal(byType.get('output') ?? 0, billed.outputTokens, 'output tokens');
    const cached = await metricTotal('gen_ai.client.token.cached_input', 'sum');
    assert.equal(cached.get(null), billed.cachedTokens, 'cached input tokens');

    // /recommendations is not an AI route: most of its traces were dropped, yet every call was measured.
    const byRoute = await metricTotal('gen_ai.client.token.usage', 'sum', 'http.route');
    assert.equal(byRoute.get('/recommendations'), billed.byOperation.embeddings.inputTokens);
    const keptRecommendations = memory
      .getFinishedSpans()
      .filter((s) => s.isSegment && s.name === 'POST /recommendations').length;
    assert.ok(
      keptRecommendations < billed.byOperation.embeddings.calls,
      `${keptRecommendations} of ${billed.byOperation.embeddings.calls} /recommendations traces kept: nothing was unsampled`,
    );
  });

  it('samples the other routes at the fallback rate and never /health', () => {
    const roots = memory.getFinishedSpans().filter((s) => s.isSegment);
    const kept = (name: string) => roots.filter((s) => s.name === name).length;
    assert.equal(kept('GET /health'), 0);
    assert.ok(kept('GET /search') < report.sent.search, 'every /search request was kept at rate 0.2');
  });
});
