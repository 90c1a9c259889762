// The OpenTelemetry SDK as its docs set it up for Node: AsyncLocalStorage context, a BasicTracerProvider
// and a BatchSpanProcessor, registered globally. The exporter acknowledges each batch at once and keeps
// nothing, so no serialisation or network is measured, only the SDK's own per-span work. In the
// serialised row the exporter first turns each batch into OTLP JSON bytes with the serializer the OTLP
// HTTP exporter uses (@opentelemetry/otlp-transformer's JsonTraceSerializer; no gzip, no network).

import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { annotate, ROOT_NAME, SCENARIOS, WireSink } from '../lib/harness.mjs';

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

/** Spans in an OTLP JSON trace export request. */
function spansInOtlpJson(bytes) {
  const request = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString());
  let count = 0;
  for (const resource of request.resourceSpans) {
    for (const scope of resource.scopeSpans) count += scope.spans.length;
  }
  return count;
}

class SerialisingExporter {
  sink = new WireSink(spansInOtlpJson);

  export(spans, resultCallback) {
    this.sink.take(JsonTraceSerializer.serializeRequest(spans), spans.length);
    resultCallback(SUCCESS);
  }

  get received() {
    return this.sink.spans;
  }

  async shutdown() {}

  async forceFlush() {}
}

const ROOT_SAMPLERS = {
  sampled: () => new AlwaysOnSampler(),
  delivered: () => new AlwaysOnSampler(),
  unsampled: () => new AlwaysOffSampler(),
  // Sieve's and Sentry's sampler rows keep 20% of new traces and inherit an upstream decision.
  sampler: () => new TraceIdRatioBasedSampler(0.2),
};

export async function setup(scenario) {
  const exporter = SCENARIOS[scenario].serialised ? new SerialisingExporter() : new AckExporter();
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
    sink: exporter.sink,
    runRoot() {
      tracer.startActiveSpan(ROOT_NAME, rootBody);
    },
    flush: () => provider.forceFlush(),
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
