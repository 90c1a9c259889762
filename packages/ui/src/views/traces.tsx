import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson, usePagedApi } from '../api';
import { FetchStatus, LoadMore, StatusBadge, useListNav } from '../components';
import {
  formatAgo,
  formatCompact,
  formatCost,
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
  const [attr, setAttr] = useState(f.attr ?? '');
  useEffect(() => {
    setAttr(f.attr ?? '');
    setQ(f.q ?? '');
    setModel(f.model ?? '');
    setOp(f.op ?? '');
    setMinDuration(f.minDuration ? String(f.minDuration) : '');
  }, [f.q, f.model, f.op, f.minDuration, f.attr]);

  const submit = (event: Event) => {
    event.preventDefault();
    const next: TraceFilters = { ...f };
    delete next.q;
    delete next.model;
    delete next.op;
    delete next.minDuration;
    delete next.attr;
    if (attr.trim().includes('=')) next.attr = attr.trim();
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
        <span>Attribute</span>
        <input
          name="attr"
          value={attr}
          size={14}
          placeholder="key=value"
          onInput={(e) => setAttr(e.currentTarget.value)}
        />
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

function TraceRow(props: { trace: TraceSummary; now: number; selected: boolean; fresh: boolean }) {
  const t = props.trace;
  const href = formatRoute({ view: 'trace', traceId: t.traceId });
  const classes = [
    t.status === 'error' ? 'row-error' : '',
    props.selected ? 'nav-selected' : '',
    props.fresh ? 'fresh' : '',
  ];
  return (
    <tr
      class={classes.filter(Boolean).join(' ') || undefined}
      data-testid="trace-row"
      data-nav-selected={props.selected ? 'true' : undefined}
    >
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
      <td class="num nowrap" data-testid="trace-cost">
        {formatCost(t.costUsd)}
      </td>
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

/** How often the list looks for new traces while live. */
const LIVE_EVERY_MS = 5000;

export function TracesView(props: { filters: TraceFilters }) {
  const { filters } = props;
  // The query is computed once per filter change, so a preset range does not move on every render.
  const path = useMemo(() => `/api/v1/traces?${tracesQuery(filters, Date.now())}`, [filters]);
  const list = usePagedApi<TracePage>(path);
  const first = list.first;
  // Traces that arrived after the first page was loaded, newest first: prepended, so the rows already
  // shown keep their place in the list (the browser's scroll anchoring keeps them on screen).
  const [fresh, setFresh] = useState<TraceSummary[]>([]);
  const [freshTotal, setFreshTotal] = useState<number | undefined>(undefined);
  const [live, setLive] = useState(true);
  useEffect(() => {
    setFresh([]);
    setFreshTotal(undefined);
  }, [path]);

  const pages = list.pages;
  const loaded = pages.flatMap((p) => p.traces);
  const seen = new Set(loaded.map((t) => t.traceId));
  const traces = [...fresh.filter((t) => !seen.has(t.traceId)), ...loaded];
  const newest = traces[0]?.startTime;

  // While there is nothing to show yet, look again every few seconds: the first traces appear by themselves.
  const waiting = first.data !== undefined && traces.length === 0 && !hasFilters(filters);
  const reload = first.reload;
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(reload, 3000);
    return () => clearInterval(timer);
  }, [waiting, reload]);

  // Live: ask for traces newer than the newest shown (a fixed `to` means a closed window: nothing new).
  const canLive = filters.to === undefined && newest !== undefined;
  useEffect(() => {
    if (!live || !canLive || newest === undefined) return;
    let stopped = false;
    const timer = setInterval(() => {
      const query = tracesQuery({ ...filters, range: undefined, from: newest }, Date.now(), undefined, 100);
      getJson<TracePage>(`/api/v1/traces?${query}`).then(
        (page) => {
          if (stopped) return;
          setFresh((old) => {
            const known = new Set(old.map((t) => t.traceId));
            const added = page.traces.filter((t) => !known.has(t.traceId));
            return added.length > 0 ? [...added, ...old] : old;
          });
        },
        () => {
          // A failed poll is retried at the next tick; the list's own errors show in the banner.
        },
      );
      getJson<TracePage>(`/api/v1/traces?${tracesQuery(filters, Date.now(), undefined, 1)}`).then(
        (page) => {
          if (!stopped) setFreshTotal(page.total);
        },
        () => undefined,
      );
    }, LIVE_EVERY_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [live, canLive, newest, filters]);

  const freshIds = new Set(fresh.map((t) => t.traceId));
  const selected = useListNav(
    traces.map((t) => t.traceId),
    (i) => {
      const t = traces[i];
      if (t) location.hash = formatRoute({ view: 'trace', traceId: t.traceId });
    },
  );
  const now = Date.now();
  const total = freshTotal ?? first.data?.total;

  return (
    <div>
      <div class="view-head">
        <h1>Traces</h1>
        {total !== undefined && (
          <span class="muted" data-testid="trace-total">
            {formatNumber(total)} {total === 1 ? 'trace' : 'traces'}
          </span>
        )}
        {canLive && (
          <label class="live small">
            <input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} /> live
          </label>
        )}
      </div>
      <FilterBar filters={filters} />
      <FetchStatus state={first} what="traces" />
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
                <th class="num">Cost</th>
                <th>Models</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {traces.map((t, i) => (
                <TraceRow
                  trace={t}
                  now={now}
                  key={t.traceId}
                  selected={i === selected}
                  fresh={freshIds.has(t.traceId)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore list={list} />
    </div>
  );
}
