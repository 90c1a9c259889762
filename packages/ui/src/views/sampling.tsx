import { useMemo } from 'preact/hooks';
import { useApi } from '../api';
import { FetchStatus, Section } from '../components';
import { chooseInterval, samplingChartData } from '../lib/chart';
import { formatCompact, formatNumber, formatPercent } from '../lib/format';
import { formatRoute, queryString, RANGES, timeWindow, type ViewParams } from '../lib/route';
import { useResolvedTheme } from '../theme';
import type { SamplingStats } from '../types';
import { Chart } from './chart';
import { FilterForm } from './filter-form';

const DEFAULT_RANGE = '24h';
/** The root attribute trace rescue sets on traces it kept after a head-sampling drop. */
const RESCUED_ATTRIBUTE = 'sieve.rescued';

function Stat(props: { label: string; value: string; hint?: string }) {
  return (
    <div class="stat">
      <div class="stat-value">{props.value}</div>
      <div class="stat-label">{props.label}</div>
      {props.hint && <div class="muted small">{props.hint}</div>}
    </div>
  );
}

export function SamplingView(props: { params: ViewParams }) {
  const { params } = props;
  const theme = useResolvedTheme();
  const { path, window } = useMemo(() => {
    const now = Date.now();
    const { from = now - RANGES[DEFAULT_RANGE]!, to = now } = timeWindow(params, now, DEFAULT_RANGE);
    const query = `/api/v1/sampling?${queryString({ from, to, interval: chooseInterval(to - from, 60) })}`;
    return { path: query, window: { from, to } };
  }, [params]);
  const stats = useApi<SamplingStats>(path);
  const s = stats.data;
  const chart = useMemo(() => (s ? samplingChartData(s.timeline) : undefined), [s]);
  // The attribute's value is the reason (error, agent run, …): the text search finds its name in any value.
  const rescuedHref = formatRoute({ view: 'traces', filters: { q: RESCUED_ATTRIBUTE } });
  const keptShare = s && s.stored.weightedTraces > 0 ? s.stored.traces / s.stored.weightedTraces : undefined;
  const droppedTotal = s ? s.dropped.reduce((sum, d) => sum + d.quantity, 0) : 0;
  return (
    <div>
      <div class="view-head">
        <h1>Sampling</h1>
        <span class="muted">what was kept, what it stands for, and what SDKs dropped</span>
      </div>
      <FilterForm
        view="sampling"
        params={params}
        fields={[]}
        label="Sampling time range"
        allTime={`last ${DEFAULT_RANGE}`}
      />
      <FetchStatus state={stats} what="sampling figures" />
      {s && (
        <>
          <div class="stats" data-testid="sampling-stats">
            <Stat label="traces stored" value={formatNumber(s.stored.traces)} />
            <Stat
              label="traces estimated (weighted)"
              value={formatNumber(s.stored.weightedTraces)}
              hint={keptShare === undefined ? undefined : `${formatPercent(keptShare)} kept`}
            />
            <Stat label="spans stored" value={formatNumber(s.stored.spans)} />
            <Stat label="spans estimated (weighted)" value={formatNumber(s.stored.weightedSpans)} />
            <Stat label="dropped by SDKs (client reports)" value={formatNumber(droppedTotal)} />
          </div>
          <Section title="Kept and dropped over time" id="timeline-title">
            {chart && chart.times.length > 0 ? (
              <Chart data={chart} format={formatCompact} window={window} theme={theme} height={240} />
            ) : (
              <p class="muted">Nothing kept or dropped in this time range.</p>
            )}
            <p class="muted small">
              Kept: traces stored. Estimated true volume: kept traces weighted by 1 / their sample rate.
              Dropped: what SDKs reported discarding (client reports), by reason and category.{' '}
              <a href={rescuedHref} data-testid="rescued-link">
                Traces kept by rescue
              </a>{' '}
              (root attribute <code>{RESCUED_ATTRIBUTE}</code>).
            </p>
          </Section>
          <Section title="By root (route or operation)" id="roots-title">
            {s.byRoot.length === 0 ? (
              <p class="muted">No traces stored yet.</p>
            ) : (
              <table data-testid="sampling-roots">
                <thead>
                  <tr>
                    <th>Root</th>
                    <th>Op</th>
                    <th class="num">Stored</th>
                    <th class="num">Estimated</th>
                    <th class="num">Effective rate</th>
                  </tr>
                </thead>
                <tbody>
                  {s.byRoot.map((r) => (
                    <tr key={`${r.name}\u0000${r.op ?? ''}`}>
                      <td>
                        <a href={`#/traces?q=${encodeURIComponent(r.name)}`}>{r.name}</a>
                      </td>
                      <td class="muted">{r.op ?? ''}</td>
                      <td class="num">{formatNumber(r.stored)}</td>
                      <td class="num">{formatNumber(r.weighted)}</td>
                      <td class="num">
                        <span class="rate">
                          <span
                            class="rate-bar"
                            style={{ width: `${Math.min(100, r.effectiveRate * 100)}%` }}
                          />
                        </span>
                        {formatPercent(r.effectiveRate)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section title="Dropped before sending (client reports)" id="dropped-title">
            {s.dropped.length === 0 ? (
              <p class="muted">No client reports received.</p>
            ) : (
              <table data-testid="sampling-dropped">
                <thead>
                  <tr>
                    <th>Reason</th>
                    <th>Category</th>
                    <th class="num">Quantity</th>
                  </tr>
                </thead>
                <tbody>
                  {s.dropped.map((d) => (
                    <tr key={`${d.reason}\u0000${d.category}`}>
                      <td>{d.reason}</td>
                      <td>{d.category}</td>
                      <td class="num">{formatNumber(d.quantity)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
        </>
      )}
    </div>
  );
}
