/**
 * Per-call metrics and the `LLM call completed` log for the Vercel AI SDK, whose spans come through the
 * OpenTelemetry bridge. Each provider call of the AI SDK is one inner span (`ai.generateText.doGenerate`,
 * `ai.streamText.doStream`, `ai.embed.doEmbed`, …) whose attributes carry model, usage and timing; the
 * outer spans sum their steps and are not measured (that would count tokens twice).
 *
 * A sampled (recording) inner span is measured when it ends, by a span processor. In a dropped trace the
 * span would be the shared no-op placeholder, which keeps nothing; so the bridge hands out a MeteringSpan
 * instead: still non-recording for everyone else, it keeps just the AI attributes it is given and
 * measures the call when it ends. Tokens are then counted for sampled and unsampled calls alike.
 */
import { getClient } from '../client.js';
import { runWithSpan } from '../trace/context.js';
import { type AnySpan, NonRecordingSpan } from '../trace/span.js';
import { nowMs, toEpochMs } from '../trace/time.js';
import type {
  Attributes,
  AttributeValue,
  ReadableSpan,
  SpanProcessor,
  SpanStatus,
  TimeInput,
} from '../types.js';
import { type CallMeasurement, emitMeasurements } from './call.js';
import { countInstrumentationError } from './errors.js';
import { estimateCost } from './prices.js';
import { num, str } from './read.js';
import { routeOf } from './route.js';

const INNER_CALL =
  /^ai\.(generateText|streamText|generateObject|streamObject|embed|embedMany)\.(doGenerate|doStream|doEmbed)$/;

export function isVercelCall(name: string): boolean {
  return INNER_CALL.test(name);
}

type Attrs = Readonly<Record<string, unknown>>;

function providerOf(value: string | undefined): string | undefined {
  // The AI SDK names providers `<provider>.<api>` (`openai.chat`, `anthropic.messages`).
  return value?.split('.')[0];
}

/** The measurement of one inner AI SDK call from its span attributes. Pure. */
export function vercelMeasurement(
  name: string,
  a: Attrs,
  durationMs: number,
  errorType: string | undefined,
  route: string | undefined,
): CallMeasurement {
  const embed = name.startsWith('ai.embed');
  const requestModel = str(a['gen_ai.request.model']) ?? str(a['ai.model.id']);
  const responseModel = str(a['gen_ai.response.model']) ?? str(a['ai.response.model']);
  const input = embed
    ? (num(a['ai.usage.tokens']) ?? num(a['gen_ai.usage.input_tokens']))
    : (num(a['gen_ai.usage.input_tokens']) ??
      num(a['ai.usage.inputTokens']) ??
      num(a['ai.usage.promptTokens']));
  const output = embed
    ? undefined
    : (num(a['gen_ai.usage.output_tokens']) ??
      num(a['ai.usage.outputTokens']) ??
      num(a['ai.usage.completionTokens']));
  const usage = {
    inputTokens: input,
    outputTokens: output,
    cachedInputTokens:
      num(a['ai.usage.inputTokenDetails.cacheReadTokens']) ?? num(a['ai.usage.cachedInputTokens']),
    cacheWriteInputTokens: num(a['ai.usage.inputTokenDetails.cacheWriteTokens']),
    reasoningTokens:
      num(a['ai.usage.outputTokenDetails.reasoningTokens']) ?? num(a['ai.usage.reasoningTokens']),
  };
  const model = responseModel ?? requestModel;
  const cost = estimateCost(usage, model, getClient()?.options.prices);
  const ttft = num(a['ai.response.msToFirstChunk']);
  const status = errorType === undefined ? 'success' : 'error';
  return {
    operation: embed ? 'embeddings' : 'generate_content',
    provider:
      providerOf(str(a['gen_ai.system']) ?? str(a['gen_ai.provider.name']) ?? str(a['ai.model.provider'])) ??
      'unknown',
    requestModel,
    responseModel,
    route,
    usage: input === undefined && output === undefined ? undefined : usage,
    durationMs,
    timeToFirstChunkMs: ttft,
    costUsd: cost?.totalUsd,
    status,
    errorType,
    usageMissing: status === 'success' && input === undefined && output === undefined,
  };
}

function errorTypeOf(span: ReadableSpan): string | undefined {
  if (span.status.code !== 2) return undefined;
  const exception = span.events.find((e) => e.name === 'exception');
  const type = exception?.attributes?.['exception.type'];
  return typeof type === 'string' ? type : '_OTHER';
}

