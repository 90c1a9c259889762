// @sentry/node with a transport that accepts every envelope and drops it: no network, no serialisation
// (a real transport serialises in send(); this one never does), so what is left is the SDK's own
// per-span work. `defaults: true` keeps Sentry's default integrations, as an app would have them.
// In the serialised row the transport's send does what Sentry's own transport does first: it calls
// serializeEnvelope from @sentry/core, then encodes the string it returns to UTF-8 (as writing it to
// a socket would); it resolves at once (no gzip, no network).

import { serializeEnvelope } from '@sentry/core';
import * as Sentry from '@sentry/node';
import { annotate, ROOT_NAME, SCENARIOS, spansInEnvelopeBytes, WireSink } from '../lib/harness.mjs';

/** Counts the spans in an envelope: span v2 items (Sentry 11 streams spans) or a classic transaction. */
function spansIn(envelope) {
  let count = 0;
  for (const [header, payload] of envelope[1]) {
    if (header.type === 'span') count += header.item_count ?? payload.items?.length ?? 0;
    else if (header.type === 'transaction') count += 1 + (payload.spans?.length ?? 0);
  }
  return count;
}

/** The same decision as Sieve's samplers.aiFirst({ routes: ['/api/chat'], fallback: 0.2 }). */
function aiFirst(context) {
  const attributes = context.attributes ?? {};
  const op = attributes['sentry.op'];
  if (attributes['gen_ai.operation.name'] !== undefined) return 1;
  if (typeof op === 'string' && op.startsWith('gen_ai.')) return 1;
  if (typeof context.name === 'string' && context.name.includes('/api/chat')) return 1;
  return context.inheritOrSampleWith(0.2);
}

/** A transport that serialises each envelope into `sink` and acknowledges it. */
function serialisingTransport(sink) {
  return () => ({
    send: (envelope) => {
      const body = serializeEnvelope(envelope);
      sink.take(typeof body === 'string' ? Buffer.from(body) : body, spansIn(envelope));
      return Promise.resolve({ statusCode: 200 });
    },
    flush: () => Promise.resolve(true),
  });
}

export async function setup(scenario, { defaults = false } = {}) {
  let delivered = 0;
  const serialised = SCENARIOS[scenario].serialised === true;
  const sink = serialised ? new WireSink(spansInEnvelopeBytes) : undefined;
  const sampling =
    scenario === 'sampler'
      ? { tracesSampler: aiFirst }
      : { tracesSampleRate: scenario === 'sampled' || serialised ? 1 : 0 };
  Sentry.init({
    // A DSN is needed for Sentry to build envelopes at all; nothing is ever sent to it.
    dsn: 'http://public@127.0.0.1:9/1',
    ...sampling,
    ...(defaults ? {} : { defaultIntegrations: false }),
    transport: serialised
      ? serialisingTransport(sink)
      : () => ({
          send: async (envelope) => {
            delivered += spansIn(envelope);
            return {};
          },
          flush: async () => true,
        }),
  });

  const children = SCENARIOS[scenario].children;
  const child = () => Sentry.startSpan({ name: 'child', op: 'db' }, annotate);
  const body = () => {
    for (let i = 0; i < children; i++) child();
  };
  // A top-level startSpan in Sentry joins the scope's propagation context, so every root would be
  // one trace (and share one sample_rand: the sampler row would keep all or none). startNewTrace
  // gives each root its own trace, as Sentry's http integration does for each request.
  const root = () => Sentry.startSpan({ name: ROOT_NAME, op: 'http.server' }, body);

  return {
    sink,
    runRoot() {
      Sentry.startNewTrace(root);
    },
    // Drains Sentry's span buffer (one bucket per trace, otherwise sent after 5 s) into the transport.
    flush: () => Sentry.flush(2000),
    async recorded() {
      await Sentry.flush(2000);
      return serialised ? sink.spans : delivered;
    },
    probe() {
      const seen = {};
      Sentry.startNewTrace(() =>
        Sentry.startSpan({ name: ROOT_NAME, op: 'http.server' }, (rootSpan) => {
          seen.root = rootSpan.isRecording();
          Sentry.startSpan({ name: 'child', op: 'db' }, (span) => {
            seen.child = span.isRecording();
          });
        }),
      );
      return seen;
    },
  };
}
