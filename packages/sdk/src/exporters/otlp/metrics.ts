import type { Attributes, MetricRecord, MetricType } from '../../types.js';
import { msToNanos, SCOPE, toKeyValues } from './common.js';
import {
  AGGREGATION_TEMPORALITY_DELTA,
  type ExportMetricsServiceRequest,
  type OtlpExemplar,
  type OtlpHistogramDataPoint,
  type OtlpMetric,
  type OtlpNumberDataPoint,
  type OtlpResource,
} from './types.js';

/**
 * Default histogram bucket bounds: a 1–2.5–5 series from 1 to 1,000,000. It spans latencies in
 * milliseconds (1 ms to ~17 min) and LLM token counts (1 to 1M) with relative error under 2.5x per
 * bucket, in 20 buckets. Distributions in seconds get the same series divided by 1000.
 */
export const OTLP_HISTOGRAM_BOUNDS: readonly number[] = Object.freeze([
  1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000,
  500_000, 1_000_000,
]);
const SECOND_BOUNDS: readonly number[] = Object.freeze(OTLP_HISTOGRAM_BOUNDS.map((b) => b / 1000));

/** Bucket bounds for every distribution, or per metric (return undefined for the default). */
export type OtlpHistogramBounds =
  | readonly number[]
  | ((name: string, unit: string | undefined) => readonly number[] | undefined);

export interface MetricsConversionOptions {
  histogramBounds?: OtlpHistogramBounds;
}

/** Sentry's unit names in UCUM, which OTLP asks for (and Prometheus turns into name suffixes). */
const UCUM: Readonly<Record<string, string>> = {
  nanosecond: 'ns',
  microsecond: 'us',
  millisecond: 'ms',
  second: 's',
  minute: 'min',
  hour: 'h',
  day: 'd',
  week: 'wk',
  bit: 'bit',
  byte: 'By',
  kilobyte: 'kBy',
  kibibyte: 'KiBy',
  megabyte: 'MBy',
  mebibyte: 'MiBy',
  gigabyte: 'GBy',
  gibibyte: 'GiBy',
  terabyte: 'TBy',
  tebibyte: 'TiBy',
  ratio: '1',
  percent: '%',
  none: '',
};

/** The record's unit in UCUM when it is one of Sentry's names; other units pass through unchanged. */
export function otlpUnit(unit: string | undefined): string | undefined {
  if (typeof unit !== 'string' || unit === '') return undefined;
  const mapped = Object.hasOwn(UCUM, unit) ? UCUM[unit] : unit;
  return mapped === '' ? undefined : mapped;
}

function cleanBounds(bounds: readonly number[] | undefined): readonly number[] | undefined {
  if (!Array.isArray(bounds)) return undefined;
  const finite = bounds.filter((b): b is number => typeof b === 'number' && Number.isFinite(b));
  finite.sort((a, b) => a - b);
  return finite.filter((b, i) => i === 0 || b !== finite[i - 1]);
}

/** Bounds for one distribution: the user's when valid, else the default for its unit. */
export function boundsFor(
  name: string,
  unit: string | undefined,
  histogramBounds: OtlpHistogramBounds | undefined,
): readonly number[] {
  let chosen: readonly number[] | undefined;
  try {
    chosen = cleanBounds(
      typeof histogramBounds === 'function' ? histogramBounds(name, unit) : histogramBounds,
    );
  } catch {
    chosen = undefined;
  }
  if (chosen !== undefined) return chosen;
  return unit === 'second' || unit === 's' ? SECOND_BOUNDS : OTLP_HISTOGRAM_BOUNDS;
}

