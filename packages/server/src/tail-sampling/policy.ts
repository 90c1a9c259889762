import { createHash } from 'node:crypto';
import { MAX_WEIGHT } from '../ingest/weights.js';
import type { PlainValue, SpanRow } from '../model.js';

/**
 * Tail-sampling policies (docs/tail-sampling.md): pure decisions over a whole trace.
 *
 * Semantics. A policy either does not match a trace (`null`: the next policy is asked) or decides it:
 * keep with a weight multiplier, or drop. A list of policies is first-match: the first policy that
 * decides wins; a trace no policy decides is dropped. First-match is what keeps weights unbiased:
 * every trace is decided by exactly one policy, so "keep every error (×1), 10 % of the rest (×10)"
 * extrapolates to the true count. For the same reason a probabilistic or rate-limited policy always
 * decides (a trace it refuses is dropped, not passed on): passing it on would let a later policy keep
 * it again and count it twice.
 */

/** A policy as written in the policy file (validated by policy-file.ts against schema.ts). */
export type PolicySpec =
  | { type: 'always'; name?: string }
  | { type: 'drop'; name?: string }
  | { type: 'error'; name?: string }
  | { type: 'gen_ai'; name?: string }
  | { type: 'duration'; minMs: number; name?: string }
  | {
      type: 'attribute';
      key: string;
      equals?: string | number | boolean;
      regex?: string;
      min?: number;
      max?: number;
      name?: string;
    }
  | { type: 'probabilistic'; rate: number; name?: string }
  | { type: 'rate_limit'; tracesPerSecond: number; burst?: number; by?: string; name?: string }
  | { type: 'and'; policies: PolicySpec[]; name?: string }
  | { type: 'first_match'; policies: PolicySpec[]; name?: string }
  | {
      type: 'weighted';
      tracesPerSecond: number;
      policies: Array<{ share: number; policy: PolicySpec }>;
      name?: string;
    };

/** What the policies see: one trace's spans so far, and whether an error event named the trace. */
export interface TraceView {
  traceId: string;
  spans: readonly SpanRow[];
  /** An error event (Sentry `event` item) with this trace id arrived; errors are not spans. */
  hasErrorEvent: boolean;
}

export interface Decision {
  keep: boolean;
  /** Multiplies the weight of every kept span (1 / the probability this stage kept the trace). */
  multiplier: number;
  /** The policy that decided (its `name`, else its path such as `policies[2]`), or `default`. */
  policy: string;
}

/** A compiled policy: evaluation never allocates regexes or walks the spec again. */
export interface CompiledPolicy {
  readonly label: string;
  evaluate(trace: TraceView, state: PolicyState): Decision | null;
}

/** The only mutable input: token buckets of rate_limit policies and the clock. */
export interface PolicyState {
  now: number;
  buckets: RateLimitBuckets;
}

export function isAiSpan(span: SpanRow): boolean {
  return (
    span.operation !== null ||
    (span.op?.startsWith('gen_ai.') ?? false) ||
    span.attributes['gen_ai.operation.name'] !== undefined
  );
}

/** The trace root: the span without a parent, else the earliest segment, else the earliest span. */
export function rootOf(spans: readonly SpanRow[]): SpanRow | undefined {
  let best: SpanRow | undefined;
  let bestRank = 3;
  for (const span of spans) {
    const rank = span.parentSpanId === null ? 0 : span.isSegment ? 1 : 2;
    if (rank < bestRank || (rank === bestRank && best !== undefined && span.startTime < best.startTime)) {
      best = span;
      bestRank = rank;
    }
  }
  return best;
}

export function traceDurationMs(spans: readonly SpanRow[]): number {
  if (spans.length === 0) return 0;
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const span of spans) {
    if (span.startTime < start) start = span.startTime;
    if (span.endTime > end) end = span.endTime;
  }
  return end - start;
}

/**
 * A uniform number in [0, 1) from the trace id, the same on every server and after a restart, so a
 * re-decided trace gets the same answer. Salted and hashed rather than read from the id's bits: an
 * OpenTelemetry head sampler keeps traces by those bits, and reusing them would correlate the two
 * stages (the tail would keep every head-kept trace) and break the multiplied weight.
 */
