// Sieve, set up the way a service that ships spans in batches would be: one span processor that hands
// every ended span to a buffer which is swapped out every 10k spans (where an exporter would take it).

import { init, samplers, startSpan } from '@sieve/sdk';
import { annotate, ROOT_NAME, SCENARIOS } from '../lib/harness.mjs';

const BATCH = 10_000;

class BatchBuffer {
  batch = [];
  /** Every span ever handed over, for the check outside the timed loop. */
  received = 0;

  onEnd(span) {
    this.received++;
    // Swap rather than truncate: the full batch would be on its way to an exporter.
    if (this.batch.push(span) >= BATCH) this.batch = [];
  }
}

export async function setup(scenario) {
  const buffer = new BatchBuffer();
  const sampling =
    scenario === 'sampler'
      ? { tracesSampler: samplers.aiFirst({ routes: ['/api/chat'], fallback: 0.2 }) }
      : { tracesSampleRate: scenario === 'sampled' ? 1 : 0 };
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
    probe() {
      const seen = {};
      startSpan({ name: ROOT_NAME, op: 'http.server' }, (root) => {
        seen.root = root.isRecording();
        startSpan({ name: 'child', op: 'db' }, (span) => {
          seen.child = span.isRecording();
        });
      });
      return seen;
    },
  };
}
