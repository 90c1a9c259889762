/**
 * Store.listAgentRuns on a real DuckDB (':memory:') and GET /api/v1/agent-runs on a real server:
 * which spans are run roots, the figures summed over each run's subtree, filters and cursors; and
 * the logs attribute filter (`attr.<key>=<value>`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IngestBatch, LogRow, SpanRow } from '../src/model.js';
import { DuckDbStore } from '../src/storage/duckdb/store.js';
import type { AgentRunSummary } from '../src/store.js';
import { getJson, startTestServer } from './helpers.ts';

const T0 = 1_700_000_000_000;
let counter = 0;
const hex = (len: number) => (++counter).toString(16).padStart(len, '0');

function span(traceId: string, o: Partial<SpanRow> & { startTime: number }): SpanRow {
  return {
    projectId: 1,
    traceId,
    spanId: hex(16),
    parentSpanId: null,
    name: 'span',
    op: null,
    kind: null,
    status: 'ok',
    statusMessage: null,
    endTime: o.startTime + 10,
    isSegment: false,
    segmentId: null,
    serviceName: 'svc',
    environment: null,
    release: null,
    weight: 1,
    attributes: {},
    source: 'sentry',
    operation: null,
    provider: null,
    model: null,
    inputTokens: null,
    outputTokens: null,
    cachedInputTokens: null,
    reasoningTokens: null,
    agentName: null,
    toolName: null,
    ...o,
  };
}

function batch(parts: Partial<IngestBatch>): IngestBatch {
  return { spans: [], logs: [], metrics: [], errors: [], clientReports: [], ...parts };
}

/**
 * An HTTP request whose handler runs agent `agent`: two chat calls, a tool, a handoff to a sub-agent
 * with its own chat call, and an HTTP client span under a chat call (not AI: part of the run).
 */
function agentTrace(
  start: number,
  agent: string,
  model: string,
  opts: { fail?: boolean; cost?: boolean } = {},
) {
  const traceId = hex(32);
  const http = span(traceId, {
    name: 'POST /chat',
    op: 'http.server',
    startTime: start,
    endTime: start + 1000,
    isSegment: true,
  });
  const root = span(traceId, {
    parentSpanId: http.spanId,
    name: `invoke_agent ${agent}`,
    startTime: start + 10,
    endTime: start + 900,
    operation: 'invoke_agent',
    agentName: agent,
    status: opts.fail ? 'error' : 'ok',
    attributes: opts.cost ? { 'gen_ai.cost.total_usd': 99 } : {},
  });
  const chat = (at: number, parent: string, input: number, output: number, cost?: number) =>
    span(traceId, {
      parentSpanId: parent,
      name: `chat ${model}`,
      startTime: at,
      endTime: at + 100,
      operation: 'chat',
      model,
      inputTokens: input,
      outputTokens: output,
      attributes: cost === undefined ? {} : { 'gen_ai.cost.total_usd': cost },
    });
  const chat1 = chat(start + 20, root.spanId, 100, 10, opts.cost ? 0.25 : undefined);
  const httpClient = span(traceId, {
    parentSpanId: chat1.spanId,
    name: 'POST api.openai.com',
    op: 'http.client',
    startTime: start + 25,
  });
  const tool = span(traceId, {
    parentSpanId: root.spanId,
    name: 'execute_tool lookup',
    startTime: start + 200,
    operation: 'execute_tool',
    toolName: 'lookup',
    status: opts.fail ? 'error' : 'ok',
  });
  const sub = span(traceId, {
    parentSpanId: root.spanId,
    name: 'invoke_agent helper',
    startTime: start + 300,
    endTime: start + 950,
    operation: 'invoke_agent',
    agentName: 'helper',
  });
  const chat2 = chat(start + 310, sub.spanId, 50, 5, opts.cost ? 0.5 : undefined);
  const chat3 = chat(start + 700, root.spanId, 200, 20);
  return { traceId, root, spans: [http, root, chat1, httpClient, tool, sub, chat2, chat3] };
}

