import { logger } from '../api/logger.js';
import { metrics } from '../api/metrics.js';
import { getClient } from '../client.js';
import { currentSpan, runWithSpan } from '../trace/context.js';
import type { AnySpan } from '../trace/span.js';
import { nowMs } from '../trace/time.js';
import { createSpan } from '../trace/tracer.js';
import type { Attributes, AttributeValue } from '../types.js';
import { agentScope } from './agents.js';
import { boundedJson, type ContentMessage } from './content.js';
import { countInstrumentationError } from './errors.js';
import { estimateCost } from './prices.js';
import { routeOf } from './route.js';

/** What is known of a call when it starts: all a sampler may use. */
export interface CallStart {
  /** `chat`, `embeddings`, `text_completion`, … */
  operation: string;
  /** `openai`, `anthropic`, … */
  provider: string;
  model: string | undefined;
  stream: boolean;
  /** Request parameters (gen_ai.request.*, server.*), no content. */
  attributes: Record<string, AttributeValue | undefined>;
  /** Builds the prompt messages; called only with `recordInputs` and a recording span. */
  inputMessages?: () => ContentMessage[];
  /** Builds `gen_ai.system_instructions`; same conditions. */
  systemInstructions?: () => string | undefined;
  /** `sentry.origin`, e.g. `auto.ai.openai`. */
  origin: string;
}

/** Token counts as the GenAI conventions read them: input includes cached and cache-write tokens. */
export interface CallUsage {
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
  cacheWriteInputTokens?: number;
  reasoningTokens?: number;
}

/** What a response (or the accumulated stream) says. */
export interface CallResult {
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  usage?: CallUsage;
  /** Builds the completion messages; called only with `recordOutputs` and a recording span. */
  outputMessages?: () => ContentMessage[];
}

export type CallOutcome =
  | { status: 'ok' }
  | { status: 'error'; error: unknown }
  /** The caller stopped reading a stream or aborted the request. */
  | { status: 'cancelled' };

function errorType(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const e = error as { constructor?: { name?: unknown }; name?: unknown; status?: unknown };
    const name = e.constructor?.name ?? e.name;
    if (typeof name === 'string' && name !== '' && name !== 'Object') return name;
  }
  return '_OTHER';
}

function httpStatusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * One LLM call: its span (only when the trace records), and, when it ends, the per-call metrics and
 * log that are sent whatever the sampling said. Instrumentation code calls it; nothing here throws.
 */
export class LlmCall {
  readonly span: AnySpan | undefined;
  /** The span records: content and response attributes are worth computing. */
  readonly recording: boolean;
  private readonly parent: AnySpan | undefined;
  private readonly startTime: number;
  private readonly route: string | undefined;
  private readonly conversationId: string | undefined;
  private firstChunkTime: number | undefined;
  private done = false;

  constructor(readonly start: CallStart) {
    this.startTime = nowMs();
    this.parent = currentSpan();
    this.route = routeOf(this.parent);
    this.conversationId = agentScope.getStore()?.conversationId;
    const model = start.model;
    const attributes: Record<string, AttributeValue | undefined> = {
      'gen_ai.operation.name': start.operation,
      'gen_ai.provider.name': start.provider,
      'gen_ai.request.model': model,
      'gen_ai.conversation.id': this.conversationId,
      'sentry.origin': start.origin,
      ...start.attributes,
    };
    if (start.stream) attributes['gen_ai.request.stream'] = true;
    const span = createSpan({
      name: model === undefined ? start.operation : `${start.operation} ${model}`,
      op: `gen_ai.${start.operation}`,
      attributes,
    });
    this.span = span;
    this.recording = span.recording;
    if (this.recording) {
      const client = getClient();
      try {
        if (client?.options.recordInputs === true) {
          const messages = start.inputMessages?.();
          if (messages !== undefined && messages.length > 0)
            span.setAttribute('gen_ai.input.messages', boundedJson(messages));
          const system = start.systemInstructions?.();
          if (system !== undefined) span.setAttribute('gen_ai.system_instructions', system);
        }
      } catch (error) {
        countInstrumentationError('input content', error);
      }
    }
  }

  /** Runs the provider call with this call's span active (so HTTP spans and trace headers hang under it). */
  run<T>(fn: () => T): T {
    const span = this.span;
    // A dropped trace's children share the parent's placeholder: nothing new to enter.
    if (span === undefined || (!span.recording && !span.isRoot)) return fn();
    return runWithSpan(span, fn);
  }

  /** The first streamed chunk with output arrived. */
  firstChunk(): void {
    if (this.firstChunkTime === undefined) this.firstChunkTime = nowMs();
  }

