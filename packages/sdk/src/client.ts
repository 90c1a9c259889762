import { type ResolvedOptions, resolveOptions, type SieveOptions } from './options.js';
import type { DiscardCategory, DiscardReason, SpanSink } from './trace/span.js';
import type { DscDefaults } from './trace/trace-state.js';
import type { SpanProcessor } from './types.js';

/** One configured SDK instance: options, span processors and the counts of what was dropped. */
export class Client implements SpanSink {
  readonly options: ResolvedOptions;
  readonly processors: SpanProcessor[];
  readonly startProcessors: SpanProcessor[];
  /** True when some processor wants the spans of dropped traces (trace rescue). */
  readonly recordsUnsampled: boolean;
  readonly dscDefaults: DscDefaults;
  // reason → category → count; nested plain objects keep a dropped root to two property increments.
  private discarded: Partial<Record<DiscardReason, Partial<Record<DiscardCategory, number>>>> = {};
  private closed = false;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.processors = [...options.spanProcessors];
    this.startProcessors = this.processors.filter((p) => typeof p.onStart === 'function');
    this.recordsUnsampled = this.processors.some((p) => p.recordsUnsampled === true);
    this.dscDefaults = {
      publicKey: options.dsn?.publicKey,
      environment: options.environment,
      release: options.release,
    };
  }

  recordDroppedEvent(reason: DiscardReason, category: DiscardCategory, quantity: number): void {
    if (!(quantity > 0)) return;
    let byCategory = this.discarded[reason];
    if (byCategory === undefined) {
      byCategory = {};
      this.discarded[reason] = byCategory;
    }
    byCategory[category] = (byCategory[category] ?? 0) + quantity;
  }

  /** Returns and resets the counts of dropped data, as client-report entries. */
  takeDiscardedEvents(): Array<{ reason: DiscardReason; category: DiscardCategory; quantity: number }> {
    const out: Array<{ reason: DiscardReason; category: DiscardCategory; quantity: number }> = [];
    for (const reason of Object.keys(this.discarded) as DiscardReason[]) {
      const byCategory = this.discarded[reason]!;
      for (const category of Object.keys(byCategory) as DiscardCategory[]) {
        out.push({ reason, category, quantity: byCategory[category]! });
      }
    }
    this.discarded = {};
    return out;
  }

  debugWarn(message: string): void {
    if (this.options.debug) warn(message);
  }

  /** Waits for every processor to deliver what it holds; false when the timeout passed first. */
  async flush(timeoutMs = 2000): Promise<boolean> {
    return this.allWithin(timeoutMs, (p, t) => p.forceFlush?.(t));
  }

  async close(timeoutMs = 2000): Promise<boolean> {
    if (this.closed) return true;
    this.closed = true;
    const flushed = await this.flush(timeoutMs);
    const shut = await this.allWithin(timeoutMs, (p, t) => p.shutdown?.(t));
    return flushed && shut;
  }

  private async allWithin(
    timeoutMs: number,
    call: (p: SpanProcessor, timeoutMs: number) => Promise<boolean> | undefined,
  ): Promise<boolean> {
    const ms = Number.isFinite(timeoutMs) && timeoutMs >= 0 ? timeoutMs : 2000;
    const results = this.processors.map(async (p) => {
      try {
        return (await call(p, ms)) ?? true;
      } catch (error) {
        this.debugWarn(`span processor failed to flush: ${String(error)}`);
        return false;
      }
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
      timer.unref();
    });
    const all = Promise.all(results).then((r) => r.every(Boolean));
    const done = await Promise.race([all, timeout]);
    clearTimeout(timer);
    return done;
  }
}

export function warn(message: string): void {
  console.warn(`[sieve] ${message}`);
}

let current: Client | undefined;

/** The client made by the last init(), if any. */
export function getClient(): Client | undefined {
  return current;
}

export function setClient(client: Client | undefined): void {
  current = client;
}

export function createClient(options: SieveOptions | undefined): Client {
  const { options: resolved, warnings } = resolveOptions(options, process.env);
  for (const w of warnings) warn(w);
  return new Client(resolved);
}