describe('DuckDbStore.listAgentRuns', () => {
  const store = new DuckDbStore({ path: ':memory:' });
  const a = agentTrace(T0, 'support', 'gpt-4o', { cost: true });
  const b = agentTrace(T0 + 10_000, 'billing', 'claude-sonnet', { fail: true });
  // An LLM call made outside any agent is a run of its own.
  const loneTrace = hex(32);
  const lone = span(loneTrace, {
    name: 'chat gpt-4o-mini',
    startTime: T0 + 20_000,
    operation: 'chat',
    model: 'gpt-4o-mini',
    inputTokens: 7,
    outputTokens: 3,
  });
  const plain = span(hex(32), { name: 'GET /health', op: 'http.server', startTime: T0 + 30_000 });

  before(async () => {
    await store.open();
    await store.write(batch({ spans: [...a.spans, ...b.spans, lone, plain] }));
  });
  after(() => store.close());

  test('roots are AI spans without an AI parent, newest first, with their subtree summed', async () => {
    const page = await store.listAgentRuns({ projectId: 1, limit: 10 });
    assert.deepEqual(
      page.runs.map((r) => r.name),
      ['chat gpt-4o-mini', 'invoke_agent billing', 'invoke_agent support'],
    );
    assert.equal(page.nextCursor, null);
    const support = page.runs[2]!;
    const expected: AgentRunSummary = {
      traceId: a.traceId,
      spanId: a.root.spanId,
      name: 'invoke_agent support',
      operation: 'invoke_agent',
      agentName: 'support',
      models: ['gpt-4o'],
      startTime: T0 + 10,
      // The sub-agent ends after the root: the run lasts until its last span ends.
      endTime: T0 + 950,
      durationMs: 940,
      status: 'ok',
      spanCount: 7,
      errorCount: 0,
      llmCalls: 3,
      toolCalls: 1,
      handoffs: 1,
      inputTokens: 350,
      outputTokens: 35,
      // The calls' costs, not the agent span's own total (99), which would count them twice.
      costUsd: 0.75,
      serviceName: 'svc',
    };
    assert.deepEqual(support, expected);
    const billing = page.runs[1]!;
    assert.equal(billing.status, 'error');
    assert.equal(billing.errorCount, 2);
    assert.equal(billing.costUsd, null);
    const loneRun = page.runs[0]!;
    assert.deepEqual(
      [loneRun.operation, loneRun.llmCalls, loneRun.toolCalls, loneRun.inputTokens, loneRun.spanCount],
      ['chat', 1, 0, 7, 1],
    );
  });

  test('filters by agent, model, status and time; pages by cursor without repeats', async () => {
    const names = async (q: Partial<Parameters<typeof store.listAgentRuns>[0]>) =>
      (await store.listAgentRuns({ projectId: 1, limit: 10, ...q })).runs.map((r) => r.name);
    assert.deepEqual(await names({ agent: 'support' }), ['invoke_agent support']);
    assert.deepEqual(await names({ model: 'claude-sonnet' }), ['invoke_agent billing']);
    assert.deepEqual(await names({ status: 'error' }), ['invoke_agent billing']);
    assert.deepEqual(await names({ from: T0 + 5000, to: T0 + 15_000 }), ['invoke_agent billing']);
    assert.deepEqual(await names({ agent: 'nobody' }), []);
    assert.deepEqual(await names({ projectId: 2 }), []);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listAgentRuns({ projectId: 1, limit: 1, cursor });
      assert.ok(page.runs.length <= 1);
      seen.push(...page.runs.map((r) => r.name));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(seen, ['chat gpt-4o-mini', 'invoke_agent billing', 'invoke_agent support']);
  });

  test('a root whose trace has a parent cycle is still summed once per span', async () => {
    const traceId = hex(32);
    const x = span(traceId, { name: 'invoke_agent loop', startTime: T0 + 40_000, operation: 'invoke_agent' });
    const y = span(traceId, {
      name: 'tool',
      startTime: T0 + 40_001,
      operation: 'execute_tool',
      parentSpanId: x.spanId,
    });
    const z = span(traceId, { name: 'plain', startTime: T0 + 40_002, parentSpanId: y.spanId });
    // x's own parent is z (bad input): x still counts as a root because z is not an AI span.
    x.parentSpanId = z.spanId;
    await store.write(batch({ spans: [x, y, z] }));
    const run = (await store.listAgentRuns({ projectId: 1, limit: 1 })).runs[0]!;
    assert.equal(run.name, 'invoke_agent loop');
    assert.equal(run.spanCount, 3);
    assert.equal(run.toolCalls, 1);
  });
});

describe('GET /api/v1/agent-runs and /api/v1/sampling?interval', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  test('bad parameters are 400s naming them; an empty store is an empty page', async () => {
    let r = await getJson(server, '/api/v1/agent-runs?status=broken');
    assert.equal(r.status, 400);
    assert.match(r.body.error, /status/);
    r = await getJson(server, '/api/v1/agent-runs?cursor=nonsense');
    assert.equal(r.status, 400);
    r = await getJson(server, '/api/v1/agent-runs?limit=5&agent=x');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { runs: [], nextCursor: null });
  });

  test('sampling timeline: interval needs from and a sane bucket count', async () => {
    let r = await getJson(server, '/api/v1/sampling?interval=5m');
    assert.equal(r.status, 400);
    assert.match(r.body.error, /interval.*from/);
    r = await getJson(server, '/api/v1/sampling?interval=1ms&from=0&to=100000000');
    assert.equal(r.status, 400);
    r = await getJson(server, `/api/v1/sampling?interval=5m&from=${Date.now() - 3_600_000}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.timeline, []);
  });
});

describe('DuckDbStore.queryLogs attribute filter', () => {
  test('matches exact attribute values, with other filters', async () => {
    const store = new DuckDbStore({ path: ':memory:' });
    await store.open();
    try {
      const log = (body: string, attributes: LogRow['attributes']): LogRow => ({
        projectId: 1,
        timestamp: T0 + counter++,
        traceId: null,
        spanId: null,
        level: 'info',
        severityNumber: 9,
        body,
        serviceName: null,
        environment: null,
        release: null,
        attributes,
      });
      await store.write(
        batch({
          logs: [
            log('a', { model: 'gpt-4o', n: 3 }),
            log('b', { model: 'gpt-4o-mini' }),
            log('c', { 'odd "key"': 'x"y' }),
          ],
        }),
      );
      const bodies = async (attributes: Record<string, string>) =>
        (await store.queryLogs({ projectId: 1, limit: 10, attributes })).logs.map((l) => l.body);
      assert.deepEqual(await bodies({ model: 'gpt-4o' }), ['a']);
      assert.deepEqual(await bodies({ n: '3' }), ['a']);
      assert.deepEqual(await bodies({ 'odd "key"': 'x"y' }), ['c']);
      assert.deepEqual(await bodies({ model: 'gpt' }), []);
    } finally {
      await store.close();
    }
  });
});
