import http from 'node:http';
import { type Client, getClient, warn } from '../../client.js';
import { runWithSpan } from '../../trace/context.js';
import type { DiscardCategory, DiscardReason } from '../../trace/span.js';
import type { Attributes, LogRecord, MetricRecord, ReadableSpan, SpanProcessor } from '../../types.js';
import { otlpResource } from './common.js';
import { logsToOtlp } from './logs.js';
import { metricsToOtlp, type OtlpHistogramBounds } from './metrics.js';
import { spansToOtlp } from './spans.js';
import { createHttpSender, encodeBody, type HttpSender } from './transport.js';
import type { OtlpResource } from './types.js';

export interface OtlpExporterOptions {
  /**
   * Base URL of an OTLP/HTTP receiver, e.g. `http://127.0.0.1:4318`; signals go to `/v1/traces`,
   * `/v1/logs` and `/v1/metrics` below it. Default: OTEL_EXPORTER_OTLP_ENDPOINT, else
   * `http://localhost:4318`.
   */
  url?: string;
  /** Full URL for spans, used as is (overrides `url`). */
  tracesUrl?: string;
  /** Full URL for logs, used as is (overrides `url`). */
  logsUrl?: string;
  /** Full URL for metrics, used as is (overrides `url`). */
  metricsUrl?: string;
  /** Sent with every request, e.g. `{ Authorization: 'Bearer …' }`. Default: OTEL_EXPORTER_OTLP_HEADERS. */
  headers?: Record<string, string>;
  /** Resource `service.name`. Default: OTEL_SERVICE_NAME, else `unknown_service:node`. */
  serviceName?: string;
  /**
   * More resource attributes. `deployment.environment.name` and `service.version` default to init()'s
   * `environment` and `release`.
   */
  resourceAttributes?: Attributes;
  /** Request body compression (default 'gzip'). */
  compression?: 'gzip' | 'none';
  /** Items per request (default 512). */
  maxBatchSize?: number;
  /** How long a partial batch waits before it is sent (default 2000 ms). */
  scheduledDelayMs?: number;
  /** Items held per signal while the receiver is slow or down; more are dropped (default 2048). */
  maxQueueSize?: number;
  /** Deadline of one request (default 10000 ms). */
  timeoutMs?: number;
  /** Retries of a batch after a network error, 429, 502, 503 or 504 (default 5). */
  maxRetries?: number;
  /** First retry delay, doubled each retry with ±50% jitter (default 1000 ms). */
  initialBackoffMs?: number;
  /** Longest retry delay unless the receiver's Retry-After asks for more (default 30000 ms). */
  maxBackoffMs?: number;
  /** Histogram bucket bounds for distributions (default: OTLP_HISTOGRAM_BOUNDS). */
  histogramBounds?: OtlpHistogramBounds;
}

export type OtlpSignal = 'traces' | 'logs' | 'metrics';

/** Options after validation and environment defaults. */
export interface ResolvedOtlpOptions {
  urls: Record<OtlpSignal, URL | undefined>;
  headers: Record<string, string>;
  serviceName: string | undefined;
  resourceAttributes: Attributes | undefined;
  compression: 'gzip' | 'none';
  maxBatchSize: number;
  scheduledDelayMs: number;
  maxQueueSize: number;
  timeoutMs: number;
  maxRetries: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  histogramBounds: OtlpHistogramBounds | undefined;
}

const PATHS: Record<OtlpSignal, string> = { traces: '/v1/traces', logs: '/v1/logs', metrics: '/v1/metrics' };
const SIGNAL_URL_ENV: Record<OtlpSignal, string> = {
  traces: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  logs: 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
  metrics: 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
};
const SIGNAL_URL_OPTION = { traces: 'tracesUrl', logs: 'logsUrl', metrics: 'metricsUrl' } as const;

/** Above this size (before compression) a batch is split in halves; receivers commonly cap bodies. */
const MAX_REQUEST_CHARS = 4 * 1024 * 1024;

function parseUrl(value: string, name: string, warnings: string[]): URL | undefined {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {}
  warnings.push(
    `otlp: ${name} must be an http(s) URL, got ${JSON.stringify(value)}; that signal is not sent`,
  );
  return undefined;
}

