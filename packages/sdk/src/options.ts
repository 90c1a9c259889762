import { DEFAULT_PRICES, type ModelPrice, type PriceTable, validatePriceTable } from './ai/prices.js';
import type { TransportFactory } from './delivery/transport.js';
import { type Dsn, parseDsn } from './dsn.js';
import { type RescueOptions, type ResolvedRescue, resolveRescueOptions } from './rescue/options.js';
import type { RandomSource } from './sampling/sample-rand.js';
import { describeValue, parseSampleRate } from './sampling/sample-rate.js';
import type { LogRecord, MetricRecord, SpanProcessor, TracesSampler } from './types.js';

export interface SieveOptions {
  /** Where data goes. Defaults to the SIEVE_DSN, then SENTRY_DSN environment variable. */
  dsn?: string;
  /** Uniform sample rate for roots without a forced decision, sampler or parent decision. Setting it (0 included) enables tracing. */
  tracesSampleRate?: number;
  /** Decides each root's sample rate; takes precedence over the parent decision and tracesSampleRate. */
  tracesSampler?: TracesSampler;
  /** Defaults to SENTRY_ENVIRONMENT, then 'production'. */
  environment?: string;
  /** Defaults to SENTRY_RELEASE. */
  release?: string;
  /** Outgoing requests get trace headers when their URL contains one of these strings or matches one of these patterns. Default: all. */
  tracePropagationTargets?: ReadonlyArray<string | RegExp>;
  /** Also send W3C `traceparent` (default true). */
  propagateTraceparent?: boolean;
  /** Also put the OpenTelemetry `ot=th:…;rv:…` entry in `tracestate` (default true), so OpenTelemetry consumers agree on weights. */
  propagateOtTracestate?: boolean;
  /** Span processors to hand ended spans to (delivery, bridges, rescue). */
  spanProcessors?: SpanProcessor[];
  /** Instrument incoming node:http requests (default true). */
  httpServer?: boolean;
  /** Propagate on outgoing node:http(s) requests and record http.client spans (default true). */
  httpClient?: boolean;
  /** Propagate on outgoing global fetch (undici) requests and record http.client spans (default true). */
  fetch?: boolean;
  /** Send logs (used by the delivery layer; default true). */
  enableLogs?: boolean;
  /** Send metrics (used by the delivery layer; default true). */
  enableMetrics?: boolean;
  /** Send client reports of dropped data (default true). */
  sendClientReports?: boolean;
  /** Record LLM prompts on gen_ai spans (default false). */
  recordInputs?: boolean;
  /** Record LLM completions on gen_ai spans (default false). */
  recordOutputs?: boolean;
  /** AI instrumentation: prices for the cost metric, automatic patching of the OpenAI and Anthropic clients. */
  ai?: AiOptions;
  /** Print warnings about invalid options, sampler results and attributes. */
  debug?: boolean;
  /** Replaces the HTTP transport, as Sentry's `transport` option does: `(options) => ({ send, flush })`. */
  transport?: TransportFactory;
  /** Change or drop (return null) each log before it is sent. */
  beforeSendLog?: (log: LogRecord) => LogRecord | null;
  /** Change or drop (return null) each metric before it is sent. */
  beforeSendMetric?: (metric: MetricRecord) => MetricRecord | null;
  /** Change or drop (return null) each error event before it is sent. */
  beforeSend?: (event: Record<string, unknown>) => Record<string, unknown> | null;
  /** Capture uncaught exceptions and unhandled rejections (default true); Node still exits as before. */
  captureUncaught?: boolean;
  /** Flush before the process exits and on SIGTERM (default true). */
  flushOnExit?: boolean;
  /** Register as the global @opentelemetry/api tracer provider, context manager and propagator (default true). */
  openTelemetry?: boolean;
  /** Envelopes waiting or in flight to the DSN (8 are sent at once); beyond it new ones are dropped and counted. Default 1000. */
  maxPendingEnvelopes?: number;
  /** Source of randomness for sample_rand, for reproducible tests. Default Math.random. */
  random?: RandomSource;
  /**
   * Trace rescue (default on, for `gen_ai` and errors, when tracing is enabled): a trace the head dropped
   * is still kept whole, at weight 1, when an AI span starts or a failure is recorded in it before its
   * local root ends. `false` turns it off; see docs/rescue.md.
   */
  rescue?: RescueOptions | boolean;
}

