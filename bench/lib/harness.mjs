// Timing loop shared by every peer. It runs inside the peer's own child process, so whatever the library
// patches globally (async context, the OpenTelemetry API globals, Sentry's carrier) is patched once and
// only for that library.

import { setImmediate as nextTurn } from 'node:timers/promises';

/** Spans each root gets in the child rows: the root's own cost is spread over these. */
export const CHILDREN_PER_ROOT = 100;

/**
 * The rows of the table. `serialised`: the peer also turns its spans into wire bytes (its `sink`
 * counts them), yields a full event-loop turn after each root (so exporters that flush on
 * setImmediate do so, as between two requests of a live server) and flushes at the end of each
 * timed sample, inside the timing, so every span measured was serialised in the time measured.
 */
export const SCENARIOS = {
  sampled: { title: 'sampled child', children: CHILDREN_PER_ROOT },
  unsampled: { title: 'unsampled child', children: CHILDREN_PER_ROOT },
  // Sieve only: the same dropped trace with trace rescue on (every span recorded into the rescue buffer,
  // freed when the root ends), against the row above with rescue off (plain head sampling).
  rescued: { title: 'unsampled child, rescue on', children: CHILDREN_PER_ROOT, only: 'sieve' },
  sampler: { title: 'sampler call / root', children: 0 },
  delivered: { title: 'sampled child, serialised', children: CHILDREN_PER_ROOT, serialised: true },
};

/**
 * Where a `serialised` peer's transport or exporter puts the bytes it made: it counts them, and the
 * spans they hold, in the timed loop (two additions per envelope). While capturing, outside the timed
 * loop, it also keeps the bytes so the check can parse them and count the spans really in them.
 */
export class WireSink {
  bytes = 0;
  spans = 0;
  #captured;

  /** @param {(bytes: Uint8Array) => number} spansOnWire parses serialised bytes, returns the spans in them */
  constructor(spansOnWire) {
    this.spansOnWire = spansOnWire;
  }

  take(bytes, spans) {
    this.bytes += bytes.byteLength;
    this.spans += spans;
    this.#captured?.push(bytes);
  }

  startCapture() {
    this.#captured = [];
  }

  /** Stops capturing; returns the bytes captured and the spans parsed back out of them. */
  stopCapture() {
    const captured = this.#captured ?? [];
    this.#captured = undefined;
    let bytes = 0;
    let spans = 0;
    for (const chunk of captured) {
      bytes += chunk.byteLength;
      spans += this.spansOnWire(chunk);
    }
    return { bytes, spans, envelopes: captured.length };
  }
}

/** Spans in a serialised Sentry envelope: span v2 container items, or a classic transaction. */
export function spansInEnvelopeBytes(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = buf.indexOf(10) + 1; // past the envelope header line
  let spans = 0;
  while (at > 0 && at < buf.length) {
    const headerEnd = buf.indexOf(10, at);
    const header = JSON.parse(buf.toString('utf8', at, headerEnd));
    const start = headerEnd + 1;
    let end = header.length !== undefined ? start + header.length : buf.indexOf(10, start);
    if (end < 0) end = buf.length;
    const payload = JSON.parse(buf.toString('utf8', start, end));
    if (header.type === 'span') spans += payload.items.length;
    else if (header.type === 'transaction') spans += 1 + (payload.spans?.length ?? 0);
    at = end + 1;
  }
  return spans;
}

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
 * A serialised row yields a full turn after each root instead (Sieve's exporter flushes a trace on
 * setImmediate; held for a whole round, 100 traces would overflow its buffer and in-flight limits):
 * about 20 ns per span, the same for every peer.
 */
async function round(peer, { children, serialised }) {
  const roots = children > 0 ? ROUND_SPANS / children : ROUND_SPANS;
  for (let r = 0; r < roots; r++) {
    peer.runRoot();
    if (serialised) await nextTurn();
    else if (children > 0 || r % ROOTS_PER_MICROTASK_YIELD === ROOTS_PER_MICROTASK_YIELD - 1) await null;
  }
  await nextTurn();
  return roots;
}

