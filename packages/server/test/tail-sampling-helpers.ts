import type { SpanRow } from '../src/model.js';
import { NO_AI } from './no-ai.js';

/** A span of the model with plain defaults; tests override what they look at. */
export function makeSpan(overrides: Partial<SpanRow> = {}): SpanRow {
  return {
    projectId: 1,
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    parentSpanId: null,
    name: 'GET /',
    op: 'http.server',
    kind: 'server',
    status: 'ok',
    statusMessage: null,
    startTime: 1_000,
    endTime: 1_100,
    isSegment: true,
    segmentId: null,
    serviceName: 'api',
    environment: null,
    release: null,
    weight: 1,
    attributes: {},
    source: 'sentry',
    ...NO_AI,
    ...overrides,
  };
}

/** The 32-hex-digit trace id of test trace number n. */
export function traceIdOf(n: number): string {
  return n.toString(16).padStart(32, '0');
}

/** A child span of a trace. */
export function child(traceId: string, n: number, overrides: Partial<SpanRow> = {}): SpanRow {
  return makeSpan({
    traceId,
    spanId: n.toString(16).padStart(16, '0'),
    parentSpanId: 'f'.repeat(16),
    isSegment: false,
    name: `step ${n}`,
    op: 'function',
    ...overrides,
  });
}
