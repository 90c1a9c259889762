import { useMemo } from 'preact/hooks';
import { useApi } from '../api';
import { FetchStatus } from '../components';
import { type Aggregate, chooseInterval, READY_VIEWS, type ReadyView, toChartData } from '../lib/chart';
import { formatCompact, formatCost, formatDuration } from '../lib/format';
import { queryString, RANGES, timeWindow, type ViewParams } from '../lib/route';
import { useResolvedTheme } from '../theme';
import type { MetricResult } from '../types';
import { Chart } from './chart';
import { FilterForm } from './filter-form';

const DEFAULT_RANGE = '24h';

const FORMATS: Record<ReadyView['format'], (v: number) => string> = {
  count: formatCompact,
  seconds: (v) => formatDuration(v * 1000),
  usd: formatCost,
};

/** A number of any unit: compact, keeping small fractions readable. */
function formatAny(v: number): string {
  if (Math.abs(v) >= 1000 || Number.isInteger(v)) return formatCompact(v);
  return String(Number(v.toPrecision(3)));
}

interface ChartSpec {
  title: string;
  name: string;
  aggregate: Aggregate;
  groupBy?: string;
  format: (v: number) => string;
}

function MetricChart(props: { spec: ChartSpec; params: ViewParams; big?: boolean }) {
  const { spec, params } = props;
  const theme = useResolvedTheme();
  const { path, window } = useMemo(() => {
    const now = Date.now();
    const { from = now - RANGES[DEFAULT_RANGE]!, to = now } = timeWindow(params, now, DEFAULT_RANGE);
    const query = `/api/v1/metrics?${queryString({
      name: spec.name,
      aggregates: spec.aggregate,
      groupBy: spec.groupBy,
      interval: params.interval ?? chooseInterval(to - from),
      from,
      to,
    })}`;
    return { path: query, window: { from, to } };
  }, [spec.name, spec.aggregate, spec.groupBy, params]);
  const result = useApi<MetricResult>(path);
  const data = useMemo(
    () => (result.data ? toChartData(result.data.series, spec.aggregate) : undefined),
    [result.data, spec.aggregate],
  );
  const unit = result.data?.unit;
  return (
    <section class="card metric-card" data-testid="metric-card" aria-label={spec.title}>
      <div class="metric-head">
        <h2>{spec.title}</h2>
        <span class="muted small">
          <code>{spec.name}</code> · {spec.aggregate}
          {spec.groupBy ? ` by ${spec.groupBy}` : ''}
          {unit ? ` · ${unit}` : ''}
        </span>
      </div>
      <FetchStatus state={result} what="the chart" />
      {data && data.times.length === 0 && (
        <p class="muted chart-empty" data-testid="metric-empty">
          No <code>{spec.name}</code> data in this time range.
        </p>
      )}
      {data && data.times.length > 0 && (
        <Chart
          data={data}
          format={spec.format}
          window={window}
          theme={theme}
          height={props.big ? 320 : 200}
        />
      )}
      {data && data.hidden > 0 && <p class="muted small">{data.hidden} smaller series not shown.</p>}
    </section>
  );
}

export function MetricsView(props: { params: ViewParams }) {
  const { params } = props;
  const aggregate = (params.aggregate ?? 'sum') as Aggregate;
  const custom: ChartSpec | undefined = params.name
    ? {
        title: params.name,
        name: params.name,
        aggregate,
        groupBy: params.groupBy,
        format: formatAny,
      }
    : undefined;
  const ready = READY_VIEWS.filter((v) => !params.view || v.id === params.view);
  return (
    <div>
      <div class="view-head">
        <h1>Metrics</h1>
        <span class="muted">
          any metric over time; ready views for tokens, latency and cost by model and route
        </span>
      </div>
      <FilterForm
        view="metrics"
        params={params}
        label="Metric query"
        allTime={`last ${DEFAULT_RANGE}`}
        fields={[
          { key: 'name', label: 'Metric name', placeholder: 'e.g. gen_ai.client.token.usage', grow: true },
          {
            key: 'aggregate',
            label: 'Aggregate',
            // No aggregate in the URL means sum.
            options: [
              ['', 'sum'],
              ...(['avg', 'count', 'min', 'max', 'p50', 'p95', 'p99'] as const).map((a): [string, string] => [
                a,
                a,
              ]),
            ],
          },
          { key: 'groupBy', label: 'Group by attribute', placeholder: 'e.g. gen_ai.request.model', size: 20 },
          { key: 'interval', label: 'Interval', placeholder: 'auto (5m, 1h…)', size: 8 },
        ]}
      />
      {custom && <MetricChart spec={custom} params={params} big />}
      {!custom && (
        <div class="metric-grid" data-testid="ready-views">
          {ready.map((v) => (
            <MetricChart
              key={v.id}
              spec={{
                title: v.title,
                name: v.name,
                aggregate: v.aggregate,
                groupBy: v.groupBy,
                format: FORMATS[v.format],
              }}
              params={params}
            />
          ))}
        </div>
      )}
    </div>
  );
}