/**
 * Runs whole rounds for at least `ms` (then, in a serialised row, the peer's flush); returns ns per
 * measured span (per child, or per root).
 */
async function timedSample(peer, row, ms) {
  const { children, serialised } = row;
  const wireBefore = serialised ? { bytes: peer.sink.bytes, spans: peer.sink.spans } : undefined;
  const budget = BigInt(Math.round(ms * 1e6));
  const start = process.hrtime.bigint();
  let roots = 0;
  let elapsed;
  do {
    roots += await round(peer, row);
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  if (serialised) {
    await peer.flush();
    elapsed = process.hrtime.bigint() - start;
  }
  const measured = children > 0 ? roots * children : roots;
  const sample = { nsPerSpan: Number(elapsed) / measured, spans: measured };
  if (serialised) {
    // Every span started in the sample (roots included) left as bytes within it, and none other.
    const spans = peer.sink.spans - wireBefore.spans;
    const bytes = peer.sink.bytes - wireBefore.bytes;
    const expected = roots * (children + 1);
    check(spans === expected, `expected ${expected} spans serialised in the sample, got ${spans}`);
    check(bytes > 0, 'expected serialised bytes in the sample, got none');
  }
  return sample;
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
 * row must deliver every span to the export seam, an unsampled row none, the sampler row about 20%;
 * a serialised row must put every span into the bytes it makes (parsed back here to count them).
 * Without this a misconfigured peer (tracing off, wrong sampler, spans dropped at a queue limit)
 * would show up as a suspiciously fast no-op instead of an error.
 */
async function verify(peer, scenario, { children, serialised }) {
  const probe = peer.probe();
  if (scenario === 'sampled' || scenario === 'rescued' || serialised) {
    check(probe.root && probe.child, `expected recording spans, got ${JSON.stringify(probe)}`);
  } else if (scenario === 'unsampled') {
    check(!probe.root && !probe.child, `expected non-recording spans, got ${JSON.stringify(probe)}`);
  }
  const before = await peer.recorded();
  const roots = scenario === 'sampler' ? ROUND_SPANS : 200;
  if (serialised) peer.sink.startCapture();
  for (let r = 0; r < roots; r++) {
    peer.runRoot();
    if (serialised) await nextTurn();
    else await null;
  }
  const delivered = (await peer.recorded()) - before;
  const perRoot = children + 1;
  if (serialised) {
    // Parse the bytes back: the spans must really be in them, not only counted on the way.
    const wire = peer.sink.stopCapture();
    check(delivered === roots * perRoot, `expected ${roots * perRoot} spans delivered, got ${delivered}`);
    check(
      wire.spans === roots * perRoot,
      `expected ${roots * perRoot} spans in the bytes, got ${wire.spans}`,
    );
    check(wire.bytes > 0, 'expected serialised bytes, got none');
    return { delivered, roots, envelopes: wire.envelopes, bytesPerSpan: wire.bytes / wire.spans };
  }
  if (scenario === 'sampled') {
    check(delivered === roots * perRoot, `expected ${roots * perRoot} spans delivered, got ${delivered}`);
  } else if (scenario === 'unsampled' || scenario === 'rescued') {
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
  const row = SCENARIOS[scenario];
  const verified = await verify(peer, scenario, row);
  await settle();
  await timedSample(peer, row, warmupMs);
  const runs = [];
  for (let i = 0; i < samples; i++) {
    await settle();
    runs.push(await timedSample(peer, row, sampleMs));
  }
  const result = {
    samples: runs.map((r) => r.nsPerSpan),
    spansPerSample: Math.min(...runs.map((r) => r.spans)),
    verified,
  };
  if (row.serialised) result.bytesPerSpan = verified.bytesPerSpan;
  return result;
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
