import type { ReadableSpan, SpanProcessor } from '../types.js';

/**
 * Keeps ended spans of sampled traces in memory, up to `limit` (oldest dropped first). For tests,
 * debugging and local tools that read spans back.
 */
export class InMemorySpanProcessor implements SpanProcessor {
  private spans: ReadableSpan[] = [];

  constructor(private readonly limit = 100_000) {}

  onEnd(span: ReadableSpan): void {
    if (!span.sampled) return;
    if (this.spans.length >= this.limit) this.spans.shift();
    this.spans.push(span);
  }

  /** Spans ended so far, in end order. */
  getFinishedSpans(): readonly ReadableSpan[] {
    return this.spans;
  }

  reset(): void {
    this.spans = [];
  }

  async forceFlush(): Promise<boolean> {
    return true;
  }

  async shutdown(): Promise<boolean> {
    return true;
  }
}
