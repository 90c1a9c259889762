import type { ClientReportRow, SpanRow } from '../model.js';
import {
  type CompiledPolicy,
  type Decision,
  multiplyWeight,
  type PolicyState,
  RateLimitBuckets,
  type TraceView,
} from './policy.js';

/**
 * The tail-sampling engine: holds the spans of each trace until it is decided, decides it with the
 * policies, and remembers the decision for late spans. No I/O and no timers: the caller passes the
 * time in (`now`) and asks for due decisions (`due`), so every behaviour is testable with a fake clock.
 *
 * When a trace is decided:
 * - `decisionWaitMs` after its root span (the span without a parent) arrives — Sentry SDKs send a
 *   service's spans when its local root ends, OTLP exporters in batches ending with the root; the
 *   wait lets the other services' spans of the trace arrive;
 * - or `maxTraceWaitMs` after its first span when no root arrived (a long agent run, a lost root);
 * - or early, oldest first, when holding one more span would pass `maxTraces`, `maxSpans` or
 *   `maxHeldBytes` (counted in `stats.earlyDecisions`; its drop is reported as
 *   `tail_sampling_overflow`).
 * A decided trace's later spans follow the remembered decision (kept: stored with the same
 * multiplier; dropped: counted) and are never held; `maxDecisions` bounds that memory, least recently
 * used first. A span of a forgotten trace starts a new held trace and is decided again.
 */

export interface EngineBounds {
  decisionWaitMs: number;
  maxTraceWaitMs: number;
  maxTraces: number;
  maxSpans: number;
  maxHeldBytes: number;
  maxDecisions: number;
}

export type DropReason = 'tail_sampling' | 'tail_sampling_overflow';

export interface DecidedTrace {
  projectId: number;
  traceId: string;
  decision: Decision;
  /** Decided before its wait was over, because a memory bound was reached. */
  early: boolean;
  /** The spans to store, weights multiplied (empty when dropped). */
  kept: SpanRow[];
  /** Opaque tags the caller attached while the trace was held (journal segments). */
  tags: ReadonlySet<number>;
}

export interface OfferResult {
  /** Spans of already-kept traces: store them now, with the request. */
  forward: SpanRow[];
  /** Traces decided early to stay within the bounds: store their kept spans, then release their tags. */
  decided: DecidedTrace[];
  /** The offered spans that were held (the caller makes them durable before acknowledging). */
  held: SpanRow[];
}

export interface EngineStats {
  heldTraces: number;
  heldSpans: number;
  heldBytes: number;
  rememberedDecisions: number;
  /** Roots waiting for their decision time (includes traces since decided early, until compacted). */
  queuedRoots: number;
  keptTraces: number;
  droppedTraces: number;
  earlyDecisions: number;
  lateSpansKept: number;
  lateSpansDropped: number;
  forgottenDecisions: number;
}

interface HeldTrace {
  readonly key: string;
  readonly projectId: number;
  readonly traceId: string;
  readonly spans: SpanRow[];
  /** Span ids held: a retried request (or a journal read back twice) does not hold a span twice. */
  readonly spanIds: Set<string>;
  bytes: number;
  hasErrorEvent: boolean;
  readonly firstSeen: number;
  rootSeen: number | null;
  readonly tags: Set<number>;
}

interface Remembered {
  keep: boolean;
  multiplier: number;
  reason: DropReason;
}

/** A rough size of a held span (JS strings are UTF-16; objects and numbers have fixed overheads). */
export function estimateSpanBytes(span: SpanRow): number {
  // 400: the object and its fixed fields; 64: its entry in the trace's span-id set.
  let bytes =
    464 + 2 * (span.name.length + span.traceId.length + span.spanId.length + (span.op?.length ?? 0));
  const attributes = span.attributes;
  for (const key in attributes) {
    const value = attributes[key]!;
    bytes += 48 + 2 * key.length;
    if (typeof value === 'string') bytes += 2 * value.length;
    else if (Array.isArray(value))
      bytes +=
        16 * value.length + value.reduce<number>((n, v) => n + (typeof v === 'string' ? 2 * v.length : 0), 0);
    else bytes += 8;
  }
  return bytes;
}

function keyOf(projectId: number, traceId: string): string {
  return `${projectId}:${traceId}`;
}

