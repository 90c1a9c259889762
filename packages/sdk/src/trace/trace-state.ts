import type { TracestateMember } from '../propagation/tracestate.js';
import type { RescueEntry } from '../rescue/trace-rescue.js';
import { formatSampleRand, newSampleRand, type RandomSource } from '../sampling/sample-rand.js';
import { generateTraceId } from './ids.js';

/** The DSC values a client contributes to traces it starts. */
export interface DscDefaults {
  publicKey: string | undefined;
  environment: string;
  release: string | undefined;
}

/** What the DSC needs from the local root: its name, and whether that name is a raw URL. */
export interface SegmentInfo {
  readonly name: string;
  readonly nameIsUrl: boolean;
}

/**
 * The state one trace shares across all of its spans in this process: ids, the head decision and what
 * is propagated downstream. A root span owns one; its children point at it, so a later change of
 * decision (trace rescue promoting a dropped trace) is seen by every span and every outgoing request.
 */
export class TraceState {
  /** The decision: true/false, or undefined while none was made (tracing disabled, deferred upstream). */
  sampled: boolean | undefined;
  /** Probability of keeping the trace at this hop; see SamplingDecision.sampleRate. */
  sampleRate: number | undefined;
  /** True when this process applied its own rate, which then overwrites `sentry-sample_rate`. */
  rateApplied = false;
  /** The local root, once one started (undefined on the state of a remote parent). */
  segment: SegmentInfo | undefined;
  /** Spans started under a dropped root, for client reports. */
  droppedSpans = 0;
  /** The rescue buffer of this local root, when the head dropped it and rescue is on. */
  rescue: RescueEntry | undefined = undefined;
  private dscCache: Record<string, string> | undefined;

  constructor(
    readonly traceId: string,
    readonly sampleRand: number,
    /** The parent span id in the calling service, for a continued trace. */
    readonly remoteParentSpanId: string | undefined,
    /** `sentry-*` baggage from upstream: frozen, forwarded as received apart from the decision fields. */
    readonly incomingDsc: Readonly<Record<string, string>> | undefined,
    readonly thirdPartyBaggage: readonly string[],
    /** Incoming tracestate members other than `ot`, forwarded in order. */
    readonly vendorTracestate: readonly TracestateMember[],
    /** W3C random flag: our own trace ids are random; an upstream's flag is preserved. */
    readonly randomFlag: boolean,
    readonly defaults: DscDefaults | undefined,
  ) {}

  static newTrace(random: RandomSource, defaults: DscDefaults | undefined): TraceState {
    return new TraceState(
      generateTraceId(),
      newSampleRand(random),
      undefined,
      undefined,
      [],
      [],
      true,
      defaults,
    );
  }

  /** A local root's own state for a trace continued from `remote` (the placeholder of continueTrace). */
  static continueFrom(remote: TraceState): TraceState {
    return new TraceState(
      remote.traceId,
      remote.sampleRand,
      remote.remoteParentSpanId,
      remote.incomingDsc,
      remote.thirdPartyBaggage,
      remote.vendorTracestate,
      remote.randomFlag,
      remote.defaults,
    );
  }

  /**
   * The dynamic sampling context: computed once, on first use, then frozen (what went downstream once
   * stays the same), except that a change of decision (promote) recomputes it.
   */
  dsc(): Readonly<Record<string, string>> {
    if (this.dscCache !== undefined) return this.dscCache;
    let dsc: Record<string, string>;
    if (this.incomingDsc !== undefined) {
      dsc = { ...this.incomingDsc };
      if (this.rateApplied && this.sampleRate !== undefined) dsc.sample_rate = String(this.sampleRate);
    } else {
      dsc = { trace_id: this.traceId };
      const d = this.defaults;
      if (d?.publicKey !== undefined) dsc.public_key = d.publicKey;
      if (d !== undefined) dsc.environment = d.environment;
      if (d?.release !== undefined) dsc.release = d.release;
      // A raw URL as transaction name would leak ids and defeat grouping: Sentry leaves it out too.
      if (this.segment !== undefined && !this.segment.nameIsUrl) dsc.transaction = this.segment.name;
      if (this.sampleRate !== undefined) dsc.sample_rate = String(this.sampleRate);
    }
    if (this.sampled !== undefined) dsc.sampled = this.sampled ? 'true' : 'false';
    if (dsc.sample_rand === undefined) dsc.sample_rand = formatSampleRand(this.sampleRand);
    this.dscCache = dsc;
    return dsc;
  }

  /**
   * Changes the decision to sampled at `rate` (trace rescue; also raises a sampled trace's rate to 1 when
   * it turns out to hold AI work). Outgoing requests from now on carry it.
   */
  promote(rate = 1): void {
    this.sampled = true;
    this.sampleRate = rate;
    this.rateApplied = true;
    this.dscCache = undefined;
  }
}
