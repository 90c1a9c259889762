// The trace waterfall's layout: spans → rows in tree order with depth and bar position. Pure: unit-tested in
// test/waterfall.test.ts.

export interface LayoutSpan {
  spanId: string;
  parentSpanId: string | null;
  startTime: number;
  endTime: number;
}

export interface WaterfallRow<S extends LayoutSpan> {
  span: S;
  /** 0 for roots (and for spans whose parent is not in the trace). */
  depth: number;
  /** Start of the bar, percent of the trace's duration from its start. */
  offsetPct: number;
  /** Bar length, percent of the trace's duration (0 for instant spans; the view gives bars a minimum). */
  widthPct: number;
  childCount: number;
  /** The parent was not received (a partial trace): the span is shown as a root. */
  orphan: boolean;
}

export interface WaterfallLayout<S extends LayoutSpan> {
  rows: Array<WaterfallRow<S>>;
  startTime: number;
  endTime: number;
  durationMs: number;
}

const byStart = (a: LayoutSpan, b: LayoutSpan) =>
  a.startTime - b.startTime || a.endTime - b.endTime || (a.spanId < b.spanId ? -1 : 1);

/**
 * Lays a trace out as a waterfall: depth-first, children sorted by start time, each bar placed relative to
 * the whole trace (earliest start to latest end). Spans whose parent is missing become roots; a parent
 * cycle (bad input) cannot loop: every span appears exactly once.
 */
export function layoutWaterfall<S extends LayoutSpan>(spans: readonly S[]): WaterfallLayout<S> {
  if (spans.length === 0) return { rows: [], startTime: 0, endTime: 0, durationMs: 0 };
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, S[]>();
  const roots: S[] = [];
  let startTime = Number.POSITIVE_INFINITY;
  let endTime = Number.NEGATIVE_INFINITY;
  for (const span of spans) {
    startTime = Math.min(startTime, span.startTime);
    endTime = Math.max(endTime, span.endTime, span.startTime);
    const parent = span.parentSpanId;
    if (parent !== null && parent !== span.spanId && ids.has(parent)) {
      const list = children.get(parent);
      if (list) list.push(span);
      else children.set(parent, [span]);
    } else {
      roots.push(span);
    }
  }
  const durationMs = endTime - startTime;
  const pct = (t: number) => (durationMs > 0 ? ((t - startTime) / durationMs) * 100 : 0);
  const rows: Array<WaterfallRow<S>> = [];
  const seen = new Set<string>();

  // Depth-first with an explicit stack, not recursion: a chain of tens of thousands of nested spans
  // (a recursive job, or bad input) must not overflow the call stack. `seen` guards against cycles
  // and duplicate ids.
  const visit = (start: S, orphan: boolean) => {
    const stack: Array<[S, number, boolean]> = [[start, 0, orphan]];
    while (stack.length > 0) {
      const [span, depth, isOrphan] = stack.pop()!;
      if (seen.has(span.spanId)) continue;
      seen.add(span.spanId);
      const kids = (children.get(span.spanId) ?? []).slice().sort(byStart);
      const offsetPct = clamp(pct(span.startTime));
      const end = Math.max(span.endTime, span.startTime);
      rows.push({
        span,
        depth,
        offsetPct,
        widthPct: clamp(Math.min(100 - offsetPct, pct(end) - pct(span.startTime))),
        childCount: kids.length,
        orphan: isOrphan,
      });
      // Pushed in reverse so the earliest child is visited first.
      for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, depth + 1, false]);
    }
  };
  for (const root of roots.slice().sort(byStart)) visit(root, root.parentSpanId !== null);
  // Spans only reachable through a cycle: show them as roots rather than lose them.
  for (const span of spans.slice().sort(byStart)) if (!seen.has(span.spanId)) visit(span, true);
  return { rows, startTime, endTime, durationMs };
}

function clamp(p: number): number {
  if (!Number.isFinite(p)) return 0;
  return Math.min(100, Math.max(0, p));
}