export class TailSamplingEngine {
  private readonly held = new Map<string, HeldTrace>();
  /** Roots in arrival order: [key, arrival time]. Deadlines only grow, so due ones are at the head. */
  private rootQueue: Array<[string, number]> = [];
  private rootHead = 0;
  private readonly decisions = new Map<string, Remembered>();
  private readonly state: PolicyState = { now: 0, buckets: new RateLimitBuckets() };
  /** Dropped counts not yet reported: `${projectId}\0${reason}\0${category}` → quantity. */
  private readonly drops = new Map<string, number>();
  private heldSpans = 0;
  private heldBytes = 0;
  private readonly counters = {
    keptTraces: 0,
    droppedTraces: 0,
    earlyDecisions: 0,
    lateSpansKept: 0,
    lateSpansDropped: 0,
    forgottenDecisions: 0,
  };

  /** `onTag` hears each time a held trace first gets a tag (the journal counts references with it). */
  constructor(
    private readonly policy: CompiledPolicy,
    private readonly bounds: EngineBounds,
    private readonly onTag?: (tag: number) => void,
  ) {}

  get stats(): EngineStats {
    return {
      heldTraces: this.held.size,
      heldSpans: this.heldSpans,
      heldBytes: this.heldBytes,
      rememberedDecisions: this.decisions.size,
      queuedRoots: this.rootQueue.length - this.rootHead,
      ...this.counters,
    };
  }

  /**
   * Takes the spans of one request (and the trace ids its error events name). `tag` is attached to
   * every trace that holds one of these spans (the journal segment they are written to).
   */
  offer(
    spans: readonly SpanRow[],
    errorTraces: ReadonlyArray<{ projectId: number; traceId: string }>,
    now: number,
    tag = 0,
  ): OfferResult {
    const forward: SpanRow[] = [];
    const decided: DecidedTrace[] = [];
    const held: SpanRow[] = [];
    for (const { projectId, traceId } of errorTraces) {
      const key = keyOf(projectId, traceId);
      if (this.decisions.has(key)) continue;
      const trace = this.held.get(key) ?? this.startTrace(key, projectId, traceId, now, decided);
      trace.hasErrorEvent = true;
      this.tag(trace, tag);
    }
    for (const span of spans) {
      const key = keyOf(span.projectId, span.traceId);
      const remembered = this.decisions.get(key);
      if (remembered !== undefined) {
        this.decisions.delete(key); // re-inserted: Map order is the LRU order
        this.decisions.set(key, remembered);
        if (remembered.keep) {
          forward.push({ ...span, weight: multiplyWeight(span.weight, remembered.multiplier) });
          this.counters.lateSpansKept++;
        } else {
          this.countDrop(span.projectId, remembered.reason, 'span', 1);
          if (span.isSegment) this.countDrop(span.projectId, remembered.reason, 'transaction', 1);
          this.counters.lateSpansDropped++;
        }
        continue;
      }
      let trace = this.held.get(key);
      if (trace === undefined) trace = this.startTrace(key, span.projectId, span.traceId, now, decided);
      else if (trace.spanIds.has(span.spanId)) continue;
      const bytes = estimateSpanBytes(span);
      trace.spans.push(span);
      trace.spanIds.add(span.spanId);
      trace.bytes += bytes;
      this.tag(trace, tag);
      this.heldSpans++;
      this.heldBytes += bytes;
      held.push(span);
      if (span.parentSpanId === null && trace.rootSeen === null) {
        trace.rootSeen = now;
        this.rootQueue.push([key, now]);
        if (this.rootQueue.length - this.rootHead > 2 * this.bounds.maxTraces + 1024) this.compactRoots();
      }
      // Over a bound: decide the oldest traces now (possibly this one) until back within bounds.
      while (
        this.held.size > 0 &&
        (this.heldSpans > this.bounds.maxSpans || this.heldBytes > this.bounds.maxHeldBytes)
      ) {
        decided.push(this.decide(this.oldest()!, now, true));
      }
    }
    return { forward, decided, held };
  }

  /** Decides every trace whose wait is over at `now`. */
  due(now: number): DecidedTrace[] {
    const decided: DecidedTrace[] = [];
    const wait = this.bounds.decisionWaitMs;
    while (this.rootHead < this.rootQueue.length && this.rootQueue[this.rootHead]![1] + wait <= now) {
      const [key, rootSeen] = this.rootQueue[this.rootHead++]!;
      const trace = this.held.get(key);
      // Stale when the trace was decided early (and maybe held again since, with a later root).
      if (trace !== undefined && trace.rootSeen === rootSeen) decided.push(this.decide(trace, now, false));
    }
    if (this.rootHead > 1024 && this.rootHead * 2 > this.rootQueue.length) {
      this.rootQueue = this.rootQueue.slice(this.rootHead);
      this.rootHead = 0;
    }
    // Map order is first-seen order: the fallback deadlines are in order too.
    for (let trace = this.oldest(); trace !== undefined; trace = this.oldest()) {
      if (trace.firstSeen + this.bounds.maxTraceWaitMs > now) break;
      decided.push(this.decide(trace, now, false));
    }
    return decided;
  }

