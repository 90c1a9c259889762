import type { TraceState } from '../trace/trace-state.js';
import { TRACE_FLAG_RANDOM, TRACE_FLAG_SAMPLED } from '../types.js';
import { formatBaggage } from './baggage.js';
import { formatSentryTrace } from './sentry-trace.js';
import { formatTraceparent } from './traceparent.js';
import { formatTracestate, rateToThreshold, sampleRandToRv, type TracestateMember } from './tracestate.js';

export interface TraceHeaders {
  'sentry-trace': string;
  baggage: string;
  traceparent?: string;
  tracestate?: string;
}

export interface PropagationSettings {
  propagateTraceparent: boolean;
  propagateOtTracestate: boolean;
}

const MAX_TRACESTATE_MEMBERS = 32;

/** The headers that carry `trace` downstream, with `spanId` as the parent id the callee will see. */
export function traceHeaders(trace: TraceState, spanId: string, settings: PropagationSettings): TraceHeaders {
  const headers: TraceHeaders = {
    'sentry-trace': formatSentryTrace(trace.traceId, spanId, trace.sampled),
    baggage: formatBaggage(trace.dsc(), trace.thirdPartyBaggage),
  };
  if (settings.propagateTraceparent) {
    const flags =
      (trace.sampled === true ? TRACE_FLAG_SAMPLED : 0) | (trace.randomFlag ? TRACE_FLAG_RANDOM : 0);
    headers.traceparent = formatTraceparent(trace.traceId, spanId, flags);
    const members = outgoingTracestate(trace, settings.propagateOtTracestate);
    if (members.length > 0) headers.tracestate = formatTracestate(members);
  }
  return headers;
}

function outgoingTracestate(trace: TraceState, withOt: boolean): readonly TracestateMember[] {
  const vendor = trace.vendorTracestate;
  // Our entry goes first (W3C: a modified member moves to the front), but never pushes a full list over 32.
  if (!withOt || vendor.length >= MAX_TRACESTATE_MEMBERS) return vendor;
  const th = trace.sampleRate !== undefined ? rateToThreshold(trace.sampleRate) : undefined;
  const rv = sampleRandToRv(trace.sampleRand);
  const value = th === undefined ? `rv:${rv}` : `th:${th};rv:${rv}`;
  return [{ key: 'ot', value }, ...vendor];
}

/** Whether an outgoing request to `url` gets trace headers. Undefined targets: every URL. */
export function shouldPropagateTo(url: string, targets: ReadonlyArray<string | RegExp> | undefined): boolean {
  if (targets === undefined) return true;
  for (const target of targets) {
    if (typeof target === 'string') {
      if (url.includes(target)) return true;
    } else {
      target.lastIndex = 0;
      if (target.test(url)) return true;
    }
  }
  return false;
}