/** Measures recording inner calls when they end (sampled, or recorded for a rescue processor). */
class VercelMeter implements SpanProcessor {
  onEnd(span: ReadableSpan): void {
    if (!isVercelCall(span.name)) return;
    try {
      const duration = (span.endTime ?? nowMs()) - span.startTime;
      const measurement = vercelMeasurement(
        span.name,
        span.attributes,
        duration,
        errorTypeOf(span),
        routeOf(span as AnySpan),
      );
      runWithSpan(span as AnySpan, () => emitMeasurements(measurement));
    } catch (error) {
      countInstrumentationError('measuring an AI SDK call', error);
    }
  }
}

const meter = new VercelMeter();
const metered = new WeakSet<object>();

/** A non-recording inner call of a dropped trace that still measures itself. */
class MeteringSpan extends NonRecordingSpan {
  private readonly kept: Record<string, unknown> = {};
  private readonly startMs: number;
  private errorType: string | undefined;
  private done = false;
  private plainChild: NonRecordingSpan | undefined;

  constructor(
    like: NonRecordingSpan,
    private readonly callName: string,
    attributes: Record<string, AttributeValue | undefined> | undefined,
    startTime: TimeInput | undefined,
  ) {
    super(like.trace, like.spanId, false, false, undefined);
    this.startMs = (startTime === undefined ? undefined : toEpochMs(startTime)) ?? nowMs();
    if (attributes !== undefined) this.keep(attributes);
  }

  private keep(attributes: Record<string, unknown>): void {
    for (const key in attributes) {
      // Only what a measurement reads: model, provider, usage and timing, never prompts or outputs.
      if (
        key.startsWith('gen_ai.') ||
        key.startsWith('ai.usage.') ||
        key.startsWith('ai.model.') ||
        key === 'ai.response.model' ||
        key === 'ai.response.msToFirstChunk'
      )
        this.kept[key] = attributes[key];
    }
  }

  override nonRecordingChild(): NonRecordingSpan {
    // Children share a plain placeholder: their end() must not end this call.
    this.plainChild ??= new NonRecordingSpan(this.trace, this.spanId, false, false, undefined);
    this.trace.droppedSpans++;
    return this.plainChild;
  }

  override setAttribute(key?: unknown, value?: unknown): this {
    if (typeof key === 'string') this.keep({ [key]: value });
    return this;
  }

  override setAttributes(attributes?: unknown): this {
    if (attributes !== null && typeof attributes === 'object')
      this.keep(attributes as Record<string, unknown>);
    return this;
  }

  override setStatus(status?: unknown): this {
    if ((status as SpanStatus | undefined)?.code === 2) this.errorType ??= '_OTHER';
    return this;
  }

  override recordException(error?: unknown): void {
    const name = (error as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    this.errorType = typeof name === 'string' && name !== '' ? name : '_OTHER';
  }

  override end(endTime?: unknown): void {
    if (this.done) return;
    this.done = true;
    try {
      const end = (endTime === undefined ? undefined : toEpochMs(endTime)) ?? nowMs();
      const measurement = vercelMeasurement(
        this.callName,
        this.kept as Attributes,
        end - this.startMs,
        this.errorType,
        routeOf(this),
      );
      runWithSpan(this, () => emitMeasurements(measurement));
    } catch (error) {
      countInstrumentationError('measuring an AI SDK call', error);
    }
  }
}

/**
 * Called by the OpenTelemetry bridge for every span it starts: an inner AI SDK call is measured whatever
 * the sampling decision. Other spans pass through untouched (one regular expression test).
 */
export function meterVercelSpan(
  span: AnySpan,
  name: string,
  attributes: Record<string, AttributeValue | undefined> | undefined,
  startTime: TimeInput | undefined,
): AnySpan {
  if (!isVercelCall(name)) return span;
  try {
    if (span.recording) {
      const client = getClient();
      if (client !== undefined && !metered.has(client)) {
        metered.add(client);
        client.addProcessor(meter);
      }
      return span;
    }
    if (span.isRoot || span.isRemote) return span;
    return new MeteringSpan(span, name, attributes, startTime);
  } catch (error) {
    countInstrumentationError('metering an AI SDK call', error);
    return span;
  }
}