/** Index of the bucket `value` falls in: the first bound >= value (buckets are upper-inclusive). */
export function bucketIndex(bounds: readonly number[], value: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value <= bounds[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Attribute sets compare by content, not key order. */
function attributesKey(attributes: Readonly<Attributes> | undefined): string {
  if (attributes === undefined || attributes === null) return '';
  const keys = Object.keys(attributes).sort();
  if (keys.length === 0) return '';
  return JSON.stringify(keys.map((k) => [k, attributes[k]]));
}

interface Series {
  attributes: Readonly<Attributes> | undefined;
  start: number;
  end: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  buckets: number[] | undefined;
  exemplar: MetricRecord | undefined;
  negative: boolean;
}

interface Group {
  name: string;
  type: MetricType;
  unit: string | undefined;
  bounds: readonly number[] | undefined;
  series: Map<string, Series>;
}

function exemplarOf(record: MetricRecord | undefined): OtlpExemplar[] | undefined {
  if (record === undefined || typeof record.traceId !== 'string' || record.traceId === '') return undefined;
  const exemplar: OtlpExemplar = {
    timeUnixNano: msToNanos(record.timestamp),
    asDouble: record.value,
    traceId: record.traceId,
  };
  if (typeof record.spanId === 'string' && record.spanId !== '') exemplar.spanId = record.spanId;
  return [exemplar];
}

/**
 * Aggregates one batch of measurements per name, type, unit and attribute set: counters into a delta
 * Sum (monotonic unless a negative increment was seen), gauges into their last value, distributions
 * into a delta Histogram. Values are always doubles, so a series never changes type between batches.
 * A point spans the first to the last measurement of its series in the batch; its exemplar links the
 * last (counter, gauge) or largest (distribution) measurement to its trace. Non-finite values are skipped.
 */
export function metricsToOtlp(
  records: readonly MetricRecord[],
  resource: OtlpResource,
  options: MetricsConversionOptions = {},
): ExportMetricsServiceRequest {
  const groups = new Map<string, Group>();
  for (const record of records) {
    const value = record.value;
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    const type = record.type;
    if (type !== 'counter' && type !== 'gauge' && type !== 'distribution') continue;
    const unit = otlpUnit(record.unit);
    const groupKey = `${type}\u0000${record.name}\u0000${unit ?? ''}`;
    let group = groups.get(groupKey);
    if (group === undefined) {
      group = {
        name: String(record.name),
        type,
        unit,
        bounds:
          type === 'distribution' ? boundsFor(record.name, record.unit, options.histogramBounds) : undefined,
        series: new Map(),
      };
      groups.set(groupKey, group);
    }
    const time = typeof record.timestamp === 'number' ? record.timestamp : 0;
    const seriesKey = attributesKey(record.attributes);
    let s = group.series.get(seriesKey);
    if (s === undefined) {
      s = {
        attributes: record.attributes,
        start: time,
        end: time,
        count: 0,
        sum: 0,
        min: value,
        max: value,
        last: value,
        buckets: group.bounds === undefined ? undefined : new Array<number>(group.bounds.length + 1).fill(0),
        exemplar: undefined,
        negative: false,
      };
      group.series.set(seriesKey, s);
    }
    s.count++;
    s.sum += value;
    if (value < 0) s.negative = true;
    if (time < s.start) s.start = time;
    if (time >= s.end) {
      s.end = time;
      s.last = value;
      if (type !== 'distribution' && record.traceId) s.exemplar = record;
    }
    if (value < s.min) s.min = value;
    if (value >= s.max) {
      s.max = value;
      if (type === 'distribution' && record.traceId) s.exemplar = record;
    }
    if (s.buckets !== undefined) s.buckets[bucketIndex(group.bounds!, value)]!++;
  }

  const metrics: OtlpMetric[] = [];
  for (const group of groups.values()) {
    const metric: OtlpMetric = { name: group.name };
    if (group.unit !== undefined) metric.unit = group.unit;
    if (group.type === 'distribution') {
      const dataPoints: OtlpHistogramDataPoint[] = [];
      for (const s of group.series.values()) {
        const point: OtlpHistogramDataPoint = {
          attributes: toKeyValues(s.attributes),
          startTimeUnixNano: msToNanos(s.start),
          timeUnixNano: msToNanos(s.end),
          count: String(s.count),
          sum: s.sum,
          min: s.min,
          max: s.max,
          bucketCounts: s.buckets!.map(String),
          explicitBounds: [...group.bounds!],
        };
        const exemplars = exemplarOf(s.exemplar);
        if (exemplars !== undefined) point.exemplars = exemplars;
        dataPoints.push(point);
      }
      metric.histogram = { dataPoints, aggregationTemporality: AGGREGATION_TEMPORALITY_DELTA };
    } else {
      const counter = group.type === 'counter';
      let negative = false;
      const dataPoints: OtlpNumberDataPoint[] = [];
      for (const s of group.series.values()) {
        if (s.negative) negative = true;
        const point: OtlpNumberDataPoint = {
          attributes: toKeyValues(s.attributes),
          timeUnixNano: msToNanos(s.end),
          asDouble: counter ? s.sum : s.last,
        };
        if (counter) point.startTimeUnixNano = msToNanos(s.start);
        const exemplars = exemplarOf(s.exemplar);
        if (exemplars !== undefined) point.exemplars = exemplars;
        dataPoints.push(point);
      }
      if (counter) {
        metric.sum = {
          dataPoints,
          aggregationTemporality: AGGREGATION_TEMPORALITY_DELTA,
          isMonotonic: !negative,
        };
      } else {
        metric.gauge = { dataPoints };
      }
    }
    metrics.push(metric);
  }
  return { resourceMetrics: [{ resource, scopeMetrics: [{ scope: SCOPE, metrics }] }] };
}
