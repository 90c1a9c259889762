// The OpenTelemetry SDK as its docs set it up for Node: AsyncLocalStorage context, a BasicTracerProvider
// and a BatchSpanProcessor, registered globally. The exporter acknowledges each batch at once and keeps
// nothing, so no serialisation or network is measured, only the SDK's own per-span work.

import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { annotate, ROOT_NAME, SCENARIOS } from '../lib/harness.mjs';

// ExportResultCode.SUCCESS from @opentelemetry/core, which is not a direct dependency of the bench.
const SUCCESS = { code: 0 };

class AckExporter {
  /** Every span ever exported, for the check outside the timed loop. */
  received = 0;

  export(spans, resultCallback) {
    this.received += spans.length;
    resultCallback(SUCCESS);
  }

  async shutdown() {}

  async forceFlush() {}
}

const ROOT_SAMPLERS = {
  sampled: () => new AlwaysOnSampler(),
  unsampled: () => new AlwaysOffSampler(),
  // Sieve's and Sentry's sampler rows keep 20% of new traces and inherit an upstream decision.
  sampler: () => new TraceIdRatioBasedSampler(0.2),
};

export async function setup(scenario) {
  const exporter = new AckExporter();
  const processor = new BatchSpanProcessor(exporter);
  const provider = new BasicTracerProvider({
    sampler: new ParentBasedSampler({ root: ROOT_SAMPLERS[scenario]() }),
    spanProcessors: [processor],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  const tracer = trace.getTracer('sieve-bench');

  const children = SCENARIOS[scenario].children;
  // startActiveSpan does not end the span: the callback does, as in OpenTelemetry's own examples.
  const childBody = (span) => {
    annotate(span);
    span.end();
  };
  const rootBody = (root) => {
    for (let i = 0; i < children; i++) tracer.startActiveSpan('child', childBody);
    root.end();
  };

  return {
    runRoot() {
      tracer.startActiveSpan(ROOT_NAME, rootBody);
    },
    async recorded() {
      await provider.forceFlush();
      return exporter.received;
    },
    probe() {
      const seen = {};
      tracer.startActiveSpan(ROOT_NAME, (root) => {
        seen.root = root.isRecording();
        tracer.startActiveSpan('child', (span) => {
          seen.child = span.isRecording();
          span.end();
        });
        root.end();
      });
      return seen;
    },
  };
}
