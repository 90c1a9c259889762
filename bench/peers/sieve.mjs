// Sieve, set up the way a service that ships spans in batches would be: one span processor that hands
// every ended span to a buffer which is swapped out every 10k spans (where an exporter would take it).
// The serialised row instead runs the real delivery path: a DSN, the SDK's envelope exporter (span v2
// JSON, one envelope per trace, flushed on setImmediate after each root) and a transport that turns
// each envelope into bytes with the SDK's serializeEnvelope and acknowledges it at once (no gzip).

import { flush, init, samplers, serializeEnvelope, startSpan } from '@sieve/sdk';
import { annotate, ROOT_NAME, SCENARIOS, spansInEnvelopeBytes, WireSink } from '../lib/harness.mjs';

const BATCH = 10_000;

class BatchBuffer {
  batch = [];
  /** Every span ever handed over, for the check outside the timed loop. */
  received = 0;

  onEnd(span) {
    // As every exporter does: spans of dropped traces reach processors only while rescue buffers them.
    if (!span.sampled) return;
    this.received++;
    // Swap rather than truncate: the full batch would be on its way to an exporter.
    if (this.batch.push(span) >= BATCH) this.batch = [];
  }
}

/** Spans in an envelope as the exporter builds it (span v2 container items carry their count). */
function spansIn(envelope) {
  let count = 0;
  for (const [header] of envelope[1]) if (header.type === 'span') count += header.item_count;
  return count;
}

export async function setup(scenario) {
  if (SCENARIOS[scenario].serialised) return setupSerialised(scenario);
  const buffer = new BatchBuffer();
  const sampling =
    scenario === 'sampler'
      ? { tracesSampler: samplers.aiFirst({ routes: ['/api/chat'], fallback: 0.2 }) }
      : { tracesSampleRate: scenario === 'sampled' ? 1 : 0 };
  // The unsampled row is plain head sampling; the rescued row the same with rescue at its defaults.
  if (scenario === 'unsampled') sampling.rescue = false;
  // The http/fetch instrumentation is off in every peer: the bench starts its spans by hand.
  init({ ...sampling, spanProcessors: [buffer], httpServer: false, httpClient: false, fetch: false });

  const children = SCENARIOS[scenario].children;
  const child = () => startSpan({ name: 'child', op: 'db' }, annotate);
  const body = () => {
    for (let i = 0; i < children; i++) child();
  };

  return {
    runRoot() {
      startSpan({ name: ROOT_NAME, op: 'http.server' }, body);
    },
    async recorded() {
      return buffer.received;
    },
    probe,
  };
}

function setupSerialised(scenario) {
  const sink = new WireSink(spansInEnvelopeBytes);
  init({
    // Nothing is ever sent to this DSN: the transport below stops at the bytes.
    dsn: 'http://public@127.0.0.1:9/1',
    tracesSampleRate: 1,
    transport: () => ({
      send: (envelope) => {
        sink.take(serializeEnvelope(envelope), spansIn(envelope));
        return Promise.resolve({ statusCode: 200 });
      },
      flush: () => Promise.resolve(true),
    }),
    httpServer: false,
    httpClient: false,
    fetch: false,
    sendClientReports: false,
  });

  const children = SCENARIOS[scenario].children;
  const child = () => startSpan({ name: 'child', op: 'db' }, annotate);
  const body = () => {
    for (let i = 0; i < children; i++) child();
  };

  return {
    sink,
    runRoot() {
      startSpan({ name: ROOT_NAME, op: 'http.server' }, body);
    },
    flush: () => flush(2000),
    async recorded() {
      await flush(2000);
      return sink.spans;
    },
    probe,
  };
}

/** Whether a root and its child record, for the check before timing. */
function probe() {
  const seen = {};
  startSpan({ name: ROOT_NAME, op: 'http.server' }, (root) => {
    seen.root = root.isRecording();
    startSpan({ name: 'child', op: 'db' }, (span) => {
      seen.child = span.isRecording();
    });
  });
  return seen;
}
