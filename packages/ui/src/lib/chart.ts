// Metric query results → uPlot's aligned columns, bucket sizes for a time range, and the ready-made
// metric views. Pure: unit-tested in test/chart.test.ts.

export type Aggregate = 'sum' | 'avg' | 'count' | 'min' | 'max' | 'p50' | 'p95' | 'p99';

export interface MetricPoint {
  time: number;
  sum?: number;
  avg?: number;
  count?: number;
  min?: number;
  max?: number;
  p50?: number;
  p95?: number;
  p99?: number;
}

export interface MetricSeries {
  group: string | null;
  points: MetricPoint[];
}

export interface ChartData {
  /** Bucket starts in seconds (uPlot's x unit), ascending, the union over every series. */
  times: number[];
  /** One label per series shown. */
  labels: string[];
  /** One column per label, aligned with `times`; null where a series has no point (a gap, not a zero). */
  columns: Array<Array<number | null>>;
  /** Series left out (beyond `maxSeries`, smallest totals first). */
  hidden: number;
}

/**
 * Aligns the series of one aggregate on a shared time axis. The `maxSeries` series with the largest total
 * are kept, so a group-by on a high-cardinality attribute stays readable; the rest are counted in `hidden`.
 */
export function toChartData(series: readonly MetricSeries[], aggregate: Aggregate, maxSeries = 8): ChartData {
  const withTotals = series.map((s) => {
    let total = 0;
    for (const p of s.points) {
      const v = p[aggregate];
      if (typeof v === 'number' && Number.isFinite(v)) total += Math.abs(v);
    }
    return { s, total };
  });
  withTotals.sort((a, b) => b.total - a.total || label(a.s).localeCompare(label(b.s)));
  const shown = withTotals.slice(0, Math.max(0, maxSeries)).map((x) => x.s);
  const timeSet = new Set<number>();
  for (const s of shown) for (const p of s.points) timeSet.add(p.time);
  const times = [...timeSet].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const columns = shown.map((s) => {
    const column: Array<number | null> = new Array(times.length).fill(null);
    for (const p of s.points) {
      const v = p[aggregate];
      if (typeof v === 'number' && Number.isFinite(v)) column[index.get(p.time)!] = v;
    }
    return column;
  });
  return {
    times: times.map((t) => t / 1000),
    labels: shown.map(label),
    columns,
    hidden: withTotals.length - shown.length,
  };
}

function label(s: MetricSeries): string {
  return s.group ?? '(none)';
}

const STEPS: Array<[number, string]> = [
  [1000, '1s'],
  [5000, '5s'],
  [10_000, '10s'],
  [30_000, '30s'],
  [60_000, '1m'],
  [300_000, '5m'],
  [600_000, '10m'],
  [1_800_000, '30m'],
  [3_600_000, '1h'],
  [3 * 3_600_000, '3h'],
  [6 * 3_600_000, '6h'],
  [12 * 3_600_000, '12h'],
  [86_400_000, '1d'],
];

/** The smallest round bucket width that splits `rangeMs` into at most `maxBuckets` buckets, as the API's interval text. */
export function chooseInterval(rangeMs: number, maxBuckets = 90): string {
  for (const [ms, text] of STEPS) if (rangeMs / ms <= maxBuckets) return text;
  return STEPS[STEPS.length - 1]![1];
}

export interface ReadyView {
  id: string;
  title: string;
  /** Metric name as the SDK sends it. */
  name: string;
  aggregate: Aggregate;
  groupBy: string;
  /** How to show values (the API's unit can be missing). */
  format: 'count' | 'seconds' | 'usd';
}

// The attribute names a ready view groups by, and the metric names: one line each to change.
export const MODEL_ATTRIBUTE = 'gen_ai.request.model';
export const ROUTE_ATTRIBUTE = 'http.route';
export const TOKEN_METRIC = 'gen_ai.client.token.usage';
export const DURATION_METRIC = 'gen_ai.client.operation.duration';
export const COST_METRIC = 'gen_ai.client.cost';

/** The ready-made charts of the metrics page: data, not code, so a renamed metric is a one-line change. */
export const READY_VIEWS: readonly ReadyView[] = [
  {
    id: 'tokens-model',
    title: 'Tokens by model',
    name: TOKEN_METRIC,
    aggregate: 'sum',
    groupBy: MODEL_ATTRIBUTE,
    format: 'count',
  },
  {
    id: 'latency-model',
    title: 'LLM latency p95 by model',
    name: DURATION_METRIC,
    aggregate: 'p95',
    groupBy: MODEL_ATTRIBUTE,
    format: 'seconds',
  },
  {
    id: 'cost-model',
    title: 'Cost by model',
    name: COST_METRIC,
    aggregate: 'sum',
    groupBy: MODEL_ATTRIBUTE,
    format: 'usd',
  },
  {
    id: 'tokens-route',
    title: 'Tokens by route',
    name: TOKEN_METRIC,
    aggregate: 'sum',
    groupBy: ROUTE_ATTRIBUTE,
    format: 'count',
  },
  {
    id: 'latency-route',
    title: 'LLM latency p95 by route',
    name: DURATION_METRIC,
    aggregate: 'p95',
    groupBy: ROUTE_ATTRIBUTE,
    format: 'seconds',
  },
  {
    id: 'cost-route',
    title: 'Cost by route',
    name: COST_METRIC,
    aggregate: 'sum',
    groupBy: ROUTE_ATTRIBUTE,
    format: 'usd',
  },
];

export interface SamplingBucket {
  time: number;
  traces: number;
  weightedTraces: number;
  dropped: Record<string, number>;
}

/**
 * The sampling timeline as chart columns: traces kept, their extrapolated true volume, and one series per
 * drop reason (`reason:category` from client reports). Missing buckets are zeros: the timeline counts events.
 */
export function samplingChartData(timeline: readonly SamplingBucket[]): ChartData {
  const sorted = [...timeline].sort((a, b) => a.time - b.time);
  const reasons = [...new Set(sorted.flatMap((b) => Object.keys(b.dropped)))].sort();
  return {
    times: sorted.map((b) => b.time / 1000),
    labels: ['kept', 'estimated true volume', ...reasons.map((r) => `dropped: ${r}`)],
    columns: [
      sorted.map((b) => b.traces),
      sorted.map((b) => b.weightedTraces),
      ...reasons.map((r) => sorted.map((b) => b.dropped[r] ?? 0)),
    ],
    hidden: 0,
  };
}
