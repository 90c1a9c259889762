import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, getJson, useApi } from '../api';
import { ErrorBanner, Loading, StatusBadge } from '../components';
import {
  formatAgo,
  formatCompact,
  formatDuration,
  formatNumber,
  formatTime,
  formatTokens,
} from '../lib/format';
import { formatRoute, hasFilters, RANGES, type TraceFilters, tracesQuery } from '../lib/route';
import type { TracePage, TraceSummary } from '../types';
import { Onboarding } from './onboarding';

function go(filters: TraceFilters) {
  location.hash = formatRoute({ view: 'traces', filters });
}

function FilterBar(props: { filters: TraceFilters }) {
  const f = props.filters;
  // Text fields apply on submit (Enter or the button); selects apply at once.
  const [q, setQ] = useState(f.q ?? '');
  const [model, setModel] = useState(f.model ?? '');
  const [op, setOp] = useState(f.op ?? '');
  const [minDuration, setMinDuration] = useState(f.minDuration ? String(f.minDuration) : '');
  useEffect(() => {
    setQ(f.q ?? '');
    setModel(f.model ?? '');
    setOp(f.op ?? '');
    setMinDuration(f.minDuration ? String(f.minDuration) : '');
  }, [f.q, f.model, f.op, f.minDuration]);

  const submit = (event: Event) => {
    event.preventDefault();
    const next: TraceFilters = { ...f };
    delete next.q;
    delete next.model;
    delete next.op;
    delete next.minDuration;
    if (q.trim()) next.q = q.trim();
    if (model.trim()) next.model = model.trim();
    if (op.trim()) next.op = op.trim();
    const ms = Number(minDuration);
    if (minDuration.trim() && Number.isFinite(ms) && ms > 0) next.minDuration = Math.round(ms);
    go(next);
  };
  const set = (patch: Partial<TraceFilters>) => {
    const next: TraceFilters = { ...f, ...patch };
    for (const key of Object.keys(patch) as Array<keyof TraceFilters>) {
      if (patch[key] === undefined) delete next[key];
    }
    go(next);
  };

  return (
    <form class="filters" onSubmit={submit} aria-label="Trace filters">
      <label class="grow">
        <span>Search</span>
        <input
          type="search"
          name="q"
          placeholder="name, op, model, attribute value…"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
      </label>
      <label>
        <span>Status</span>
        <select
          name="status"
          value={f.status ?? ''}
          onChange={(e) => set({ status: (e.currentTarget.value || undefined) as TraceFilters['status'] })}
        >
          <option value="">any</option>
          <option value="ok">ok</option>
          <option value="error">error</option>
          <option value="unset">unset</option>
        </select>
      </label>
      <label>
        <span>AI</span>
        <select
          name="hasAi"
          value={f.hasAi === undefined ? '' : String(f.hasAi)}
          onChange={(e) => {
            const v = e.currentTarget.value;
            set({ hasAi: v === '' ? undefined : v === 'true' });
          }}
        >
          <option value="">any</option>
          <option value="true">with AI spans</option>
          <option value="false">without AI</option>
        </select>
      </label>
      <label>
        <span>Model</span>
        <input name="model" value={model} size={14} onInput={(e) => setModel(e.currentTarget.value)} />
      </label>
      <label>
        <span>Op</span>
        <input name="op" value={op} size={14} onInput={(e) => setOp(e.currentTarget.value)} />
      </label>
      <label>
        <span>Min duration (ms)</span>
        <input
          name="minDuration"
          inputMode="numeric"
          size={7}
          value={minDuration}
          onInput={(e) => setMinDuration(e.currentTarget.value)}
        />
      </label>
      <label>
        <span>Time</span>
        <select
          name="range"
          value={f.from !== undefined || f.to !== undefined ? 'custom' : (f.range ?? '')}
          onChange={(e) => {
            const v = e.currentTarget.value;
            if (v === 'custom') return;
            set({ range: v || undefined, from: undefined, to: undefined });
          }}
        >
          <option value="">all time</option>
          {Object.keys(RANGES).map((r) => (
            <option value={r} key={r}>
              last {r}
            </option>
          ))}
          {(f.from !== undefined || f.to !== undefined) && <option value="custom">custom (from URL)</option>}
        </select>
      </label>
      <div class="filter-actions">
        <button type="submit">Apply</button>
        {hasFilters(f) && (
          <a class="button secondary" href="#/traces">
            Clear
          </a>
        )}
      </div>
    </form>
  );
}