  /** Decides every held trace now (shutdown without a journal). */
  decideAll(now: number): DecidedTrace[] {
    const decided: DecidedTrace[] = [];
    for (let trace = this.oldest(); trace !== undefined; trace = this.oldest()) {
      decided.push(this.decide(trace, now, false));
    }
    return decided;
  }

  /** Drop counts since the last call, as client-report rows (what `GET /api/v1/sampling` shows). */
  takeDropReports(now: number): ClientReportRow[] {
    const rows: ClientReportRow[] = [];
    for (const [key, quantity] of this.drops) {
      const [projectId, reason, category] = key.split('\u0000') as [string, string, string];
      rows.push({ projectId: Number(projectId), timestamp: now, reason, category, quantity });
    }
    this.drops.clear();
    return rows;
  }

  /**
   * Drops the queue entries of traces decided early: without this, a flood of roots decided early
   * would leave one entry each until its deadline. Live entries are at most maxTraces, so the queue
   * at least halves and the cost is amortised.
   */
  private compactRoots(): void {
    this.rootQueue = this.rootQueue
      .slice(this.rootHead)
      .filter(([key, rootSeen]) => this.held.get(key)?.rootSeen === rootSeen);
    this.rootHead = 0;
  }

  private oldest(): HeldTrace | undefined {
    return this.held.values().next().value;
  }

  private startTrace(
    key: string,
    projectId: number,
    traceId: string,
    now: number,
    decided: DecidedTrace[],
  ): HeldTrace {
    while (this.held.size >= this.bounds.maxTraces) decided.push(this.decide(this.oldest()!, now, true));
    const trace: HeldTrace = {
      key,
      projectId,
      traceId,
      spans: [],
      spanIds: new Set(),
      bytes: 0,
      hasErrorEvent: false,
      firstSeen: now,
      rootSeen: null,
      tags: new Set(),
    };
    this.held.set(key, trace);
    return trace;
  }

  private decide(trace: HeldTrace, now: number, early: boolean): DecidedTrace {
    this.held.delete(trace.key);
    this.heldSpans -= trace.spans.length;
    this.heldBytes -= trace.bytes;
    this.state.now = now;
    const view: TraceView = {
      traceId: trace.traceId,
      spans: trace.spans,
      hasErrorEvent: trace.hasErrorEvent,
    };
    const decision = this.policy.evaluate(view, this.state) ?? {
      keep: false,
      multiplier: 1,
      policy: 'default',
    };
    const reason: DropReason = early ? 'tail_sampling_overflow' : 'tail_sampling';
    if (early) this.counters.earlyDecisions++;
    let kept: SpanRow[] = [];
    if (decision.keep) {
      this.counters.keptTraces++;
      kept = trace.spans.map((span) => ({
        ...span,
        weight: multiplyWeight(span.weight, decision.multiplier),
      }));
    } else {
      this.counters.droppedTraces++;
      let segments = 0;
      for (const span of trace.spans) if (span.isSegment) segments++;
      if (trace.spans.length > 0) this.countDrop(trace.projectId, reason, 'span', trace.spans.length);
      if (segments > 0) this.countDrop(trace.projectId, reason, 'transaction', segments);
    }
    this.decisions.set(trace.key, { keep: decision.keep, multiplier: decision.multiplier, reason });
    if (this.decisions.size > this.bounds.maxDecisions) {
      const forgotten = this.decisions.keys().next().value;
      if (forgotten !== undefined) this.decisions.delete(forgotten);
      this.counters.forgottenDecisions++;
    }
    return { projectId: trace.projectId, traceId: trace.traceId, decision, early, kept, tags: trace.tags };
  }

  private tag(trace: HeldTrace, tag: number): void {
    if (trace.tags.has(tag)) return;
    trace.tags.add(tag);
    this.onTag?.(tag);
  }

  private countDrop(projectId: number, reason: DropReason, category: string, quantity: number): void {
    const key = `${projectId}\u0000${reason}\u0000${category}`;
    this.drops.set(key, (this.drops.get(key) ?? 0) + quantity);
  }
}