export function traceRandom(traceId: string): number {
  const digest = createHash('sha256').update('sieve-tail:').update(traceId).digest();
  // 48 bits: exact in a double.
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

function kept(label: string, multiplier = 1): Decision {
  return { keep: true, multiplier, policy: label };
}

function matchesValue(value: PlainValue, test: (v: string | number | boolean) => boolean): boolean {
  if (Array.isArray(value)) return value.some(test);
  return test(value as string | number | boolean);
}

function condition(label: string, test: (trace: TraceView) => boolean): CompiledPolicy {
  return { label, evaluate: (trace) => (test(trace) ? kept(label) : null) };
}

/** Compiles a spec (already schema-valid). `path` labels unnamed policies, e.g. `policies[1].policies[0]`. */
export function compilePolicy(spec: PolicySpec, path: string): CompiledPolicy {
  const label = spec.name ?? path;
  switch (spec.type) {
    case 'always':
      return condition(label, () => true);
    case 'drop':
      return { label, evaluate: () => ({ keep: false, multiplier: 1, policy: label }) };
    case 'error':
      return condition(
        label,
        (trace) => trace.hasErrorEvent || trace.spans.some((span) => span.status === 'error'),
      );
    case 'gen_ai':
      return condition(label, (trace) => trace.spans.some(isAiSpan));
    case 'duration':
      return condition(label, (trace) => traceDurationMs(trace.spans) >= spec.minMs);
    case 'attribute': {
      const test = attributeTest(spec);
      return condition(label, (trace) =>
        trace.spans.some((span) => {
          const value = span.attributes[spec.key];
          return value !== undefined && matchesValue(value, test);
        }),
      );
    }
    case 'probabilistic':
      return {
        label,
        evaluate: (trace) =>
          traceRandom(trace.traceId) < spec.rate
            ? kept(label, 1 / spec.rate)
            : { keep: false, multiplier: 1, policy: label },
      };
    case 'rate_limit':
      return rateLimitPolicy(label, path, spec.tracesPerSecond, spec.burst, spec.by);
    case 'and': {
      const parts = spec.policies.map((p, i) => compilePolicy(p, `${path}.policies[${i}]`));
      return {
        label,
        evaluate(trace, state) {
          let multiplier = 1;
          for (const part of parts) {
            const decision = part.evaluate(trace, state);
            if (decision === null) return null;
            // All conditions hold; a refusing part (probabilistic, rate limit, drop) drops the trace.
            if (!decision.keep) return { keep: false, multiplier: 1, policy: label };
            multiplier *= decision.multiplier;
          }
          return kept(label, multiplier);
        },
      };
    }
    case 'first_match':
      return firstMatch(
        spec.policies.map((p, i) => compilePolicy(p, `${path}.policies[${i}]`)),
        label,
      );
    case 'weighted': {
      // Each branch is its sub-policy behind a token bucket holding its share of the budget; the
      // first branch whose sub-policy matches decides (kept only while its bucket has tokens).
      const branches = spec.policies.map(({ share, policy }, i) => {
        const branchPath = `${path}.policies[${i}]`;
        const inner = compilePolicy(policy, `${branchPath}.policy`);
        const limiter = rateLimitPolicy(inner.label, branchPath, spec.tracesPerSecond * share);
        return {
          label: inner.label,
          evaluate(trace: TraceView, state: PolicyState): Decision | null {
            const decision = inner.evaluate(trace, state);
            if (decision === null || !decision.keep) return decision;
            const limited = limiter.evaluate(trace, state)!;
            return limited.keep
              ? kept(decision.policy, decision.multiplier * limited.multiplier)
              : { keep: false, multiplier: 1, policy: decision.policy };
          },
        } satisfies CompiledPolicy;
      });
      return firstMatch(branches, label);
    }
  }
}

function firstMatch(parts: CompiledPolicy[], label: string): CompiledPolicy {
  return {
    label,
    evaluate(trace, state) {
      for (const part of parts) {
        const decision = part.evaluate(trace, state);
        if (decision !== null) return decision;
      }
      return null;
    },
  };
}

function attributeTest(
  spec: Extract<PolicySpec, { type: 'attribute' }>,
): (v: string | number | boolean) => boolean {
  if (spec.equals !== undefined) {
    const expected = spec.equals;
    // Numbers and booleans also match their text form: OTLP and Sentry disagree on some types.
    return (v) => v === expected || String(v) === String(expected);
  }
  if (spec.regex !== undefined) {
    const regex = new RegExp(spec.regex);
    return (v) => regex.test(String(v));
  }
  const min = spec.min ?? Number.NEGATIVE_INFINITY;
  const max = spec.max ?? Number.POSITIVE_INFINITY;
  return (v) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    return n >= min && n <= max;
  };
}