function TraceRow(props: { trace: TraceSummary; now: number }) {
  const t = props.trace;
  const href = formatRoute({ view: 'trace', traceId: t.traceId });
  return (
    <tr class={t.status === 'error' ? 'row-error' : undefined} data-testid="trace-row">
      <td class="name-cell">
        <a href={href}>{t.name || '(unnamed)'}</a>
        <div class="muted small">
          {t.op ?? ''}
          {t.services.length > 0 ? ` · ${t.services.join(', ')}` : ''}
        </div>
      </td>
      <td title={formatTime(t.startTime)}>
        <span class="nowrap">{formatAgo(t.startTime, props.now)}</span>
      </td>
      <td class="num">{formatDuration(t.durationMs)}</td>
      <td class="num">
        {formatNumber(t.spanCount)}
        {t.errorCount > 0 && <span class="error-text"> ({t.errorCount} err)</span>}
      </td>
      <td class="num nowrap">{formatTokens(t.inputTokens, t.outputTokens)}</td>
      <td>
        {t.models.map((m) => (
          <span class="chip" key={m}>
            {m}
          </span>
        ))}
      </td>
      <td>
        <StatusBadge status={t.status} />
        {t.weight > 1 && (
          <span class="muted small" title="Sample weight: each stored trace stands for this many">
            {' '}
            ×{formatCompact(t.weight)}
          </span>
        )}
      </td>
    </tr>
  );
}

export function TracesView(props: { filters: TraceFilters }) {
  const { filters } = props;
  // The query is computed once per filter change, so a preset range does not move on every render.
  const path = useMemo(() => `/api/v1/traces?${tracesQuery(filters, Date.now())}`, [filters]);
  const first = useApi<TracePage>(path);
  const [more, setMore] = useState<TracePage[]>([]);
  const [moreError, setMoreError] = useState<string | undefined>(undefined);
  const [loadingMore, setLoadingMore] = useState(false);
  useEffect(() => {
    setMore([]);
    setMoreError(undefined);
  }, [path]);

  // While there is nothing to show yet, look again every few seconds: the first traces appear by themselves.
  const waiting = first.data !== undefined && first.data.traces.length === 0 && !hasFilters(filters);
  const reload = first.reload;
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(reload, 3000);
    return () => clearInterval(timer);
  }, [waiting, reload]);

  const pages = first.data ? [first.data, ...more] : [];
  const traces = pages.flatMap((p) => p.traces);
  const nextCursor = pages.length > 0 ? pages[pages.length - 1]!.nextCursor : null;
  const now = Date.now();

  const loadMore = async () => {
    if (!nextCursor) return;
    setLoadingMore(true);
    setMoreError(undefined);
    try {
      const page = await getJson<TracePage>(`/api/v1/traces?${tracesQuery(filters, Date.now(), nextCursor)}`);
      setMore((m) => [...m, page]);
    } catch (error) {
      setMoreError(error instanceof ApiError ? error.message : String(error));
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <div>
      <div class="view-head">
        <h1>Traces</h1>
        {first.data && (
          <span class="muted" data-testid="trace-total">
            {formatNumber(first.data.total)} {first.data.total === 1 ? 'trace' : 'traces'}
          </span>
        )}
      </div>
      <FilterBar filters={filters} />
      {first.error && <ErrorBanner error={first.error} retryAt={first.retryAt} onRetry={first.reload} />}
      {first.loading && !first.data && !first.error && <Loading what="traces" />}
      {first.data && traces.length === 0 && !hasFilters(filters) && <Onboarding />}
      {first.data && traces.length === 0 && hasFilters(filters) && (
        <p class="empty" data-testid="no-match">
          No traces match these filters. <a href="#/traces">Clear the filters</a>
        </p>
      )}
      {traces.length > 0 && (
        <div class="table-wrap">
          <table class="traces" data-testid="traces-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Start</th>
                <th class="num">Duration</th>
                <th class="num">Spans</th>
                <th class="num">Tokens</th>
                <th>Models</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {traces.map((t) => (
                <TraceRow trace={t} now={now} key={t.traceId} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {moreError && <p class="error-text">Could not load more: {moreError}</p>}
      {nextCursor && (
        <p>
          <button type="button" onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        </p>
      )}
    </div>
  );
}
