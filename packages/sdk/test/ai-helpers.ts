import type { LogRecord, MetricRecord, ReadableSpan, SieveOptions } from '../src/index.js';
import { setup } from './helpers.js';

export interface Captured {
  spans: () => readonly ReadableSpan[];
  logs: LogRecord[];
  metrics: MetricRecord[];
}

/** setup() plus a processor that keeps every log and metric, for the AI tests. */
export function capture(options: SieveOptions = { tracesSampleRate: 1 }): Captured {
  const logs: LogRecord[] = [];
  const metrics: MetricRecord[] = [];
  const memory = setup({
    ...options,
    spanProcessors: [{ onEnd() {}, onLog: (l) => void logs.push(l), onMetric: (m) => void metrics.push(m) }],
  });
  return { spans: () => memory.getFinishedSpans(), logs, metrics };
}

/** Sum of `gen_ai.client.token.usage` of one token type. */
export function tokensOf(c: Captured, type: 'input' | 'output'): number {
  return c.metrics
    .filter((m) => m.name === 'gen_ai.client.token.usage' && m.attributes['gen_ai.token.type'] === type)
    .reduce((total, m) => total + m.value, 0);
}
