import type { ReadableSpan, SpanProcessor } from '../types.js';

/**
 * Keeps ended spans of sampled traces in memory, up to `limit` (oldest dropped first, in O(1): a ring,
 * since Array#shift on a full buffer would make every span cost O(limit)). For tests, debugging and
 * local tools that read spans back.
 */
export class InMemorySpanProcessor implements SpanProcessor {
  private ring: ReadableSpan[] = [];
  /** Index of the oldest span once the ring is full. */
  private head = 0;

  constructor(private readonly limit = 100_000) {}

  onEnd(span: ReadableSpan): void {
    if (!span.sampled) return;
    if (this.ring.length < this.limit) {
      this.ring.push(span);
    } else {
      this.ring[this.head] = span;
      this.head = (this.head + 1) % this.limit;
    }
  }

  /** Spans ended so far, in end order. */
  getFinishedSpans(): readonly ReadableSpan[] {
    return this.head === 0 ? this.ring : [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
  }

  reset(): void {
    this.ring = [];
    this.head = 0;
  }

  async forceFlush(): Promise<boolean> {
    return true;
  }

  async shutdown(): Promise<boolean> {
    return true;
  }
}
