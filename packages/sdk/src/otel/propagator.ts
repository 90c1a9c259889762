import {
  type Baggage,
  type BaggageEntry,
  baggageEntryMetadataFromString,
  type Context,
  propagation,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { getClient } from '../client.js';
import { MAX_BAGGAGE_BYTES, parseBaggage } from '../propagation/baggage.js';
import { extractIncomingTrace } from '../propagation/incoming.js';
import { generateSpanId } from '../trace/ids.js';
import { NonRecordingSpan } from '../trace/span.js';
import { headersForSpan } from '../trace/tracer.js';
import { isTracingSuppressed, SPAN_KEY, sieveSpanIn } from './spans.js';

const FIELDS = ['sentry-trace', 'baggage', 'traceparent', 'tracestate'] as const;

function decode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Baggage list-members as OpenTelemetry baggage entries (`key=value;properties`). */
function baggageEntries(members: readonly string[]): Record<string, BaggageEntry> {
  const entries: Record<string, BaggageEntry> = {};
  for (const member of members) {
    const semi = member.indexOf(';');
    const pair = semi < 0 ? member : member.slice(0, semi);
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = decode(pair.slice(0, eq).trim());
    const value = decode(pair.slice(eq + 1).trim());
    if (key === undefined || value === undefined) continue;
    const entry: BaggageEntry = { value };
    if (semi >= 0) entry.metadata = baggageEntryMetadataFromString(member.slice(semi + 1));
    entries[key] = entry;
  }
  return entries;
}

/**
 * Sieve's baggage header plus the OpenTelemetry baggage entries it does not already carry, within the
 * W3C size limit. `sentry-*` entries are Sieve's (the DSC of the trace) and are never taken from there.
 */
function mergeBaggage(header: string | undefined, baggage: Baggage | undefined): string | undefined {
  if (baggage === undefined) return header;
  let out = header ?? '';
  const present = new Set<string>();
  for (const member of out.split(',')) {
    const eq = member.indexOf('=');
    if (eq > 0) present.add(decode(member.slice(0, eq).trim()) ?? '');
  }
  for (const [key, entry] of baggage.getAllEntries()) {
    if (key.startsWith('sentry-') || present.has(key)) continue;
    const metadata = entry.metadata?.toString();
    const member = `${encodeURIComponent(key)}=${encodeURIComponent(entry.value)}${metadata ? `;${metadata}` : ''}`;
    if (out.length + member.length + 1 > MAX_BAGGAGE_BYTES) continue;
    out = out === '' ? member : `${out},${member}`;
  }
  return out === '' ? undefined : out;
}

/**
 * OpenTelemetry's propagator for Sieve's headers: `sentry-trace` and `baggage` (with the dynamic sampling
 * context) plus W3C `traceparent` / `tracestate`, read and written by the same code as Sieve's own
 * continueTrace and getTraceData, so the sample rate and `sample_rand` travel as they do there.
 */
export class SievePropagator implements TextMapPropagator<unknown> {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter<unknown>): void {
    try {
      if (isTracingSuppressed(ctx)) return;
      const span = sieveSpanIn(ctx);
      let baggage: string | undefined;
      if (span !== undefined) {
        const headers = headersForSpan(span);
        setter.set(carrier, 'sentry-trace', headers['sentry-trace']);
        if (headers.traceparent !== undefined) setter.set(carrier, 'traceparent', headers.traceparent);
        if (headers.tracestate !== undefined) setter.set(carrier, 'tracestate', headers.tracestate);
        baggage = headers.baggage;
      }
      baggage = mergeBaggage(baggage, propagation.getBaggage(ctx));
      if (baggage !== undefined) setter.set(carrier, 'baggage', baggage);
    } catch (error) {
      getClient()?.debugWarn(`OpenTelemetry propagator could not inject trace headers: ${String(error)}`);
    }
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter<unknown>): Context {
    try {
      const headers: Record<string, string> = {};
      for (const name of FIELDS) {
        const value = getter.get(carrier, name);
        const joined = Array.isArray(value) ? value.join(',') : value;
        if (typeof joined === 'string') headers[name] = joined;
      }
      let out = ctx;
      const entries = baggageEntries(parseBaggage(headers.baggage).thirdParty);
      if (Object.keys(entries).length > 0)
        out = propagation.setBaggage(out, propagation.createBaggage(entries));
      const client = getClient();
      const trace = extractIncomingTrace(headers, client?.options.random ?? Math.random, client?.dscDefaults);
      if (trace === undefined) return out;
      // The placeholder's span id is the caller's, as OpenTelemetry's remote span contexts have it.
      const remote = new NonRecordingSpan(
        trace,
        trace.remoteParentSpanId ?? generateSpanId(),
        false,
        true,
        undefined,
      );
      return out.setValue(SPAN_KEY, remote);
    } catch (error) {
      getClient()?.debugWarn(`OpenTelemetry propagator could not read trace headers: ${String(error)}`);
      return ctx;
    }
  }

  fields(): string[] {
    return [...FIELDS];
  }
}