  get ended(): boolean {
    return this.done;
  }

  /** Ends the call once: span attributes and status, then metrics and the log. Later calls are ignored. */
  end(result: CallResult, outcome: CallOutcome, notes?: Attributes): void {
    if (this.done) return;
    this.done = true;
    try {
      this.finish(result, outcome, notes);
    } catch (error) {
      countInstrumentationError('ending an LLM call', error);
      try {
        this.span?.end();
      } catch {
        // Already counted.
      }
    }
  }

  private finish(result: CallResult, outcome: CallOutcome, notes: Attributes | undefined): void {
    const end = nowMs();
    const client = getClient();
    const usage = result.usage;
    const model = result.responseModel ?? this.start.model;
    const span = this.span;
    const usageMissing =
      outcome.status === 'ok' &&
      (usage === undefined || (usage.inputTokens === undefined && usage.outputTokens === undefined));
    const prices = client?.options.prices;
    const cost = usage === undefined ? undefined : estimateCost(usage, model, prices);
    const failure = outcome.status === 'error' ? errorType(outcome.error) : undefined;

    if (span?.recording) {
      const attrs: Record<string, AttributeValue | undefined> = {
        'gen_ai.response.model': result.responseModel,
        'gen_ai.response.id': result.responseId,
        'gen_ai.usage.input_tokens': usage?.inputTokens,
        'gen_ai.usage.output_tokens': usage?.outputTokens,
        'gen_ai.usage.cache_read.input_tokens': usage?.cachedInputTokens,
        'gen_ai.usage.cache_creation.input_tokens': usage?.cacheWriteInputTokens,
        'gen_ai.usage.reasoning.output_tokens': usage?.reasoningTokens,
      };
      if (result.finishReasons !== undefined && result.finishReasons.length > 0)
        attrs['gen_ai.response.finish_reasons'] = result.finishReasons;
      if (this.firstChunkTime !== undefined)
        attrs['gen_ai.response.time_to_first_chunk'] = (this.firstChunkTime - this.startTime) / 1000;
      if (cost !== undefined) {
        attrs['gen_ai.cost.input_usd'] = cost.inputUsd;
        attrs['gen_ai.cost.output_usd'] = cost.outputUsd;
        attrs['gen_ai.cost.total_usd'] = cost.totalUsd;
      }
      if (usageMissing) attrs['sieve.ai.usage_missing'] = true;
      if (failure !== undefined) attrs['error.type'] = failure;
      if (notes !== undefined) Object.assign(attrs, notes);
      if (client?.options.recordOutputs === true && result.outputMessages !== undefined) {
        try {
          const messages = result.outputMessages();
          if (messages.length > 0) attrs['gen_ai.output.messages'] = boundedJson(messages);
        } catch (error) {
          countInstrumentationError('output content', error);
        }
      }
      span.setAttributes(attrs);
      if (outcome.status === 'error') {
        span.recordException(outcome.error);
        const status = httpStatusOf(outcome.error);
        if (status !== undefined) span.setAttribute('http.response.status_code', status);
      } else if (outcome.status === 'cancelled') {
        span.setStatus({ code: 2, message: 'cancelled' });
      } else {
        span.setStatus({ code: 1 });
      }
    }
    if (span !== undefined) span.end(end);

    // Metrics and the log carry the call's span, or in a dropped trace its placeholder (the trace id and
    // the parent's span id), whatever the sampling decision.
    const context = span ?? this.parent;
    const measure = () =>
      emitMeasurements({
        operation: this.start.operation,
        provider: this.start.provider,
        requestModel: this.start.model,
        responseModel: result.responseModel,
        route: this.route,
        usage,
        durationMs: end - this.startTime,
        timeToFirstChunkMs:
          this.firstChunkTime === undefined ? undefined : this.firstChunkTime - this.startTime,
        costUsd: cost?.totalUsd,
        status: outcome.status === 'ok' ? 'success' : outcome.status,
        errorType: failure,
        usageMissing,
        conversationId: this.conversationId,
      });
    if (context === currentSpan()) measure();
    else runWithSpan(context, measure);
  }
}

export interface CallMeasurement {
  operation: string;
  provider: string;
  requestModel: string | undefined;
  responseModel: string | undefined;
  route: string | undefined;
  usage: CallUsage | undefined;
  durationMs: number;
  timeToFirstChunkMs: number | undefined;
  costUsd: number | undefined;
  status: 'success' | 'error' | 'cancelled';
  errorType: string | undefined;
  usageMissing: boolean;
  conversationId?: string | undefined;
}