/** The top-level list: first-match, and a trace no policy decides is dropped (`default`). */
export function compilePolicies(specs: readonly PolicySpec[]): CompiledPolicy {
  const list = firstMatch(
    specs.map((p, i) => compilePolicy(p, `policies[${i}]`)),
    'policies',
  );
  return {
    label: 'policies',
    evaluate: (trace, state) =>
      list.evaluate(trace, state) ?? { keep: false, multiplier: 1, policy: 'default' },
  };
}

/** Weights are clamped like ingest's (weights.ts): one tiny rate cannot dominate a sum. */
export function multiplyWeight(weight: number, multiplier: number): number {
  return Math.min(MAX_WEIGHT, weight * multiplier);
}

// ---------------------------------------------------------------------------------------------
// rate_limit: a token bucket per key.

interface Bucket {
  tokens: number;
  refilledAt: number;
  windowStart: number;
  offered: number;
  kept: number;
  /** offered / kept in the previous whole second: the weight multiplier of this second's keeps. */
  ratio: number;
}

/**
 * Token buckets of every rate_limit policy, bounded: past `maxKeys` the least recently used key is
 * forgotten (a flood of distinct routes cannot grow memory).
 */
export class RateLimitBuckets {
  private readonly buckets = new Map<string, Bucket>();
  constructor(readonly maxKeys = 10_000) {}

  get size(): number {
    return this.buckets.size;
  }

  /**
   * Takes a token for `key` at time `now` (ms). Returns the weight multiplier when a token was
   * taken, or 0 when the bucket is empty. The multiplier is offered / kept over the key's previous
   * second (1 while nothing was refused): approximately 1 / P(kept) when the rate is steady.
   */
  take(key: string, now: number, perSecond: number, burst: number): number {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: burst, refilledAt: now, windowStart: now, offered: 0, kept: 0, ratio: 1 };
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    } else {
      this.buckets.delete(key); // re-inserted below: Map order is the LRU order
      const elapsed = Math.max(0, now - bucket.refilledAt);
      bucket.tokens = Math.min(burst, bucket.tokens + (elapsed * perSecond) / 1000);
      bucket.refilledAt = now;
      if (now - bucket.windowStart >= 1000) {
        // A gap longer than a window means the last window says nothing about now.
        bucket.ratio =
          now - bucket.windowStart < 2000 && bucket.offered > 0
            ? bucket.offered / Math.max(1, bucket.kept)
            : 1;
        bucket.windowStart = now;
        bucket.offered = 0;
        bucket.kept = 0;
      }
    }
    this.buckets.set(key, bucket);
    bucket.offered++;
    if (bucket.tokens < 1) return 0;
    bucket.tokens -= 1;
    bucket.kept++;
    return bucket.ratio;
  }
}

function rateKey(by: string | undefined, trace: TraceView): string {
  if (by === undefined) return '';
  const root = rootOf(trace.spans);
  if (root === undefined) return '';
  if (by === 'root.name') return root.name;
  if (by === 'root.op') return root.op ?? '';
  if (by === 'service') return root.serviceName ?? '';
  const value =
    root.attributes[by] ?? trace.spans.find((s) => s.attributes[by] !== undefined)?.attributes[by];
  return value === undefined ? '' : String(value);
}

function rateLimitPolicy(
  label: string,
  path: string,
  perSecond: number,
  burst = Math.max(1, perSecond),
  by?: string,
): CompiledPolicy {
  return {
    label,
    evaluate(trace, state) {
      const multiplier = state.buckets.take(
        `${path}\u0000${rateKey(by, trace)}`,
        state.now,
        perSecond,
        burst,
      );
      return multiplier > 0 ? kept(label, multiplier) : { keep: false, multiplier: 1, policy: label };
    },
  };
}
