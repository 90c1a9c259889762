/** Tail sampling end to end: real `@sieve/sdk` traffic into a real `sieve serve` with a policy file. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as Sieve from '@sieve/sdk';
import type { RunningServer } from '../src/cli.js';
import { traceRandom } from '../src/tail-sampling/policy.js';
import { parsePolicyFile } from '../src/tail-sampling/policy-file.js';
import type { TailSamplerStats } from '../src/tail-sampling/tail-sampler.js';
import { eventually, getJson, startTestServer } from './helpers.js';

const POLICY = `{
  "decisionWaitMs": 100,
  "maxTraceWaitMs": 5000,
  "policies": [
    { "type": "error", "name": "errors" },
    { "type": "gen_ai", "name": "ai" },
    { "type": "probabilistic", "rate": 0.1 }
  ]
}`;

let server: RunningServer;
before(async () => {
  server = await startTestServer({ tailSampling: parsePolicyFile(POLICY, 'policy.json') });
});
after(async () => {
  await server.stop();
});

type Kind = 'ai' | 'failed span' | 'error event' | 'plain' | 'half';
const SPANS: Record<Kind, number> = { ai: 3, 'failed span': 3, 'error event': 3, plain: 3, half: 2 };

test('errors and AI runs are all kept whole, plain traces ~10 % with multiplied weights, drops in the stats', async () => {
  Sieve.init({
    dsn: server.dsn,
    // Head sampling keeps everything except the "half" route (rate 0.5, weight 2 at the head).
    tracesSampler: ({ name }) => (name.startsWith('half') ? 0.5 : 1),
    httpServer: false,
    httpClient: false,
    fetch: false,
    openTelemetry: false,
  });
  const sent: Array<{ traceId: string; kind: Kind }> = [];
  let headDropped = 0;
  for (let i = 0; i < 600; i++) {
    const kind: Kind =
      i % 25 === 0
        ? 'ai'
        : i % 25 === 1
          ? 'failed span'
          : i % 25 === 2
            ? 'error event'
            : i % 3 === 0
              ? 'half'
              : 'plain';
    const traceId = Sieve.startSpan({ name: `${kind} ${i}`, op: 'http.server' }, (root) => {
      Sieve.startSpan({ name: 'load', op: 'db.query' }, () => {});
      if (kind === 'ai') {
        Sieve.startSpan(
          { name: 'chat gpt-4o', op: 'gen_ai.chat', attributes: { 'gen_ai.request.model': 'gpt-4o' } },
          () => {},
        );
      } else if (kind === 'failed span') {
        Sieve.startSpan({ name: 'call', op: 'http.client' }, (span) => {
          span.setStatus({ code: 2, message: 'internal_error' });
        });
      } else if (kind === 'error event') {
        Sieve.captureException(new Error(`boom ${i}`));
        Sieve.startSpan({ name: 'render', op: 'function' }, () => {});
      } else if (kind === 'plain') {
        Sieve.startSpan({ name: 'render', op: 'function' }, () => {});
      }
      const context = root.spanContext();
      return (context.traceFlags & 1) === 1 ? context.traceId : null;
    });
    // Only what the head kept reaches the server.
    if (traceId === null) headDropped++;
    else sent.push({ traceId, kind });
  }
  assert.equal(await Sieve.flush(10_000), true);
  await Sieve.close(2_000);

  // Every trace decided and committed.
  await eventually(async () => {
    const { body } = await getJson<{ tailSampling: TailSamplerStats }>(server, '/healthz');
    const s = body.tailSampling;
    return s.heldTraces === 0 && s.committing === 0 && s.keptTraces + s.droppedTraces > 0 ? s : undefined;
  });
  const { body: page } = await getJson<{
    traces: Array<{ traceId: string; weight: number; spanCount: number }>;
  }>(server, '/api/v1/traces?limit=1000');
  const stored = new Map(page.traces.map((t) => [t.traceId, t]));

  let plainSent = 0;
  let plainKept = 0;
  let expectedWeighted = 0;
  for (const { traceId, kind } of sent) {
    const trace = stored.get(traceId);
    if (kind === 'ai' || kind === 'failed span' || kind === 'error event') {
      assert.ok(trace, `${kind} trace ${traceId} kept`);
      assert.equal(trace.spanCount, SPANS[kind], `${kind} trace ${traceId} complete`);
      assert.equal(trace.weight, 1);
      expectedWeighted += 1;
      continue;
    }
    const lucky = traceRandom(traceId) < 0.1;
    if (kind === 'plain') plainSent++;
    assert.equal(
      trace !== undefined,
      lucky,
      `${kind} trace ${traceId} kept exactly when its tail draw is below 0.1`,
    );
    if (trace === undefined) continue;
    assert.equal(trace.spanCount, SPANS[kind], `${kind} trace ${traceId} complete`);
    // Head weight × tail weight: 1 × 10, and 2 × 10 for the route the head sampled at 0.5.
    assert.equal(trace.weight, kind === 'half' ? 20 : 10);
    expectedWeighted += trace.weight;
    if (kind === 'plain') plainKept++;
  }
  assert.ok(
    headDropped > 50 && headDropped < 150,
    `the head dropped ${headDropped} of the ~200 "half" traces`,
  );
  const rate = plainKept / plainSent;
  assert.ok(rate > 0.04 && rate < 0.17, `plain traces kept at ${rate} (${plainKept} of ${plainSent})`);

  const { body: sampling } = await getJson<{
    stored: { traces: number; weightedTraces: number };
    dropped: Array<{ reason: string; category: string; quantity: number }>;
  }>(server, '/api/v1/sampling');
  assert.equal(sampling.stored.traces, stored.size);
  assert.equal(sampling.stored.weightedTraces, expectedWeighted);
  const tail = (category: string) =>
    sampling.dropped.find((d) => d.reason === 'tail_sampling' && d.category === category)?.quantity ?? 0;
  // Every trace the tail dropped is counted: one transaction (segment) each, and all its spans.
  const droppedTraces = sent.filter(({ traceId }) => !stored.has(traceId));
  assert.equal(tail('transaction'), droppedTraces.length);
  assert.equal(
    tail('span'),
    droppedTraces.reduce((n, { kind }) => n + SPANS[kind], 0),
  );
  // The head's own drops come in the SDK's client report, beside the tail's.
  const head = sampling.dropped.find((d) => d.reason === 'sample_rate' && d.category === 'transaction');
  assert.equal(head?.quantity, headDropped);
});