export interface MetricPoint {
  name: string;
  value: number;
  unit: string;
  attributes: Record<string, string | number | boolean>;
}

function defined(
  attrs: Record<string, string | number | boolean | undefined>,
): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const key in attrs) {
    const v = attrs[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * The metric points of one call (pure, table-tested). OpenTelemetry's names carry OpenTelemetry's
 * attributes; the seed's `gen_ai.token_usage` / `gen_ai.latency` carry the seed's (`model`, `endpoint`).
 * Input tokens include cached ones (as on the span); the cached share is its own metric,
 * `gen_ai.client.token.cached_input`, so summing `gen_ai.client.token.usage` never counts a token twice.
 */
export function measurementPoints(m: CallMeasurement): MetricPoint[] {
  const model = m.responseModel ?? m.requestModel;
  const otel = defined({
    'gen_ai.operation.name': m.operation,
    'gen_ai.provider.name': m.provider,
    'gen_ai.request.model': m.requestModel,
    'gen_ai.response.model': m.responseModel,
    'http.route': m.route,
    'error.type': m.errorType,
  });
  const seed = defined({ model, provider: m.provider, endpoint: m.route, status: m.status });
  const points: MetricPoint[] = [];
  const u = m.usage;
  if (u?.inputTokens !== undefined)
    points.push({
      name: 'gen_ai.client.token.usage',
      value: u.inputTokens,
      unit: '{token}',
      attributes: { ...otel, 'gen_ai.token.type': 'input' },
    });
  if (u?.outputTokens !== undefined)
    points.push({
      name: 'gen_ai.client.token.usage',
      value: u.outputTokens,
      unit: '{token}',
      attributes: { ...otel, 'gen_ai.token.type': 'output' },
    });
  if (u?.cachedInputTokens !== undefined && u.cachedInputTokens > 0)
    points.push({
      name: 'gen_ai.client.token.cached_input',
      value: u.cachedInputTokens,
      unit: '{token}',
      attributes: otel,
    });
  points.push({
    name: 'gen_ai.client.operation.duration',
    value: m.durationMs / 1000,
    unit: 's',
    attributes: otel,
  });
  if (m.timeToFirstChunkMs !== undefined)
    points.push({
      name: 'gen_ai.client.operation.time_to_first_chunk',
      value: m.timeToFirstChunkMs / 1000,
      unit: 's',
      attributes: otel,
    });
  if (u?.inputTokens !== undefined || u?.outputTokens !== undefined)
    points.push({
      name: 'gen_ai.token_usage',
      value: (u.inputTokens ?? 0) + (u.outputTokens ?? 0),
      unit: 'none',
      attributes: seed,
    });
  points.push({ name: 'gen_ai.latency', value: m.durationMs, unit: 'millisecond', attributes: seed });
  if (m.costUsd !== undefined)
    points.push({ name: 'gen_ai.client.cost', value: m.costUsd, unit: 'usd', attributes: otel });
  return points;
}

/** The attributes of the per-call log (`LLM call completed`). Pure. */
export function logAttributes(m: CallMeasurement): Record<string, string | number | boolean> {
  return defined({
    model: m.responseModel ?? m.requestModel,
    provider: m.provider,
    operation: m.operation,
    endpoint: m.route,
    input_tokens: m.usage?.inputTokens,
    output_tokens: m.usage?.outputTokens,
    cached_input_tokens: m.usage?.cachedInputTokens,
    reasoning_tokens: m.usage?.reasoningTokens,
    total_tokens:
      m.usage?.inputTokens === undefined && m.usage?.outputTokens === undefined
        ? undefined
        : (m.usage?.inputTokens ?? 0) + (m.usage?.outputTokens ?? 0),
    latency_ms: Math.round(m.durationMs * 1000) / 1000,
    time_to_first_chunk_ms:
      m.timeToFirstChunkMs === undefined ? undefined : Math.round(m.timeToFirstChunkMs * 1000) / 1000,
    cost_usd: m.costUsd,
    status: m.status,
    error_type: m.errorType,
    usage_missing: m.usageMissing ? true : undefined,
    'gen_ai.conversation.id': m.conversationId,
  });
}

export function emitMeasurements(m: CallMeasurement): void {
  try {
    for (const p of measurementPoints(m))
      metrics.distribution(p.name, p.value, { unit: p.unit, attributes: p.attributes });
    const attributes = logAttributes(m);
    if (m.status === 'error') logger.warn('LLM call completed', attributes);
    else logger.info('LLM call completed', attributes);
  } catch (error) {
    countInstrumentationError('LLM call metrics', error);
  }
}
