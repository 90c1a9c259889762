// Timing loop shared by every peer. It runs inside the peer's own child process, so whatever the library
// patches globally (async context, the OpenTelemetry API globals, Sentry's carrier) is patched once and
// only for that library.

import { setImmediate as nextTurn } from 'node:timers/promises';

/** Spans each root gets in the child rows: the root's own cost is spread over these. */
export const CHILDREN_PER_ROOT = 100;

/** The three rows of the table. */
export const SCENARIOS = {
  sampled: { title: 'sampled child', children: CHILDREN_PER_ROOT },
  unsampled: { title: 'unsampled child', children: CHILDREN_PER_ROOT },
  sampler: { title: 'sampler call / root', children: 0 },
};

// One round is ~10k measured spans whatever the row, so a round costs the same bookkeeping everywhere.
const ROUND_SPANS = 10_000;
// A root-only row yields to microtasks this often, like the child rows do after each root.
const ROOTS_PER_MICROTASK_YIELD = 100;

/**
 * Runs one round: ~10k measured spans. After each root (or each 100 roots in the sampler row) the loop
 * awaits once, as a request handler would: libraries that settle work in promise callbacks (the
 * OpenTelemetry BatchSpanProcessor clears its "exporting" flag in one) would otherwise drop spans
 * at their queue limit and look cheaper than they are. After the round it yields a full event-loop
 * turn so the libraries' own timers (Sentry's per-trace flush) run as they would in a live server.
 * Both yields are inside the timed region; they cost about 1 ns per span, the same for every peer.
 */
async function round(peer, children) {
  const roots = children > 0 ? ROUND_SPANS / children : ROUND_SPANS;
  for (let r = 0; r < roots; r++) {
    peer.runRoot();
    if (children > 0 || r % ROOTS_PER_MICROTASK_YIELD === ROOTS_PER_MICROTASK_YIELD - 1) await null;
  }
  await nextTurn();
  return roots;
}

/** Runs whole rounds for at least `ms`; returns ns per measured span (per child, or per root). */
async function timedSample(peer, children, ms) {
  const budget = BigInt(Math.round(ms * 1e6));
  const start = process.hrtime.bigint();
  let roots = 0;
  let elapsed;
  do {
    roots += await round(peer, children);
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  const measured = children > 0 ? roots * children : roots;
  return { nsPerSpan: Number(elapsed) / measured, spans: measured };
}

async function settle() {
  // A full collection between samples, so one sample does not pay for the garbage of the one before.
  globalThis.gc?.();
  await nextTurn();
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

class BenchCheckError extends Error {}

function check(condition, message) {
  if (!condition) throw new BenchCheckError(message);
}

/**
 * Proves, outside the timed loop, that the library really does the work the row claims: a sampled
 * row must deliver every span to the export seam, an unsampled row none, the sampler row about 20%.
 * Without this a misconfigured peer (tracing off, wrong sampler, spans dropped at a queue limit)
 * would show up as a suspiciously fast no-op instead of an error.
 */
async function verify(peer, scenario, children) {
  const probe = peer.probe();
  if (scenario === 'sampled') {
    check(probe.root && probe.child, `expected recording spans, got ${JSON.stringify(probe)}`);
  } else if (scenario === 'unsampled') {
    check(!probe.root && !probe.child, `expected non-recording spans, got ${JSON.stringify(probe)}`);
  }
  const before = await peer.recorded();
  const roots = scenario === 'sampler' ? ROUND_SPANS : 200;
  for (let r = 0; r < roots; r++) {
    peer.runRoot();
    await null;
  }
  const delivered = (await peer.recorded()) - before;
  const perRoot = children + 1;
  if (scenario === 'sampled') {
    check(delivered === roots * perRoot, `expected ${roots * perRoot} spans delivered, got ${delivered}`);
  } else if (scenario === 'unsampled') {
    check(delivered === 0, `expected no span delivered, got ${delivered}`);
  } else {
    // 10k roots at rate 0.2: the standard deviation of the kept fraction is 0.4%, so ±3% is safe.
    const kept = delivered / roots;
    check(kept > 0.17 && kept < 0.23, `expected ~20% of roots kept, got ${(kept * 100).toFixed(1)}%`);
  }
  return { delivered, roots };
}

/**
 * Verifies, warms up, then takes `samples` timed samples of at least `sampleMs` each; returns each
 * sample's ns per span. Warm-up runs the exact timed loop so the JIT has settled on the shapes it sees.
 */
export async function measure(peer, scenario, { samples, sampleMs, warmupMs }) {
  const { children } = SCENARIOS[scenario];
  const verified = await verify(peer, scenario, children);
  await settle();
  await timedSample(peer, children, warmupMs);
  const runs = [];
  for (let i = 0; i < samples; i++) {
    await settle();
    runs.push(await timedSample(peer, children, sampleMs));
  }
  return {
    samples: runs.map((r) => r.nsPerSpan),
    spansPerSample: Math.min(...runs.map((r) => r.spans)),
    verified,
  };
}

let sequence = 0;

/**
 * The child span's body in every peer: three attributes of the three scalar kinds. Values vary a little
 * so no library (or the JIT) can treat them as constants.
 */
export function annotate(span) {
  sequence = (sequence + 1) & 1023;
  span.setAttribute('gen_ai.request.model', 'gpt-4o-mini');
  span.setAttribute('gen_ai.usage.input_tokens', sequence);
  span.setAttribute('cache.hit', (sequence & 1) === 0);
}

/** Root name for every row: not an AI route, so the sampler row exercises the 0.2 fallback. */
export const ROOT_NAME = 'GET /api/users';
