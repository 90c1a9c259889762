/**
 * Until the Sieve server lands, `npm start` runs this: two services on loopback, traced by @sieve/sdk
 * with the seeds' sampler, under a burst of mixed traffic. It prints what head sampling kept per route,
 * shows that every AI request was kept as a whole trace across both services, and one such trace.
 */
import { flush, getClient, InMemorySpanProcessor, init } from '@sieve/sdk';
import { keptByRoute, renderTree } from './report.js';
import { demoSampler } from './sampler.js';
import { startBackend, startEdge } from './services.js';

const REQUESTS = Number(process.env.DEMO_REQUESTS ?? 2000);
const ROUTES = ['/api/chat', '/search', '/payment', '/health', '/home'] as const;
const MIX = [0.1, 0.4, 0.1, 0.2, 0.2];

const memory = new InMemorySpanProcessor(1_000_000);
init({
  tracesSampler: demoSampler,
  spanProcessors: [memory],
  // With SIEVE_DSN (or SENTRY_DSN) set, everything is also sent there; without it nothing leaves the process.
});

const backend = await startBackend();
const edge = await startEdge(backend.url);
console.log(`edge ${edge.url}  backend ${backend.url}  sending ${REQUESTS} requests…`);

const sent = new Map<string, number>(ROUTES.map((r) => [r, 0]));
const pick = (i: number): string => {
  let x = ((i * 7919) % 1000) / 1000; // a fixed, well-spread mix
  for (let k = 0; k < ROUTES.length; k++) {
    x -= MIX[k]!;
    if (x < 0) return ROUTES[k]!;
  }
  return ROUTES[0];
};
const started = performance.now();
for (let batch = 0; batch < REQUESTS; batch += 20) {
  await Promise.all(
    Array.from({ length: Math.min(20, REQUESTS - batch) }, async (_, j) => {
      const route = pick(batch + j);
      sent.set(route, (sent.get(route) ?? 0) + 1);
      await (await fetch(`${edge.url}${route}`)).text();
    }),
  );
}
await new Promise((r) => setTimeout(r, 50));
const seconds = (performance.now() - started) / 1000;

const spans = memory.getFinishedSpans();
const kept = keptByRoute(spans, ROUTES, new URL(edge.url).port);
console.log(`\n${REQUESTS} requests in ${seconds.toFixed(1)} s; ${spans.length} spans recorded\n`);
console.log('route        sent   kept traces   kept %');
for (const route of ROUTES) {
  const s = sent.get(route) ?? 0;
  const k = kept.get(route) ?? 0;
  console.log(
    `${route.padEnd(12)} ${String(s).padStart(5)}   ${String(k).padStart(11)}   ${((100 * k) / Math.max(1, s)).toFixed(1).padStart(6)}`,
  );
}

// Every /api/chat request must be a whole trace: edge root, agent, tool, two fetches and two backend LLM calls.
const chatRoots = spans.filter((s) => s.isSegment && s.name === 'GET /api/chat');
const whole = chatRoots.filter(
  (root) => spans.filter((s) => s.traceId === root.traceId && s.op === 'gen_ai.chat').length === 2,
);
console.log(`\nAI requests kept whole across both services: ${whole.length} of ${sent.get('/api/chat')}`);
if (process.env.SIEVE_DSN === undefined && process.env.SENTRY_DSN === undefined) {
  // Without a server the counts are only shown; with one they go there as client reports.
  const dropped = getClient()?.takeDiscardedEvents() ?? [];
  console.log(
    `dropped by sampling (client report counts): ${dropped.map((d) => `${d.category} ${d.quantity}`).join(', ')}`,
  );
}

const example = whole[0];
if (example !== undefined) {
  console.log(`\none AI trace (${example.traceId}):`);
  console.log(renderTree(spans.filter((s) => s.traceId === example.traceId)));
}
if (process.env.DEMO_CONTINUOUS === '1') {
  // Keep traffic flowing (about 20 requests a second) until the process is stopped.
  console.log('\nsending about 20 requests a second until stopped…');
  let stop = false;
  process.once('SIGTERM', () => {
    stop = true;
  });
  for (let i = REQUESTS; !stop; i += 20) {
    memory.reset();
    await Promise.all(
      Array.from({ length: 20 }, (_, j) => fetch(`${edge.url}${pick(i + j)}`).then((r) => r.text())),
    );
    await new Promise((r) => setTimeout(r, 1000));
  }
  await flush(5000);
}
await edge.close();
await backend.close();
