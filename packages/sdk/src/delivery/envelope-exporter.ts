import os from 'node:os';
import type { DiscardCategory } from '../trace/span.js';
import type { LogRecord, MetricRecord, ReadableSpan, SpanProcessor } from '../types.js';
import { SDK_NAME, SDK_VERSION } from '../version.js';
import type { Delivery, DropRecorder } from './delivery.js';
import { type Envelope, type EnvelopeHeader, type ItemType, itemCategory } from './envelope.js';
import { type CommonAttributes, commonAttributes, spanV2Json } from './span-item.js';
import { type TypedAttributes, toTypedAttributes, typedValue } from './typed-attributes.js';

export interface EnvelopeExporterOptions {
  environment: string;
  release: string | undefined;
  /** Flush buffered spans, logs and metrics at least this often. Default 5 s. */
  flushIntervalMs?: number;
  /** Send client reports at least this often. Default 60 s. */
  clientReportIntervalMs?: number;
  /** Items per envelope (Sentry accepts up to 1000 spans per item). */
  maxBatchSize?: number;
  /** Spans held between flushes; beyond it they are dropped and counted. Default 10 000. */
  maxBufferedSpans?: number;
  /** Logs and metrics held between flushes, each; beyond it dropped and counted. Default 5 000. */
  maxBufferedRecords?: number;
  sendClientReports: boolean;
  /** Returns and resets the counts of dropped data. */
  takeDiscardedEvents(): Array<{ reason: string; category: string; quantity: number }>;
}

const SPAN_CONTENT_TYPE = 'application/vnd.sentry.items.span.v2+json';
const LOG_CONTENT_TYPE = 'application/vnd.sentry.items.log+json';
const METRIC_CONTENT_TYPE = 'application/vnd.sentry.items.trace-metric+json';
/** Relay's limit is 1 MiB per item; stay under it with room for the item header. */
const MAX_ITEM_BYTES = 1_000_000;

interface TraceBatch {
  spans: ReadableSpan[];
}

/**
 * Delivers to a Sentry-compatible DSN: sampled spans as span v2 items (one envelope per trace, so the
 * trace's DSC can ride in the envelope header), logs as `log` items, metrics as `trace_metric` items and
 * client reports. Buffers are bounded and flushed on size, on a timer and on flush(); ending a span only
 * appends it to its trace's batch, conversion happens at flush time.
 */
export class EnvelopeExporter implements SpanProcessor {
  private traces = new Map<string, TraceBatch>();
  private bufferedSpans = 0;
  private logs: LogRecord[] = [];
  private metrics: MetricRecord[] = [];
  private readonly spanCommon: CommonAttributes;
  private readonly recordCommon: TypedAttributes;
  private readonly sdk = { name: SDK_NAME, version: SDK_VERSION };
  private readonly timer: NodeJS.Timeout;
  private readonly reportTimer: NodeJS.Timeout | undefined;
  private readonly maxBatch: number;
  private readonly maxSpans: number;
  private readonly maxRecords: number;
  private flushScheduled = false;
  private closed = false;

  constructor(
    private readonly delivery: Delivery,
    private readonly drops: DropRecorder,
    private readonly options: EnvelopeExporterOptions,
  ) {
    this.maxBatch = options.maxBatchSize ?? 1000;
    this.maxSpans = options.maxBufferedSpans ?? 10_000;
    this.maxRecords = options.maxBufferedRecords ?? 5000;
    const common: TypedAttributes = {
      'sentry.sdk.name': typedValue(SDK_NAME),
      'sentry.sdk.version': typedValue(SDK_VERSION),
      'sentry.environment': typedValue(options.environment),
    };
    if (options.release !== undefined) common['sentry.release'] = typedValue(options.release);
    this.spanCommon = commonAttributes(common);
    this.recordCommon = { ...common, 'server.address': typedValue(os.hostname()) };
    this.timer = setInterval(() => this.flushBuffers(), options.flushIntervalMs ?? 5000);
    this.timer.unref();
    if (options.sendClientReports) {
      this.reportTimer = setInterval(() => this.sendClientReport(), options.clientReportIntervalMs ?? 60_000);
      this.reportTimer.unref();
    }
  }

  onEnd(span: ReadableSpan): void {
    if (!span.sampled || this.closed) return;
    if (this.bufferedSpans >= this.maxSpans) {
      this.drops.recordDroppedEvent('buffer_overflow', 'span', 1);
      return;
    }
    let batch = this.traces.get(span.traceId);
    if (batch === undefined) {
      batch = { spans: [] };
      this.traces.set(span.traceId, batch);
    }
    batch.spans.push(span);
    this.bufferedSpans++;
    if (batch.spans.length >= this.maxBatch || span.isSegment) this.scheduleFlush();
  }

  onLog(record: LogRecord): void {
    if (this.closed) return;
    if (this.logs.length >= this.maxRecords) {
      this.drops.recordDroppedEvent('buffer_overflow', 'log_item', 1);
      return;
    }
    this.logs.push(record);
    if (this.logs.length >= 100) this.scheduleFlush();
  }