/** OTEL_EXPORTER_OTLP_HEADERS: `key=value` pairs, comma-separated, values percent-encoded. */
export function parseHeadersEnv(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined) return out;
  for (const pair of value.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    let v = pair.slice(eq + 1).trim();
    try {
      v = decodeURIComponent(v);
    } catch {}
    if (key !== '') out[key] = v;
  }
  return out;
}

function positive(value: unknown, fallback: number, name: string, warnings: string[], min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value >= min) return Math.floor(value);
  warnings.push(`otlp: option ${name} must be a number >= ${min}; using ${fallback}`);
  return fallback;
}

/**
 * Validates options and fills defaults from the standard OTEL_* variables. Never throws: each invalid
 * value gives one warning and a safe default.
 */
export function resolveOtlpOptions(
  input: OtlpExporterOptions | undefined,
  env: Record<string, string | undefined> = process.env,
): { options: ResolvedOtlpOptions; warnings: string[] } {
  const warnings: string[] = [];
  const o: OtlpExporterOptions = input !== null && typeof input === 'object' ? input : {};

  const base =
    typeof o.url === 'string' ? o.url : (env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318');
  const urls = {} as Record<OtlpSignal, URL | undefined>;
  for (const signal of ['traces', 'logs', 'metrics'] as const) {
    const own = o[SIGNAL_URL_OPTION[signal]] ?? env[SIGNAL_URL_ENV[signal]];
    if (typeof own === 'string' && own !== '') {
      urls[signal] = parseUrl(own, SIGNAL_URL_OPTION[signal], warnings);
    } else {
      const url = parseUrl(base, 'url', warnings);
      if (url !== undefined) url.pathname = url.pathname.replace(/\/+$/, '') + PATHS[signal];
      urls[signal] = url;
    }
  }

  const headers: Record<string, string> = {};
  const given = o.headers !== undefined ? o.headers : parseHeadersEnv(env.OTEL_EXPORTER_OTLP_HEADERS);
  if (given !== null && typeof given === 'object') {
    for (const [key, value] of Object.entries(given)) {
      try {
        http.validateHeaderName(key);
        http.validateHeaderValue(key, value);
        headers[key] = String(value);
      } catch {
        warnings.push(`otlp: header ${JSON.stringify(key)} is not a valid HTTP header; ignored`);
      }
    }
  } else {
    warnings.push('otlp: option headers must be an object; ignored');
  }

  let compression: 'gzip' | 'none' = 'gzip';
  if (o.compression !== undefined) {
    if (o.compression === 'gzip' || o.compression === 'none') compression = o.compression;
    else warnings.push(`otlp: option compression must be 'gzip' or 'none'; using gzip`);
  }

  const serviceName =
    typeof o.serviceName === 'string' && o.serviceName !== '' ? o.serviceName : env.OTEL_SERVICE_NAME;
  const maxBatchSize = positive(o.maxBatchSize, 512, 'maxBatchSize', warnings);
  const initialBackoffMs = positive(o.initialBackoffMs, 1000, 'initialBackoffMs', warnings, 0);
  return {
    options: {
      urls,
      headers,
      serviceName: serviceName === '' ? undefined : serviceName,
      resourceAttributes:
        o.resourceAttributes !== null && typeof o.resourceAttributes === 'object'
          ? o.resourceAttributes
          : undefined,
      compression,
      maxBatchSize,
      scheduledDelayMs: positive(o.scheduledDelayMs, 2000, 'scheduledDelayMs', warnings, 0),
      maxQueueSize: Math.max(maxBatchSize, positive(o.maxQueueSize, 2048, 'maxQueueSize', warnings)),
      timeoutMs: positive(o.timeoutMs, 10_000, 'timeoutMs', warnings),
      maxRetries: positive(o.maxRetries, 5, 'maxRetries', warnings, 0),
      initialBackoffMs,
      maxBackoffMs: Math.max(initialBackoffMs, positive(o.maxBackoffMs, 30_000, 'maxBackoffMs', warnings, 0)),
      histogramBounds: o.histogramBounds,
    },
    warnings,
  };
}

/** The count a partial success rejected (`rejectedSpans` etc.), and its message. */
export function parsePartialSuccess(
  body: string,
  key: 'rejectedSpans' | 'rejectedLogRecords' | 'rejectedDataPoints',
): { rejected: number; message: string | undefined } {
  if (body === '' || body[0] !== '{') return { rejected: 0, message: undefined };
  try {
    const partial = (JSON.parse(body) as { partialSuccess?: Record<string, unknown> }).partialSuccess;
    if (partial === null || typeof partial !== 'object') return { rejected: 0, message: undefined };
    // int64 arrives as a decimal string from spec-following receivers, as a number from others.
    const n = Number(partial[key] ?? 0);
    const message =
      typeof partial.errorMessage === 'string' && partial.errorMessage !== ''
        ? partial.errorMessage
        : undefined;
    return { rejected: Number.isFinite(n) && n > 0 ? Math.floor(n) : 0, message };
  } catch {
    return { rejected: 0, message: undefined };
  }
}

interface Signal<T> {
  readonly name: OtlpSignal;
  readonly category: DiscardCategory;
  readonly rejectedKey: 'rejectedSpans' | 'rejectedLogRecords' | 'rejectedDataPoints';
  readonly url: URL | undefined;
  readonly encode: (items: T[]) => unknown;
  queue: T[];
  /** Items ever accepted into the queue, items taken out of it, and items whose request finished. */
  enqueued: number;
  taken: number;
  settled: number;
  /** Items that were accepted and then not delivered. */
  failed: number;
  /** Send everything accepted up to this count, partial batches included. */
  sendUpTo: number;
  timer: NodeJS.Timeout | undefined;
  immediate: NodeJS.Immediate | undefined;
  draining: Promise<void> | undefined;
}

function dropped(reason: DiscardReason, category: DiscardCategory, quantity: number): void {
  getClient()?.recordDroppedEvent(reason, category, quantity);
}

/**
 * Sends sampled spans, logs and metrics as OTLP/HTTP JSON to any OpenTelemetry receiver: a span
 * processor that can stand in for (or sit beside) the Sentry envelope transport.
 *
 * Batches per signal, one request in flight per signal, retries with backoff. Everything it holds is
 * bounded (`maxQueueSize` per signal plus the batch in flight); what does not fit or cannot be sent is
 * counted as dropped on the current client. It never throws into the caller and never keeps the process
 * alive: call `flush()` / `close()` to wait for delivery.
 */
export class OtlpExporter implements SpanProcessor {
  readonly options: ResolvedOtlpOptions;
  private resource: { client: Client | undefined; value: OtlpResource } | undefined;
  private readonly sender: HttpSender;
  private readonly traces: Signal<ReadableSpan>;
  private readonly logs: Signal<LogRecord>;
  private readonly metrics: Signal<MetricRecord>;
  private readonly sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private closed = false;

  constructor(options?: OtlpExporterOptions) {
    const { options: resolved, warnings } = resolveOtlpOptions(options);
    for (const w of warnings) warn(w);
    this.options = resolved;
    this.sender = createHttpSender(resolved.headers, resolved.compression);
    const bounds = resolved.histogramBounds;
    this.traces = this.signal('traces', 'span', 'rejectedSpans', (spans: ReadableSpan[]) =>
      spansToOtlp(spans, this.currentResource()),
    );
    this.logs = this.signal('logs', 'log_item', 'rejectedLogRecords', (records: LogRecord[]) =>
      logsToOtlp(records, this.currentResource()),
    );
    this.metrics = this.signal('metrics', 'trace_metric', 'rejectedDataPoints', (records: MetricRecord[]) =>
      metricsToOtlp(records, this.currentResource(), { histogramBounds: bounds }),
    );
  }

  /**
   * The resource, with the client's `environment` and `release` as `deployment.environment.name` and
   * `service.version` unless given: what init() says about the deployment should reach an OpenTelemetry
   * backend too. Rebuilt only when init() made a new client.
   */
  private currentResource(): OtlpResource {
    const client = getClient();
    if (this.resource !== undefined && this.resource.client === client) return this.resource.value;
    const defaults: Attributes = {};
    if (client !== undefined) {
      defaults['deployment.environment.name'] = client.options.environment;
      if (client.options.release !== undefined) defaults['service.version'] = client.options.release;
    }
    const value = otlpResource({
      serviceName: this.options.serviceName,
      attributes: { ...defaults, ...this.options.resourceAttributes },
    });
    this.resource = { client, value };
    return value;
  }

  private signal<T>(
    name: OtlpSignal,
    category: DiscardCategory,
    rejectedKey: Signal<T>['rejectedKey'],
    encode: (items: T[]) => unknown,
  ): Signal<T> {
    return {
      name,
      category,
      rejectedKey,
      url: this.options.urls[name],
      encode,
      queue: [],
      enqueued: 0,
      taken: 0,
      settled: 0,
      failed: 0,
      sendUpTo: 0,
      timer: undefined,
      immediate: undefined,
      draining: undefined,
    };
  }

  onEnd(span: ReadableSpan): void {
    // Unsampled spans reach processors only for trace rescue; they are not ours to send.
    if (span.sampled !== true) return;
    this.enqueue(this.traces, span);
  }

  onLog(record: LogRecord): void {
    this.enqueue(this.logs, record);
  }

  onMetric(record: MetricRecord): void {
    if (record === null || typeof record !== 'object' || !Number.isFinite(record.value)) {
      dropped('invalid_data', 'trace_metric', 1);
      return;
    }
    this.enqueue(this.metrics, record);
  }

  /** Items waiting per signal (not counting a batch in flight). */
  queueSizes(): Record<OtlpSignal, number> {
    return {
      traces: this.traces.queue.length,
      logs: this.logs.queue.length,
      metrics: this.metrics.queue.length,
    };
  }

  /**
   * Sends everything handed over so far, partial batches included. Resolves true when all of it was
   * delivered, false when something was dropped or the timeout passed first (sending goes on).
   */
  async forceFlush(timeoutMs = 30_000): Promise<boolean> {
    if (this.closed) return true;
    const signals = [this.traces, this.logs, this.metrics] as Signal<unknown>[];
    const failedBefore = signals.map((s) => s.failed);
    const work = Promise.all(signals.map((s) => this.flushSignal(s))).then(
      () => signals.every((s, i) => s.failed === failedBefore[i]),
      () => false,
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
      timer.unref();
    });
    const result = await Promise.race([work, timeout]);
    clearTimeout(timer);
    return result;
  }

  /** Flushes within `timeoutMs`, then stops: pending retries and requests are abandoned and counted. */
  async shutdown(timeoutMs = 30_000): Promise<boolean> {
    if (this.closed) return true;
    const flushed = await this.forceFlush(timeoutMs);
    this.closed = true;
    for (const sleep of this.sleeps) {
      clearTimeout(sleep.timer);
      sleep.resolve();
    }
    this.sleeps.clear();
    for (const s of [this.traces, this.logs, this.metrics] as Signal<unknown>[]) {
      clearTimeout(s.timer);
      if (s.immediate !== undefined) clearImmediate(s.immediate);
      if (s.queue.length > 0) {
        dropped('queue_overflow', s.category, s.queue.length);
        s.failed += s.queue.length;
        s.settled += s.queue.length;
        s.queue = [];
      }
    }
    this.sender.destroy();
    // The batches in flight fail at once now; waiting for them keeps their drop counts in this call.
    const drains = [this.traces, this.logs, this.metrics].map((s) => s.draining);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(drains),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 1000);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    return flushed;
  }

  private enqueue<T>(s: Signal<T>, item: T): void {
    if (this.closed || s.url === undefined) return;
    try {
      if (s.queue.length >= this.options.maxQueueSize) {
        dropped('queue_overflow', s.category, 1);
        return;
      }
      s.queue.push(item);
      s.enqueued++;
      if (s.draining !== undefined) return;
      if (s.queue.length >= this.options.maxBatchSize) {
        if (s.immediate === undefined)
          s.immediate = this.outsideTrace(() => setImmediate(() => this.onFull(s)));
      } else if (s.timer === undefined) {
        this.startTimer(s);
      }
    } catch (error) {
      getClient()?.debugWarn(`otlp exporter: could not queue ${s.name}: ${String(error)}`);
    }
  }

  /** Timers made under a span would carry (and keep alive) that span's context. */
  private outsideTrace<R extends NodeJS.Timeout | NodeJS.Immediate>(make: () => R): R {
    const handle = runWithSpan(undefined, make);
    handle.unref();
    return handle;
  }

  private startTimer<T>(s: Signal<T>): void {
    s.timer = this.outsideTrace(() =>
      setTimeout(() => {
        s.timer = undefined;
        s.sendUpTo = Math.max(s.sendUpTo, s.enqueued);
        void this.drain(s);
      }, this.options.scheduledDelayMs),
    );
  }

  private onFull<T>(s: Signal<T>): void {
    s.immediate = undefined;
    void this.drain(s);
  }

  private drain<T>(s: Signal<T>): Promise<void> {
    if (s.draining !== undefined) return s.draining;
    const run = runWithSpan(undefined, () => this.drainLoop(s));
    s.draining = run.then(
      () => this.afterDrain(s),
      (error: unknown) => {
        getClient()?.debugWarn(`otlp exporter: ${s.name} export failed: ${String(error)}`);
        this.afterDrain(s);
      },
    );
    return s.draining;
  }

  private afterDrain<T>(s: Signal<T>): void {
    s.draining = undefined;
    if (this.closed || s.queue.length === 0) return;
    if (s.queue.length >= this.options.maxBatchSize || s.taken < s.sendUpTo) {
      if (s.immediate === undefined)
        s.immediate = this.outsideTrace(() => setImmediate(() => this.onFull(s)));
    } else if (s.timer === undefined) {
      this.startTimer(s);
    }
  }

  private async drainLoop<T>(s: Signal<T>): Promise<void> {
    const max = this.options.maxBatchSize;
    while (!this.closed && s.queue.length > 0 && (s.queue.length >= max || s.taken < s.sendUpTo)) {
      const batch = s.queue.splice(0, max);
      s.taken += batch.length;
      try {
        await this.exportBatch(s, batch);
      } finally {
        s.settled += batch.length;
      }
    }
  }

  private async flushSignal<T>(s: Signal<T>): Promise<void> {
    const target = s.enqueued;
    s.sendUpTo = Math.max(s.sendUpTo, target);
    while (!this.closed && s.settled < target) {
      const before = s.settled;
      await this.drain(s);
      if (s.settled === before && s.draining === undefined && s.queue.length === 0) return;
    }
  }

  private fail<T>(s: Signal<T>, reason: DiscardReason, quantity: number, why: string): void {
    s.failed += quantity;
    dropped(reason, s.category, quantity);
    getClient()?.debugWarn(`otlp exporter: dropped ${quantity} ${s.name} item(s): ${why}`);
  }

  private async exportBatch<T>(s: Signal<T>, batch: T[]): Promise<void> {
    let body: Buffer | undefined;
    try {
      const json = JSON.stringify(s.encode(batch));
      if (json.length <= MAX_REQUEST_CHARS || batch.length === 1) {
        body = await encodeBody(json, this.options.compression);
      }
    } catch (error) {
      this.fail(s, 'invalid_data', batch.length, `could not encode: ${String(error)}`);
      return;
    }
    if (body === undefined) {
      const half = Math.ceil(batch.length / 2);
      await this.exportBatch(s, batch.slice(0, half));
      await this.exportBatch(s, batch.slice(half));
      return;
    }
    const url = s.url!;
    let reason: DiscardReason = 'network_error';
    let why = 'exporter shut down';
    for (let attempt = 0; !this.closed; attempt++) {
      const outcome = await this.sender.send(url, body, this.options.timeoutMs);
      if (outcome.kind === 'ok') {
        const { rejected, message } = parsePartialSuccess(outcome.body, s.rejectedKey);
        if (rejected > 0) {
          this.fail(s, 'send_error', Math.min(rejected, batch.length), `partial success: ${message ?? ''}`);
        }
        return;
      }
      if (outcome.kind === 'failed') {
        // Other 4xx/5xx mean the data itself is unacceptable: sending it again cannot help.
        this.fail(s, 'send_error', batch.length, `HTTP ${outcome.status} ${outcome.body.slice(0, 200)}`);
        return;
      }
      if (outcome.status === undefined) {
        reason = 'network_error';
        why = outcome.error ?? 'network error';
      } else {
        reason = outcome.status === 429 ? 'ratelimit_backoff' : 'send_error';
        why = `HTTP ${outcome.status}`;
      }
      if (attempt >= this.options.maxRetries || this.closed) break;
      await this.sleep(outcome.retryAfterMs ?? this.backoff(attempt));
    }
    this.fail(s, reason, batch.length, why);
  }

  private backoff(attempt: number): number {
    const { initialBackoffMs, maxBackoffMs } = this.options;
    const base = Math.min(maxBackoffMs, initialBackoffMs * 2 ** attempt);
    return Math.min(maxBackoffMs, base * (0.5 + Math.random()));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      entry.timer.unref();
      this.sleeps.add(entry);
    });
  }
}

/** `new OtlpExporter(options)`, for `init({ spanProcessors: [otlpExporter({ … })] })`. */
export function otlpExporter(options?: OtlpExporterOptions): OtlpExporter {
  return new OtlpExporter(options);
}
