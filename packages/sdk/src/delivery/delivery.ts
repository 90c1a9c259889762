import { runWithSpan } from '../trace/context.js';
import type { DiscardCategory, DiscardReason } from '../trace/span.js';
import { type Envelope, type EnvelopeItem, itemCategory } from './envelope.js';
import { isRateLimited, type RateLimits, updateRateLimits } from './rate-limits.js';
import type { Transport } from './transport.js';

export interface DropRecorder {
  recordDroppedEvent(reason: DiscardReason, category: DiscardCategory, quantity: number): void;
  debugWarn(message: string): void;
}

/** How many records an item stands for, by its category, for client reports. */
function itemQuantity(item: EnvelopeItem): number {
  const count = item[0].item_count;
  return typeof count === 'number' && count > 0 ? count : 1;
}

/**
 * The one path every envelope takes to a transport: per-category rate limits, a bound on envelopes in
 * flight (a dead or slow endpoint never grows memory), and a count of everything dropped on the way.
 * Sends run outside any trace, so the SDK's own HTTP instrumentation never traces them.
 */
export class Delivery {
  private limits: RateLimits = {};
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly transport: Transport,
    private readonly drops: DropRecorder,
    private readonly maxPending = 64,
    private readonly now: () => number = Date.now,
  ) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  private drop(items: readonly EnvelopeItem[], reason: DiscardReason): void {
    for (const item of items) {
      const category = itemCategory(item[0].type);
      if (category === 'internal' || category === 'default') continue; // client reports are not reported
      this.drops.recordDroppedEvent(reason, category as DiscardCategory, itemQuantity(item));
    }
  }

  /** Hands the envelope on, or drops (and counts) what cannot go. Never throws, never waits. */
  send(envelope: Envelope): void {
    const now = this.now();
    const [header, items] = envelope;
    const allowed = items.filter((item) => !isRateLimited(this.limits, itemCategory(item[0].type), now));
    if (allowed.length < items.length)
      this.drop(
        items.filter((i) => !allowed.includes(i)),
        'ratelimit_backoff',
      );
    if (allowed.length === 0) return;
    if (this.pending.size >= this.maxPending) {
      this.drop(allowed, 'queue_overflow');
      return;
    }
    const toSend: Envelope = [{ ...header, sent_at: new Date(now).toISOString() }, allowed];
    let sent: PromiseLike<{ statusCode?: number; headers?: Record<string, string | null | undefined> }>;
    try {
      sent = runWithSpan(undefined, () => this.transport.send(toSend));
    } catch (error) {
      this.drops.debugWarn(`transport.send threw: ${String(error)}`);
      this.drop(allowed, 'send_error');
      return;
    }
    const done = Promise.resolve(sent).then(
      (response) => {
        const statusCode = response?.statusCode ?? 200;
        this.limits = updateRateLimits(
          this.limits,
          {
            statusCode,
            rateLimits: response?.headers?.['x-sentry-rate-limits'] ?? undefined,
            retryAfter: response?.headers?.['retry-after'] ?? undefined,
          },
          this.now(),
        );
        if (statusCode === 429) this.drop(allowed, 'ratelimit_backoff');
        else if (statusCode >= 400) {
          this.drops.debugWarn(`envelope rejected with HTTP ${statusCode}`);
          this.drop(allowed, 'send_error');
        }
      },
      (error: unknown) => {
        this.drops.debugWarn(
          `envelope not delivered: ${error instanceof Error ? error.message : String(error)}`,
        );
        this.drop(allowed, 'network_error');
      },
    );
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  /** Waits for every envelope in flight; false when the timeout passed first. */
  async flush(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
      timer.unref();
    });
    const drained = (async () => {
      while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
      return true;
    })();
    const result = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    return result;
  }
}
