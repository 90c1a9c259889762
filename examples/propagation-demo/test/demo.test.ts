import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { close, getClient, InMemorySpanProcessor, init, type SamplingContext } from '@sieve/sdk';
import { keptByRoute, renderTree } from '../src/report.js';
import { demoSampler } from '../src/sampler.js';
import { type Service, startBackend, startEdge } from '../src/services.js';

const memory = new InMemorySpanProcessor();
let backend: Service;
let edge: Service;

before(async () => {
  init({ tracesSampler: demoSampler, spanProcessors: [memory], dsn: 'http://demo@127.0.0.1:9/1' });
  backend = await startBackend();
  edge = await startEdge(backend.url);
});
after(async () => {
  await edge.close();
  await backend.close();
  await close(0);
});

function ctx(name: string, extra: Partial<SamplingContext> = {}): SamplingContext {
  return {
    name,
    op: undefined,
    attributes: {},
    inheritOrSampleWith: (fallback) => fallback,
    transactionContext: { name, op: undefined, data: {} },
    ...extra,
  };
}

test('the demo sampler applies both seeds', () => {
  assert.equal(demoSampler(ctx('x', { attributes: { 'gen_ai.operation.name': 'chat' } })), 1);
  assert.equal(demoSampler(ctx('POST /api/chat')), 1);
  assert.equal(demoSampler(ctx('GET /health')), 0); // never sent
  assert.equal(
    demoSampler(ctx('GET /p', { request: { method: 'GET', url: '', path: '/payment', headers: {} } })),
    0.5,
  );
  assert.equal(
    demoSampler(ctx('GET /p', { request: { method: 'GET', url: '', path: '/search', headers: {} } })),
    0.01,
  );
  assert.equal(demoSampler(ctx('GET /home', { inheritOrSampleWith: () => 0.7 })), 0.7);
});

test('every AI request is kept as one whole trace across both services; /health never', async () => {
  for (let i = 0; i < 20; i++) {
    await (await fetch(`${edge.url}/api/chat`)).text();
    await (await fetch(`${edge.url}/health`)).text();
  }
  await new Promise((r) => setTimeout(r, 30));
  const spans = memory.getFinishedSpans();
  const kept = keptByRoute(spans, ['/api/chat', '/health'], new URL(edge.url).port);
  assert.equal(kept.get('/api/chat'), 20);
  assert.equal(kept.get('/health'), 0);
  for (const root of spans.filter((s) => s.isSegment && s.name === 'GET /api/chat')) {
    const trace = spans.filter((s) => s.traceId === root.traceId);
    const ops = trace.map((s) => s.op).sort();
    assert.deepEqual(ops, [
      'gen_ai.chat',
      'gen_ai.chat',
      'gen_ai.execute_tool',
      'gen_ai.invoke_agent',
      'http.client',
      'http.client',
      'http.server',
      'http.server',
      'http.server',
    ]);
    assert.match(renderTree(trace), /^ {2}http\.server {2}GET \/api\/chat/);
  }
  const drops = getClient()?.takeDiscardedEvents() ?? [];
  assert.equal(drops.find((d) => d.category === 'transaction')?.quantity, 20);
});
