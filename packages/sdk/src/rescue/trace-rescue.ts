import { handToProcessors, RecordingSpan, type SpanSink } from '../trace/span.js';
import type { TraceState } from '../trace/trace-state.js';
import type { ResolvedRescue } from './options.js';
import { estimateSpanBytes, isFailure, isGenAiStart, type RescueReason } from './triggers.js';

const BUFFERING = 0;
const PROMOTED = 1;
/** The local root ended with nothing to rescue: counted as a head drop. */
const FREED = 2;
/** Given up to keep the buffer within its caps (or its trace ran too long): counted as buffer_overflow. */
const EVICTED = 3;
type EntryState = typeof BUFFERING | typeof PROMOTED | typeof FREED | typeof EVICTED;

const NO_SPANS: RecordingSpan[] = [];

/**
 * The buffer of one local root whose trace the head dropped: the spans that ended so far. Entries form
 * a list in admission order (oldest first, for eviction) and, per trace id, a list of the local roots
 * of that trace in this process (concurrent requests continuing one trace), which are promoted together.
 */
export class RescueEntry {
  state: EntryState = BUFFERING;
  spans: RecordingSpan[] = [];
  /** Estimated bytes of the buffered spans plus the open root. */
  bytes: number;
  older: RescueEntry | undefined;
  newer: RescueEntry | undefined;
  prevSibling: RescueEntry | undefined;
  nextSibling: RescueEntry | undefined;

  constructor(
    readonly trace: TraceState,
    readonly root: RecordingSpan,
    /** Epoch ms when the root was admitted, for maxTraceDurationMs. */
    readonly admittedAt: number,
    rootBytes: number,
  ) {
    this.bytes = rootBytes;
  }
}

export interface RescueStats {
  /** Local roots buffered now. */
  traces: number;
  /** Spans buffered now, open local roots included. */
  spans: number;
  /** Estimated bytes buffered now. */
  bytes: number;
  /** Local roots promoted so far. */
  promoted: number;
  /** Local roots given up so far (caps or duration). */
  evicted: number;
  /** Largest span count and byte estimate the buffer ever held. */
  peakSpans: number;
  peakBytes: number;
}

/**
 * Trace rescue: spans of traces the head dropped are recorded into a bounded buffer per local root.
 * A `gen_ai` span starting, or a failure being recorded, before the local root ends promotes the trace:
 * it becomes sampled at rate 1 (weight 1), `sieve.rescued` is set on the root, the buffered spans go to
 * the span processors and every later span and outgoing request carries the sampled decision. When the
 * root ends with nothing of the kind, the buffer is freed and the trace counted as a head drop.
 *
 * A head-sampled trace that turns out to hold AI work or a failure also gets its rate raised to 1 (while
 * its root is open): with rescue on such traces are kept with probability 1, so their weight is 1.
 *
 * Bounded: at most `maxBufferedSpans` spans and `maxBufferedBytes` (estimated) across all traces; the
 * oldest local roots are evicted first, as are roots older than `maxTraceDurationMs`. An evicted trace is
 * never promoted later (that would send it partial); its spans are counted as `buffer_overflow`.
 */
export class TraceRescue {
  private oldest: RescueEntry | undefined;
  private newest: RescueEntry | undefined;
  /** Per trace id, the most recent of its buffering local roots (the head of its sibling list). */
  private readonly byTrace = new Map<string, RescueEntry>();
  private traces = 0;
  private spans = 0;
  private bytes = 0;
  private promoted = 0;
  private evicted = 0;
  private peakSpans = 0;
  private peakBytes = 0;

  constructor(
    readonly settings: Readonly<ResolvedRescue>,
    private readonly sink: SpanSink,
  ) {}

  stats(): RescueStats {
    return {
      traces: this.traces,
      spans: this.spans,
      bytes: this.bytes,
      promoted: this.promoted,
      evicted: this.evicted,
      peakSpans: this.peakSpans,
      peakBytes: this.peakBytes,
    };
  }

  /** A root the head dropped starts recording into the buffer. Its drop is counted once its fate is known. */
  admit(trace: TraceState, root: RecordingSpan): void {
    const now = Date.now();
    this.expire(now);
    const entry = new RescueEntry(trace, root, now, estimateSpanBytes(root.name, root.attributes, NO_EVENTS));
    trace.rescue = entry;
    if (this.newest === undefined) this.oldest = entry;
    else {
      this.newest.newer = entry;
      entry.older = this.newest;
    }
    this.newest = entry;
    const sibling = this.byTrace.get(trace.traceId);
    if (sibling !== undefined) {
      entry.nextSibling = sibling;
      sibling.prevSibling = entry;
    }
    this.byTrace.set(trace.traceId, entry);
    this.traces++;
    this.spans++;
    this.bytes += entry.bytes;
    this.enforceCaps();
    this.notePeak();
  }

  private notePeak(): void {
    if (this.spans > this.peakSpans) this.peakSpans = this.spans;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
  }

  /** Every recording span's start (roots right after admit): a `gen_ai` span promotes its trace. */
  onStart(span: RecordingSpan): void {
    if (this.settings.genAi && isGenAiStart(span.op, span.attributes)) this.trigger(span.trace, 'gen_ai');
  }

  /** `captureException` inside a trace. */
  onCapturedError(trace: TraceState): void {
    if (this.settings.error) this.trigger(trace, 'error');
  }

