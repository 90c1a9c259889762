import type { SamplingContext, TracesSampler } from '../types.js';
import { parseSampleRate } from './sample-rate.js';

/** Everything a root span's sampling decision depends on. */
export interface RootSamplingInput {
  /** `startSpan({ sampled })`: highest precedence. */
  forced: boolean | undefined;
  tracesSampler: TracesSampler | undefined;
  /** The validated `tracesSampleRate` option. */
  tracesSampleRate: number | undefined;
  /** The upstream decision carried in `sentry-trace` / `traceparent`. */
  parentSampled: boolean | undefined;
  parentSampleRate: number | undefined;
  /** The trace's `sample_rand` in [0, 1). */
  sampleRand: number;
  /** What the sampler is called with; required when `tracesSampler` is set. */
  context: SamplingContext | undefined;
}

export type DecisionSource = 'forced' | 'sampler' | 'parent' | 'rate';

export interface SamplingDecision {
  sampled: boolean;
  /**
   * The probability with which this root is kept: recorded as `sentry.sample_rate` (weight = 1 / rate)
   * and propagated as `sentry-sample_rate`. Undefined when the sampler gave an invalid answer.
   */
  sampleRate: number | undefined;
  source: DecisionSource;
  /** Set when the sampler returned something that is not a rate, or threw. The root is dropped. */
  invalid?: { value: unknown; error?: unknown };
}

/**
 * The head-sampling decision for a root span, in the seeds' precedence order:
 * forced decision → tracesSampler → parent decision → tracesSampleRate.
 * Pure apart from calling the user's sampler; never throws.
 * Callers only invoke it when tracing is enabled (a rate or a sampler is configured).
 */
export function decideRootSampling(input: RootSamplingInput): SamplingDecision {
  if (input.forced !== undefined) {
    return { sampled: input.forced, sampleRate: input.forced ? 1 : 0, source: 'forced' };
  }
  if (input.tracesSampler !== undefined) {
    let returned: unknown;
    try {
      returned = input.tracesSampler(input.context ?? missingContext());
    } catch (error) {
      return {
        sampled: false,
        sampleRate: undefined,
        source: 'sampler',
        invalid: { value: undefined, error },
      };
    }
    const rate = parseSampleRate(returned);
    if (rate === undefined) {
      return { sampled: false, sampleRate: undefined, source: 'sampler', invalid: { value: returned } };
    }
    return { sampled: input.sampleRand < rate, sampleRate: rate, source: 'sampler' };
  }
  if (input.parentSampled !== undefined) {
    // Inheriting keeps the upstream probability, so the stored weight stays right across services.
    const rate = input.parentSampleRate ?? (input.parentSampled ? 1 : 0);
    return { sampled: input.parentSampled, sampleRate: rate, source: 'parent' };
  }
  const rate = input.tracesSampleRate ?? 0;
  return { sampled: input.sampleRand < rate, sampleRate: rate, source: 'rate' };
}

function missingContext(): never {
  throw new TypeError('decideRootSampling: a tracesSampler needs a sampling context');
}

/** The value behind `inheritOrSampleWith(fallback)`. */
export function inheritOrSampleWith(
  parentSampled: boolean | undefined,
  parentSampleRate: number | undefined,
  fallback: number,
): number {
  if (typeof parentSampleRate === 'number') return parentSampleRate;
  if (typeof parentSampled === 'boolean') return parentSampled ? 1 : 0;
  return fallback;
}
