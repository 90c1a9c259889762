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

/** Rough size of an envelope held in the queue: ready JSON payloads by length, others by a guess. */
function envelopeBytes(items: readonly EnvelopeItem[]): number {
  let bytes = 0;
  for (const [, payload] of items) bytes += typeof payload === 'string' ? payload.length : 1024;
  return bytes;
}

export interface DeliveryLimits {
  /** Envelopes sent at once. */
  concurrency: number;
  /** Envelopes waiting or in flight; beyond it new ones are dropped and counted. */
  maxQueued: number;
  /** Bytes of payload waiting or in flight; beyond it new envelopes are dropped and counted. */
  maxQueuedBytes: number;
}

const DEFAULT_LIMITS: DeliveryLimits = { concurrency: 8, maxQueued: 1000, maxQueuedBytes: 32 * 1024 * 1024 };

interface Queued {
  envelope: Envelope;
  bytes: number;
}

/**
 * The one path every envelope takes to a transport: per-category rate limits, a queue bounded in
 * envelopes and bytes with a few sends in flight at once (a burst of traces waits its turn, a dead or
 * slow endpoint never grows memory), and a count of everything dropped on the way. Sends run outside
 * any trace, so the SDK's own HTTP instrumentation never traces them.
 */
export class Delivery {
  private limits: RateLimits = {};
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private inFlight = 0;
  private idle: Array<() => void> = [];
  private readonly settings: DeliveryLimits;

  constructor(
    private readonly transport: Transport,
    private readonly drops: DropRecorder,
    limits: Partial<DeliveryLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.settings = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Envelopes waiting or in flight. */
  get pendingCount(): number {
    return this.queue.length + this.inFlight;
  }

  private drop(items: readonly EnvelopeItem[], reason: DiscardReason): void {
    for (const item of items) {
      const category = itemCategory(item[0].type);
      if (category === 'internal' || category === 'default') continue; // client reports are not reported
      this.drops.recordDroppedEvent(reason, category as DiscardCategory, itemQuantity(item));
    }
  }

  /** Queues the envelope, or drops (and counts) what cannot go. Never throws, never waits. */
  send(envelope: Envelope): void {
    const [, items] = envelope;
    const allowed = this.allowed(items);
    if (allowed.length === 0) return;
    const bytes = envelopeBytes(allowed);
    const { maxQueued, maxQueuedBytes } = this.settings;
    if (this.pendingCount >= maxQueued || this.queuedBytes + bytes > maxQueuedBytes) {
      this.drop(allowed, 'queue_overflow');
      return;
    }
    this.queue.push({ envelope: [envelope[0], allowed], bytes });
    this.queuedBytes += bytes;
    this.pump();
  }

  /** The items not held back by a rate limit (those are dropped and counted). */
  private allowed(items: readonly EnvelopeItem[]): EnvelopeItem[] {
    const now = this.now();
    const allowed: EnvelopeItem[] = [];
    for (const item of items) {
      if (isRateLimited(this.limits, itemCategory(item[0].type), now)) this.drop([item], 'ratelimit_backoff');
      else allowed.push(item);
    }
    return allowed;
  }

  private pump(): void {
    while (this.inFlight < this.settings.concurrency && this.queue.length > 0) {
      const next = this.queue.shift()!;
      // A rate limit learned while this envelope waited applies to it too.
      const items = this.allowed(next.envelope[1]);
      if (items.length === 0) {
        this.queuedBytes -= next.bytes;
        continue;
      }
      this.inFlight++;
      void this.deliver([
        { ...next.envelope[0], sent_at: new Date(this.now()).toISOString() },
        items,
      ]).finally(() => {
        this.inFlight--;
        this.queuedBytes -= next.bytes;
        this.pump();
        if (this.pendingCount === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
    }
  }

  private async deliver(envelope: Envelope): Promise<void> {
    const items = envelope[1];
    try {
      const response = await runWithSpan(undefined, () => this.transport.send(envelope));
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
      if (statusCode === 429) {
        this.drop(items, 'ratelimit_backoff');
      } else if (statusCode >= 400) {
        this.drops.debugWarn(`envelope rejected with HTTP ${statusCode}`);
        this.drop(items, 'send_error');
      }
    } catch (error) {
      this.drops.debugWarn(
        `envelope not delivered: ${error instanceof Error ? error.message : String(error)}`,
      );
      this.drop(items, 'network_error');
    }
  }

  /** Waits until nothing is queued or in flight; false when the timeout passed first. */
  async flush(timeoutMs: number): Promise<boolean> {
    if (this.pendingCount === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
      timer.unref();
    });
    const drained = new Promise<boolean>((resolve) => this.idle.push(() => resolve(true)));
    const result = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    return result;
  }
}