export interface AiOptions {
  /**
   * Model prices (USD per million tokens) that take precedence over the built-in table (first match wins).
   * A table with an invalid entry is rejected as a whole, with a warning naming the entry.
   */
  prices?: ModelPrice[];
  /** Patch the `openai` and `@anthropic-ai/sdk` clients the app can resolve (default true). */
  instrumentClients?: boolean;
}

/** Options after validation: every field has a safe value. */
export interface ResolvedOptions {
  dsn: Dsn | undefined;
  tracingEnabled: boolean;
  tracesSampleRate: number | undefined;
  tracesSampler: TracesSampler | undefined;
  environment: string;
  release: string | undefined;
  tracePropagationTargets: ReadonlyArray<string | RegExp> | undefined;
  propagateTraceparent: boolean;
  propagateOtTracestate: boolean;
  spanProcessors: SpanProcessor[];
  httpServer: boolean;
  httpClient: boolean;
  fetch: boolean;
  enableLogs: boolean;
  enableMetrics: boolean;
  sendClientReports: boolean;
  recordInputs: boolean;
  recordOutputs: boolean;
  /** The user's prices followed by the built-in ones. */
  prices: PriceTable;
  instrumentAiClients: boolean;
  debug: boolean;
  random: RandomSource;
  transport: TransportFactory | undefined;
  beforeSendLog: ((log: LogRecord) => LogRecord | null) | undefined;
  beforeSendMetric: ((metric: MetricRecord) => MetricRecord | null) | undefined;
  beforeSend: ((event: Record<string, unknown>) => Record<string, unknown> | null) | undefined;
  captureUncaught: boolean;
  flushOnExit: boolean;
  openTelemetry: boolean;
  maxPendingEnvelopes: number;
  rescue: ResolvedRescue | undefined;
}

function fn<T>(value: unknown, name: string, warnings: string[]): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'function') return value as T;
  warnings.push(`option ${name} must be a function, got ${describeValue(value)}; ignored`);
  return undefined;
}

function bool(value: unknown, fallback: boolean, name: string, warnings: string[]): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  warnings.push(`option ${name} must be a boolean, got ${describeValue(value)}; using ${fallback}`);
  return fallback;
}

function str(
  value: unknown,
  fallback: string | undefined,
  name: string,
  warnings: string[],
): string | undefined {
  if (value === undefined) return fallback;
  if (typeof value === 'string') return value;
  warnings.push(`option ${name} must be a string, got ${describeValue(value)}; ignored`);
  return fallback;
}

/**
 * Validates user options. Never throws: each invalid value gives one warning (returned, printed by the
 * client) and a safe default.
 */