  /**
   * Every recording span's end, before the processors see it: buffers a span of a dropped trace, promotes
   * on a failure, frees the buffer when the local root ends, counts spans of freed or evicted traces.
   */
  onEnd(span: RecordingSpan): void {
    const trace = span.trace;
    const entry = trace.rescue;
    if (trace.sampled === true) {
      // Promoted by someone else (a processor calling `TraceState.promote`): hand over what is buffered.
      if (entry !== undefined && entry.state === BUFFERING) this.release(entry);
      if (this.settings.error && isFailure(span.status, span.attributes)) this.raise(trace, span);
      return;
    }
    if (entry === undefined) return;
    switch (entry.state) {
      case BUFFERING:
        break;
      case FREED:
        this.sink.recordDroppedEvent('sample_rate', 'span', 1);
        return;
      case EVICTED:
        this.sink.recordDroppedEvent('buffer_overflow', 'span', 1);
        return;
      default:
        return;
    }
    if (this.settings.error && isFailure(span.status, span.attributes)) {
      this.promote(entry, 'error');
      return;
    }
    if (span === entry.root) {
      this.free(entry);
      return;
    }
    const bytes = estimateSpanBytes(span.name, span.attributes, span.events);
    entry.spans.push(span);
    entry.bytes += bytes;
    this.bytes += bytes;
    this.spans++;
    if (this.spans > this.settings.maxBufferedSpans || this.bytes > this.settings.maxBufferedBytes) {
      this.enforceCaps();
    }
    this.notePeak();
    // The span's end time is the clock at hand: no extra Date.now() per buffered span.
    const oldest = this.oldest;
    if (oldest !== undefined && (span.endTime ?? 0) - oldest.admittedAt > this.settings.maxTraceDurationMs) {
      this.expire(span.endTime ?? Date.now());
    }
  }

  /** Gives up every buffered trace (the client is closing): each counted as the head drop it was. */
  releaseAll(): void {
    while (this.oldest !== undefined) this.free(this.oldest);
  }

  private trigger(trace: TraceState, reason: RescueReason): void {
    if (trace.sampled === true) {
      this.raise(trace, undefined);
      return;
    }
    const entry = trace.rescue;
    if (entry !== undefined && entry.state === BUFFERING) this.promote(entry, reason);
  }

  /**
   * A head-sampled trace holds AI work or a failure: with rescue on it would have been kept anyway, so its
   * weight is 1. Only while the root can still carry it (open, or ending right now); once the root went
   * out with its rate, changing the rest would make the trace disagree with itself.
   */
  private raise(trace: TraceState, ending: RecordingSpan | undefined): void {
    if (trace.sampleRate === 1) return;
    const root = trace.segment;
    if (!(root instanceof RecordingSpan) || (root.endTime !== undefined && root !== ending)) return;
    root.attributes['sentry.sample_rate'] = 1;
    trace.promote(1);
  }

  /** Promotes the entry and the other buffering local roots of its trace in this process. */
  private promote(entry: RescueEntry, reason: RescueReason): void {
    this.promoteOne(entry, reason);
    // Only buffering entries are on a sibling list: what remains of it are the others of this trace.
    let sibling = this.byTrace.get(entry.trace.traceId);
    while (sibling !== undefined) {
      const next = sibling.nextSibling;
      this.promoteOne(sibling, reason);
      sibling = next;
    }
  }

  private promoteOne(entry: RescueEntry, reason: RescueReason): void {
    this.promoted++;
    entry.trace.promote(1);
    const attributes = entry.root.attributes;
    attributes['sentry.sample_rate'] = 1;
    attributes['sieve.rescued'] = reason;
    this.release(entry);
  }

  /** The trace is sampled now: its buffered spans go to the processors, in the order they ended. */
  private release(entry: RescueEntry): void {
    this.detach(entry, PROMOTED);
    const spans = entry.spans;
    entry.spans = NO_SPANS;
    for (let i = 0; i < spans.length; i++) handToProcessors(spans[i]!);
  }

  private free(entry: RescueEntry): void {
    const spans = entry.spans.length;
    this.detach(entry, FREED);
    entry.spans = NO_SPANS;
    this.sink.recordDroppedEvent('sample_rate', 'transaction', 1);
    this.sink.recordDroppedEvent('sample_rate', 'span', spans + 1);
  }

  private evict(entry: RescueEntry): void {
    const spans = entry.spans.length;
    this.detach(entry, EVICTED);
    entry.spans = NO_SPANS;
    this.evicted++;
    // The root is counted when (if ever) it ends; the spans that ended so far are counted now.
    this.sink.recordDroppedEvent('buffer_overflow', 'transaction', 1);
    this.sink.recordDroppedEvent('buffer_overflow', 'span', spans);
  }

  private enforceCaps(): void {
    const { maxBufferedSpans, maxBufferedBytes } = this.settings;
    while (this.oldest !== undefined && (this.spans > maxBufferedSpans || this.bytes > maxBufferedBytes)) {
      this.evict(this.oldest);
    }
  }

  private expire(now: number): void {
    const limit = this.settings.maxTraceDurationMs;
    while (this.oldest !== undefined && now - this.oldest.admittedAt > limit) this.evict(this.oldest);
  }

  /** Takes an entry out of both lists and the totals. */
  private detach(entry: RescueEntry, state: EntryState): void {
    entry.state = state;
    this.traces--;
    this.spans -= entry.spans.length + 1;
    this.bytes -= entry.bytes;
    if (entry.older !== undefined) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    if (entry.newer !== undefined) entry.newer.older = entry.older;
    else this.newest = entry.older;
    entry.older = entry.newer = undefined;
    if (entry.prevSibling !== undefined) entry.prevSibling.nextSibling = entry.nextSibling;
    else if (entry.nextSibling !== undefined) this.byTrace.set(entry.trace.traceId, entry.nextSibling);
    else this.byTrace.delete(entry.trace.traceId);
    if (entry.nextSibling !== undefined) entry.nextSibling.prevSibling = entry.prevSibling;
    entry.prevSibling = entry.nextSibling = undefined;
  }
}

const NO_EVENTS: readonly never[] = [];
