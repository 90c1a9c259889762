import {
  newSampleRand,
  parseSampleRand,
  type RandomSource,
  sampleRandForDecision,
} from '../sampling/sample-rand.js';
import { parseSampleRate } from '../sampling/sample-rate.js';
import type { DscDefaults } from '../trace/trace-state.js';
import { TraceState } from '../trace/trace-state.js';
import { TRACE_FLAG_RANDOM, TRACE_FLAG_SAMPLED } from '../types.js';
import { parseBaggage } from './baggage.js';
import { parseSentryTrace } from './sentry-trace.js';
import { parseTraceparent } from './traceparent.js';
import { parseOtValue, parseTracestate, rvToSampleRand, thresholdToRate } from './tracestate.js';

/** Incoming trace headers: a plain object (any key case, array values), a fetch Headers, or Sentry's `{ sentryTrace, baggage }`. */
export type IncomingHeaders =
  | Record<string, string | string[] | number | undefined | null>
  | { get(name: string): string | null }
  | {
      sentryTrace?: string | undefined;
      baggage?: string | string[] | undefined;
      traceparent?: string;
      tracestate?: string;
    };

const ALIASES: Record<string, string> = { 'sentry-trace': 'sentryTrace' };

/** Reads one header; several values (repeated headers) are joined by ', ' as Node does. */
export function readHeader(headers: IncomingHeaders, name: string): string | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  const getter = (headers as { get?: unknown }).get;
  if (typeof getter === 'function') {
    try {
      const value = (getter as (n: string) => unknown).call(headers, name);
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }
  const record = headers as Record<string, unknown>;
  let value = record[name];
  if (value === undefined && ALIASES[name] !== undefined) value = record[ALIASES[name]];
  if (value === undefined) {
    for (const key of Object.keys(record)) {
      if (key.length === name.length && key.toLowerCase() === name) {
        value = record[key];
        break;
      }
    }
  }
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.filter((v) => typeof v === 'string').join(', ');
  return undefined;
}

/**
 * The trace described by incoming headers, as the state of a remote parent, or undefined when the
 * headers carry no valid trace (then a new trace starts and incoming baggage is ignored).
 * `sentry-trace` wins over `traceparent` when both are present; tracestate and the random flag are only
 * taken from a traceparent of the same trace.
 */
export function extractIncomingTrace(
  headers: IncomingHeaders,
  random: RandomSource,
  defaults: DscDefaults | undefined,
): TraceState | undefined {
  const sentryTrace = parseSentryTrace(readHeader(headers, 'sentry-trace'));
  const traceparent = parseTraceparent(readHeader(headers, 'traceparent'));
  let traceId: string;
  let parentSpanId: string;
  let sampled: boolean | undefined;
  let randomFlag = false;
  let sameTraceparent = false;
  if (sentryTrace !== undefined) {
    traceId = sentryTrace.traceId;
    parentSpanId = sentryTrace.spanId;
    sampled = sentryTrace.sampled;
    if (traceparent !== undefined && traceparent.traceId === traceId) {
      sameTraceparent = true;
      randomFlag = (traceparent.flags & TRACE_FLAG_RANDOM) !== 0;
    }
  } else if (traceparent !== undefined) {
    traceId = traceparent.traceId;
    parentSpanId = traceparent.spanId;
    sampled = (traceparent.flags & TRACE_FLAG_SAMPLED) !== 0;
    randomFlag = (traceparent.flags & TRACE_FLAG_RANDOM) !== 0;
    sameTraceparent = true;
  } else {
    return undefined;
  }

  const baggage = parseBaggage(readHeader(headers, 'baggage'));
  let dsc = baggage.dsc;
  // A DSC made for another trace is not ours to forward.
  if (dsc !== undefined && dsc.trace_id !== undefined && dsc.trace_id !== traceId) dsc = undefined;

  const members = sameTraceparent ? (parseTracestate(readHeader(headers, 'tracestate')) ?? []) : [];
  const otIndex = members.findIndex((m) => m.key === 'ot');
  const ot = otIndex >= 0 ? parseOtValue(members[otIndex]!.value) : undefined;
  const vendor = otIndex >= 0 ? members.filter((_, i) => i !== otIndex) : members;

  let sampleRate = parseSampleRate(dsc?.sample_rate);
  if (sampleRate === undefined && ot?.threshold !== undefined) sampleRate = thresholdToRate(ot.threshold);

  let sampleRand = parseSampleRand(dsc?.sample_rand);
  if (sampleRand === undefined && dsc !== undefined) delete dsc.sample_rand; // invalid: replaced below
  if (sampleRand === undefined && ot?.randomness !== undefined) sampleRand = rvToSampleRand(ot.randomness);
  if (sampleRand === undefined) {
    sampleRand =
      sampled !== undefined && sampleRate !== undefined
        ? sampleRandForDecision(sampled, sampleRate, random)
        : newSampleRand(random);
  }

  const trace = new TraceState(
    traceId,
    sampleRand,
    parentSpanId,
    dsc,
    baggage.thirdParty,
    vendor,
    randomFlag,
    defaults,
  );
  trace.sampled = sampled;
  trace.sampleRate = sampleRate;
  return trace;
}