export function resolveOptions(
  input: SieveOptions | undefined,
  env: Record<string, string | undefined>,
): { options: ResolvedOptions; warnings: string[] } {
  const warnings: string[] = [];
  const o: Record<string, unknown> = input !== null && typeof input === 'object' ? { ...input } : {};
  if (input !== undefined && (input === null || typeof input !== 'object')) {
    warnings.push(`init() takes an options object, got ${describeValue(input)}; using defaults`);
  }

  let dsn: Dsn | undefined;
  const dsnValue = str(o.dsn, env.SIEVE_DSN ?? env.SENTRY_DSN, 'dsn', warnings);
  if (dsnValue !== undefined && dsnValue !== '') {
    try {
      dsn = parseDsn(dsnValue);
    } catch (error) {
      warnings.push(`${(error as Error).message}; nothing will be sent`);
    }
  }

  let tracesSampleRate: number | undefined;
  let rateSet = false;
  if (o.tracesSampleRate !== undefined && o.tracesSampleRate !== null) {
    rateSet = true;
    tracesSampleRate = parseSampleRate(o.tracesSampleRate);
    if (tracesSampleRate === undefined) {
      warnings.push(
        `option tracesSampleRate must be a number between 0 and 1, got ${describeValue(o.tracesSampleRate)}; every root will be dropped`,
      );
      tracesSampleRate = 0;
    }
  }

  let tracesSampler: TracesSampler | undefined;
  if (o.tracesSampler !== undefined && o.tracesSampler !== null) {
    if (typeof o.tracesSampler === 'function') tracesSampler = o.tracesSampler as TracesSampler;
    else
      warnings.push(
        `option tracesSampler must be a function, got ${describeValue(o.tracesSampler)}; ignored`,
      );
  }

  let targets: ReadonlyArray<string | RegExp> | undefined;
  if (o.tracePropagationTargets !== undefined) {
    if (
      Array.isArray(o.tracePropagationTargets) &&
      o.tracePropagationTargets.every((t) => typeof t === 'string' || t instanceof RegExp)
    ) {
      targets = [...o.tracePropagationTargets];
    } else {
      warnings.push(
        'option tracePropagationTargets must be an array of strings and RegExps; propagating to none',
      );
      targets = [];
    }
  }

  let spanProcessors: SpanProcessor[] = [];
  if (o.spanProcessors !== undefined) {
    if (Array.isArray(o.spanProcessors)) {
      spanProcessors = o.spanProcessors.filter((p): p is SpanProcessor => {
        const ok = p !== null && typeof p === 'object' && typeof (p as SpanProcessor).onEnd === 'function';
        if (!ok)
          warnings.push(`a span processor must have an onEnd method, got ${describeValue(p)}; ignored`);
        return ok;
      });
    } else {
      warnings.push('option spanProcessors must be an array; ignored');
    }
  }

  let random: SieveOptions['random'] = Math.random;
  if (o.random !== undefined) {
    if (typeof o.random === 'function') random = o.random as SieveOptions['random'];
    else warnings.push('option random must be a function; using Math.random');
  }

  let prices: PriceTable = DEFAULT_PRICES;
  let instrumentAiClients = true;
  if (o.ai !== undefined && o.ai !== null) {
    if (typeof o.ai !== 'object') {
      warnings.push(`option ai must be an object, got ${describeValue(o.ai)}; ignored`);
    } else {
      const ai = o.ai as Record<string, unknown>;
      if (ai.prices !== undefined) {
        const problems = validatePriceTable(ai.prices);
        if (problems.length > 0)
          warnings.push(
            `option ai.prices rejected, using the built-in prices: ${problems.slice(0, 5).join('; ')}`,
          );
        else prices = [...(ai.prices as ModelPrice[]), ...DEFAULT_PRICES];
      }
      instrumentAiClients = bool(ai.instrumentClients, true, 'ai.instrumentClients', warnings);
    }
  }

  const options: ResolvedOptions = {
    dsn,
    tracingEnabled: rateSet || tracesSampler !== undefined,
    tracesSampleRate,
    tracesSampler,
    environment:
      str(o.environment, env.SENTRY_ENVIRONMENT ?? 'production', 'environment', warnings) ?? 'production',
    release: str(o.release, env.SENTRY_RELEASE, 'release', warnings),
    tracePropagationTargets: targets,
    propagateTraceparent: bool(o.propagateTraceparent, true, 'propagateTraceparent', warnings),
    propagateOtTracestate: bool(o.propagateOtTracestate, true, 'propagateOtTracestate', warnings),
    spanProcessors,
    httpServer: bool(o.httpServer, true, 'httpServer', warnings),
    httpClient: bool(o.httpClient, true, 'httpClient', warnings),
    fetch: bool(o.fetch, true, 'fetch', warnings),
    enableLogs: bool(o.enableLogs, true, 'enableLogs', warnings),
    enableMetrics: bool(o.enableMetrics, true, 'enableMetrics', warnings),
    sendClientReports: bool(o.sendClientReports, true, 'sendClientReports', warnings),
    recordInputs: bool(o.recordInputs, false, 'recordInputs', warnings),
    recordOutputs: bool(o.recordOutputs, false, 'recordOutputs', warnings),
    prices,
    instrumentAiClients,
    debug: bool(o.debug, false, 'debug', warnings),
    random: random ?? Math.random,
    transport: fn(o.transport, 'transport', warnings),
    beforeSendLog: fn(o.beforeSendLog, 'beforeSendLog', warnings),
    beforeSendMetric: fn(o.beforeSendMetric, 'beforeSendMetric', warnings),
    beforeSend: fn(o.beforeSend, 'beforeSend', warnings),
    captureUncaught: bool(o.captureUncaught, true, 'captureUncaught', warnings),
    flushOnExit: bool(o.flushOnExit, true, 'flushOnExit', warnings),
    openTelemetry: bool(o.openTelemetry, true, 'openTelemetry', warnings),
    maxPendingEnvelopes:
      typeof o.maxPendingEnvelopes === 'number' && o.maxPendingEnvelopes >= 1
        ? Math.floor(o.maxPendingEnvelopes)
        : 1000,
    rescue: resolveRescueOptions(o.rescue, warnings),
  };
  return { options, warnings };
}