  onMetric(record: MetricRecord): void {
    if (this.closed) return;
    if (this.metrics.length >= this.maxRecords) {
      this.drops.recordDroppedEvent('buffer_overflow', 'trace_metric', 1);
      return;
    }
    this.metrics.push(record);
    if (this.metrics.length >= 1000) this.scheduleFlush();
  }

  /** An envelope built elsewhere (an error event) through the same delivery path. */
  sendEnvelope(envelope: Envelope): void {
    this.delivery.send(envelope);
  }

  /** The envelope header every envelope carries: the SDK, and the DSN so the server can authenticate it. */
  header(trace?: Record<string, string>): EnvelopeHeader {
    const header: EnvelopeHeader = { sdk: this.sdk };
    if (trace !== undefined) header.trace = trace;
    return header;
  }

  private scheduleFlush(): void {
    // A segment ending often comes with its children ending in the same tick: batch them together.
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushBuffers();
    }).unref();
  }

  /** Turns everything buffered into envelopes and hands them to the delivery layer. */
  flushBuffers(): void {
    const traces = this.traces;
    if (traces.size > 0) {
      this.traces = new Map();
      this.bufferedSpans = 0;
      for (const batch of traces.values()) this.sendSpans(batch.spans);
    }
    if (this.logs.length > 0) {
      const logs = this.logs;
      this.logs = [];
      this.sendLogs(logs);
    }
    if (this.metrics.length > 0) {
      const metrics = this.metrics;
      this.metrics = [];
      this.sendMetrics(metrics);
    }
  }

  private sendSpans(spans: ReadableSpan[]): void {
    const header = this.header({ ...spans[0]!.dynamicSamplingContext() });
    this.sendContainer(spans, (span) => spanV2Json(span, this.spanCommon), 'span', SPAN_CONTENT_TYPE, header);
  }

  private sendLogs(logs: LogRecord[]): void {
    const toJson = (log: LogRecord) => {
      const attributes = toTypedAttributes(log.attributes, { ...this.recordCommon });
      if (log.spanId !== undefined) attributes['sentry.trace.parent_span_id'] = typedValue(log.spanId);
      return JSON.stringify({
        timestamp: log.timestamp / 1000,
        level: log.level,
        body: log.body,
        trace_id: log.traceId,
        severity_number: log.severityNumber,
        attributes,
      });
    };
    this.sendContainer(logs, toJson, 'log', LOG_CONTENT_TYPE, this.header());
  }

  private sendMetrics(metrics: MetricRecord[]): void {
    const toJson = (metric: MetricRecord) => {
      const item: Record<string, unknown> = {
        timestamp: metric.timestamp / 1000,
        trace_id: metric.traceId,
        name: metric.name,
        type: metric.type,
        value: metric.value,
        attributes: toTypedAttributes(metric.attributes, { ...this.recordCommon }),
      };
      if (metric.spanId !== undefined) item.span_id = metric.spanId;
      if (metric.unit !== undefined) item.unit = metric.unit;
      return JSON.stringify(item);
    };
    this.sendContainer(metrics, toJson, 'trace_metric', METRIC_CONTENT_TYPE, this.header());
  }

  /**
   * Sends records as `{"version":2,"items":[…]}` container items, one envelope per item, each bounded by
   * count (maxBatchSize) and by size (Relay refuses items over 1 MiB). Records are serialised one by one
   * here, once: the payload goes to the transport as a ready JSON string.
   */
  private sendContainer<T>(
    records: readonly T[],
    toJson: (record: T) => string,
    type: ItemType,
    contentType: string,
    header: EnvelopeHeader,
  ): void {
    let parts: string[] = [];
    let bytes = 0;
    const emit = () => {
      if (parts.length === 0) return;
      const payload = `{"version":2,"items":[${parts.join(',')}]}`;
      this.delivery.send([
        header,
        [[{ type, item_count: parts.length, content_type: contentType }, payload]],
      ]);
      parts = [];
      bytes = 0;
    };
    for (const record of records) {
      const json = toJson(record);
      if (json.length > MAX_ITEM_BYTES) {
        this.drops.recordDroppedEvent('invalid_data', itemCategory(type) as DiscardCategory, 1);
        continue;
      }
      if (parts.length >= this.maxBatch || bytes + json.length > MAX_ITEM_BYTES) emit();
      parts.push(json);
      bytes += json.length + 1;
    }
    emit();
  }

  /** Sends the counts of dropped data, if any. */
  sendClientReport(): void {
    if (!this.options.sendClientReports) return;
    const discarded = this.options.takeDiscardedEvents();
    if (discarded.length === 0) return;
    this.delivery.send([
      this.header(),
      [[{ type: 'client_report' }, { timestamp: Date.now() / 1000, discarded_events: discarded }]],
    ]);
  }

  async forceFlush(timeoutMs: number): Promise<boolean> {
    this.flushBuffers();
    this.sendClientReport();
    return this.delivery.flush(timeoutMs);
  }

  async shutdown(timeoutMs: number): Promise<boolean> {
    const flushed = await this.forceFlush(timeoutMs);
    this.closed = true;
    clearInterval(this.timer);
    if (this.reportTimer !== undefined) clearInterval(this.reportTimer);
    return flushed;
  }
}
