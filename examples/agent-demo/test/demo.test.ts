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
const memory = new InMemorySpanProcessor(1_000_000);

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
  dataDir = await mkdtemp(join(tmpdir(), 'sieve-agent-demo-'));
  server = await startServer(
    await resolveConfig(['--port', '0', '--data-dir', dataDir, '--retention-days', '0'], {}),
  );
  initTracing({ dsn: server.dsn, fallbackRate: 0.2, spanProcessors: [memory] });
  // Random 500s/429s from the mock and fault markers in the traffic: failed calls must bill and count nothing.
  demo = await startDemo({ mock: { errorRate: 0.03, seed: 5 }, maxRetries: 1, paymentFailureRate: 0.1 });
  report = await runTraffic({
    baseUrl: demo.service.url,
    requests: 160,
    concurrency: 4,
    faultRate: 0.04,
    seed: 3,
  });
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
    assert.equal(agentRoots.length, report.sent.agent);
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
      }
      const run = answered.get(root.traceId);
      if (run === undefined) continue; // a failed run: whole, but no counts to compare
      const count = (op: string) => stored.filter((s) => s.op === op).length;
      assert.equal(count('gen_ai.invoke_agent'), run.agents.length);
      assert.equal(count('gen_ai.execute_tool'), run.toolCalls);
      assert.equal(count('gen_ai.handoff'), run.handoffs);
    }
  });

  it('samples the other routes at the fallback rate and never /health', () => {
    const roots = memory.getFinishedSpans().filter((s) => s.isSegment);
    const kept = (name: string) => roots.filter((s) => s.name === name).length;
    assert.equal(kept('GET /health'), 0);
    assert.ok(kept('GET /search') < report.sent.search, 'every /search request was kept at rate 0.2');
  });
});
