import { applyBeforeSend } from './api/record-context.js';
import type { Envelope } from './delivery/envelope.js';
import { type ResolvedOptions, resolveOptions, type SieveOptions } from './options.js';
import { TraceRescue } from './rescue/trace-rescue.js';
import type { DiscardCategory, DiscardReason, SpanSink } from './trace/span.js';
import type { DscDefaults } from './trace/trace-state.js';
import type { LogRecord, MetricRecord, SpanProcessor } from './types.js';
import { SDK_NAME, SDK_VERSION } from './version.js';

/** Where error events go: the envelope exporter of a DSN or custom transport. */
export interface EventSink {
  sendEnvelope(envelope: Envelope): void;
}

/** One configured SDK instance: options, span processors and the counts of what was dropped. */
export class Client implements SpanSink {
  readonly options: ResolvedOptions;
  processors: SpanProcessor[] = [];
  startProcessors: SpanProcessor[] = [];
  logProcessors: SpanProcessor[] = [];
  metricProcessors: SpanProcessor[] = [];
  /** True when some processor wants the spans of dropped traces (trace rescue). */
  recordsUnsampled = false;
  /** Trace rescue (on by default when tracing is); never made when tracing is disabled. */
  readonly rescue: TraceRescue | undefined;
  private eventSink: EventSink | undefined;
  readonly dscDefaults: DscDefaults;
  // reason → category → count; nested plain objects keep a dropped root to two property increments.
  private discarded: Partial<Record<DiscardReason, Partial<Record<DiscardCategory, number>>>> = {};
  private closed = false;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.rescue =
      options.tracingEnabled && options.rescue !== undefined
        ? new TraceRescue(options.rescue, this)
        : undefined;
    for (const processor of options.spanProcessors) this.addProcessor(processor);
    this.dscDefaults = {
      publicKey: options.dsn?.publicKey,
      environment: options.environment,
      release: options.release,
    };
  }

  /**
   * Adds a processor (and, when it has onLog/onMetric, a log/metric sink). The arrays are replaced, not
   * mutated, so a span ending during the change sees a consistent list.
   */
  addProcessor(processor: SpanProcessor): void {
    this.processors = [...this.processors, processor];
    this.startProcessors = this.processors.filter((p) => typeof p.onStart === 'function');
    this.logProcessors = this.processors.filter((p) => typeof p.onLog === 'function');
    this.metricProcessors = this.processors.filter((p) => typeof p.onMetric === 'function');
    this.recordsUnsampled = this.processors.some((p) => p.recordsUnsampled === true);
  }

  setEventSink(sink: EventSink | undefined): void {
    this.eventSink = sink;
  }

  emitLog(record: LogRecord): void {
    const processors = this.logProcessors;
    for (let i = 0; i < processors.length; i++) {
      try {
        processors[i]!.onLog!(record);
      } catch (error) {
        this.debugWarn(`processor threw in onLog: ${String(error)}`);
      }
    }
  }

  emitMetric(record: MetricRecord): void {
    const processors = this.metricProcessors;
    for (let i = 0; i < processors.length; i++) {
      try {
        processors[i]!.onMetric!(record);
      } catch (error) {
        this.debugWarn(`processor threw in onMetric: ${String(error)}`);
      }
    }
  }

  /**
   * Sends an error event through beforeSend to the event sink. Returns the event id, or '' when it was
   * dropped or there is nowhere to send it.
   */
  captureEvent(event: { event_id: string }, dsc: Readonly<Record<string, string>> | undefined): string {
    const final = applyBeforeSend(
      this,
      this.options.beforeSend as ((e: object) => object | null) | undefined,
      event,
      'beforeSend',
      'error',
    ) as { event_id: string } | null;
    if (final === null) return '';
    if (this.eventSink === undefined) {
      this.debugWarn('captureException: no dsn or transport configured; the event is not sent');
      return '';
    }
    const header: Record<string, unknown> = {
      event_id: final.event_id,
      sdk: { name: SDK_NAME, version: SDK_VERSION },
    };
    if (dsc !== undefined) header.trace = { ...dsc };
    this.eventSink.sendEnvelope([header, [[{ type: 'event' }, final]]]);
    return final.event_id;
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
    // Traces still buffered will never learn their fate here: counted as the head drops they are.
    this.rescue?.releaseAll();
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
