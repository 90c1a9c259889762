import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useApi } from '../api';
import { ErrorBanner, FetchStatus, Section } from '../components';
import {
  formatCost,
  formatDuration,
  formatNumber,
  formatTime,
  formatTokens,
  formatValue,
} from '../lib/format';
import { formatRoute } from '../lib/route';
import { layoutWaterfall, type WaterfallLayout, type WaterfallRow } from '../lib/waterfall';
import { scrollToRow, visibleWindow } from '../lib/windowing';
import type { ErrorPage, LogPage, Span, TraceDetail } from '../types';

function spanHref(traceId: string, spanId: string): string {
  return formatRoute({ view: 'trace', traceId, spanId });
}

function isAi(span: Span): boolean {
  return (
    Boolean(span.ai) || (span.op ?? '').startsWith('gen_ai') || 'gen_ai.operation.name' in span.attributes
  );
}

function aiLabel(span: Span): string | undefined {
  const ai = span.ai;
  if (!ai) return undefined;
  const parts: string[] = [];
  if (ai.model) parts.push(ai.model);
  else if (ai.agentName) parts.push(`agent ${ai.agentName}`);
  else if (ai.toolName) parts.push(`tool ${ai.toolName}`);
  const tokens = formatTokens(ai.inputTokens, ai.outputTokens);
  if (tokens !== '–') parts.push(tokens);
  const cost = Number(span.attributes['gen_ai.cost.total_usd']);
  if ('gen_ai.cost.total_usd' in span.attributes && Number.isFinite(cost)) parts.push(formatCost(cost));
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

/** Row height of the waterfall in pixels (fixed, so windowing can place rows without measuring them). */
const ROW_HEIGHT = 40;

/**
 * The waterfall rows, windowed: only the rows in view (and a margin) are in the DOM, inside a scroll box,
 * so a trace of tens of thousands of spans opens as fast as a small one.
 */
function WaterfallRows(props: {
  traceId: string;
  layout: WaterfallLayout<Span>;
  selectedId: string | undefined;
}) {
  const { rows } = props.layout;
  const showService = useMemo(() => new Set(rows.map((r) => r.span.serviceName ?? '')).size > 1, [rows]);
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setViewport(el.clientHeight);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  // A linked span is scrolled into view once the rows are there.
  const selectedIndex = useMemo(
    () => (props.selectedId ? rows.findIndex((r) => r.span.spanId === props.selectedId) : -1),
    [rows, props.selectedId],
  );
  useEffect(() => {
    const el = box.current;
    if (!el || selectedIndex < 0) return;
    const top = scrollToRow(selectedIndex, ROW_HEIGHT, el.scrollTop, el.clientHeight);
    if (top !== el.scrollTop) el.scrollTop = top;
  }, [selectedIndex]);
  const win = visibleWindow(rows.length, ROW_HEIGHT, scrollTop, viewport);
  return (
    <div
      class="wf-scroll"
      ref={box}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      style={{ maxHeight: `min(70vh, ${rows.length * ROW_HEIGHT + 2}px)` }}
    >
      <ol
        class="wf-rows"
        data-testid="waterfall"
        style={{ paddingTop: win.padTop, paddingBottom: win.padBottom }}
      >
        {rows.slice(win.start, win.end).map((row) => (
          <WaterfallRowView
            key={row.span.spanId}
            traceId={props.traceId}
            row={row}
            selected={row.span.spanId === props.selectedId}
            showService={showService}
          />
        ))}
      </ol>
    </div>
  );
}

function WaterfallRowView(props: {
  traceId: string;
  row: WaterfallRow<Span>;
  selected: boolean;
  /** The trace crosses services: each row names its own. */
  showService: boolean;
}) {
  const { row, traceId } = props;
  const span = row.span;
  const ai = isAi(span);
  const label = aiLabel(span);
  const duration = formatDuration(span.endTime - span.startTime);
  return (
    <li
      class={`wf-row${props.selected ? ' selected' : ''}`}
      data-testid="waterfall-row"
      style={{ height: `${ROW_HEIGHT}px` }}
    >
      <a
        href={spanHref(traceId, span.spanId)}
        class="wf-link"
        aria-current={props.selected ? 'true' : undefined}
        aria-label={`${span.name}, ${duration}, ${span.status}`}
      >
        <span class="wf-name" style={{ paddingLeft: `${Math.min(row.depth, 30) * 14}px` }}>
          <span class="wf-line">
            {ai && (
              <span class="ai-badge" title="AI span">
                AI
              </span>
            )}
            <span class="wf-title">{span.name}</span>
          </span>
          {(span.op || label || props.showService) && (
            <span class="wf-line small">
              {props.showService && span.serviceName && <span class="service">{span.serviceName}</span>}
              {span.op && <span class="muted">{span.op}</span>}
              {label && <span class="wf-ai">{span.op ? ` · ${label}` : label}</span>}
            </span>
          )}
        </span>
        <span class="wf-track">
          <span
            class={`wf-bar status-bg-${span.status}${ai ? ' ai' : ''}`}
            style={{ left: `${row.offsetPct}%`, width: `max(2px, ${row.widthPct}%)` }}
          />
        </span>
        <span class="wf-dur num small">{duration}</span>
      </a>
    </li>
  );
}

/** Characters of an attribute value shown before "show all": a megabyte prompt must not stall the panel. */
const VALUE_PREVIEW = 400;

function AttributeValue(props: { text: string }) {
  const [all, setAll] = useState(false);
  const long = props.text.length > VALUE_PREVIEW;
  return (
    <span class="attr-value">
      {long && !all ? `${props.text.slice(0, VALUE_PREVIEW)}…` : props.text}
      {long && !all && (
        <button type="button" class="small" onClick={() => setAll(true)}>
          show all {formatNumber(props.text.length)} characters
        </button>
      )}
    </span>
  );
}

function SpanDetail(props: { span: Span }) {
  const s = props.span;
  const keys = Object.keys(s.attributes).sort();
  const fields: Array<[string, string]> = [
    ['span id', s.spanId],
    ['parent', s.parentSpanId ?? '(root)'],
    ['op', s.op ?? ''],
    ['status', s.status + (s.statusMessage ? `: ${s.statusMessage}` : '')],
    ['start', formatTime(s.startTime)],
    ['duration', formatDuration(s.endTime - s.startTime)],
    ['service', s.serviceName ?? ''],
    ['kind', s.kind ?? ''],
  ];
  if (s.ai) {
    const ai = s.ai;
    const add = (k: string, v: string | number | null) => {
      if (v !== null && v !== '') fields.push([k, typeof v === 'number' ? formatNumber(v) : v]);
    };
    add('AI operation', ai.operation);
    add('provider', ai.provider);
    add('model', ai.model);
    add('input tokens', ai.inputTokens);
    add('output tokens', ai.outputTokens);
    add('cached input tokens', ai.cachedInputTokens);
    add('reasoning tokens', ai.reasoningTokens);
    add('agent', ai.agentName);
    add('tool', ai.toolName);
  }
  return (
    <aside class="card detail" aria-labelledby="detail-title" data-testid="span-detail">
      <h2 id="detail-title">{s.name}</h2>
      <dl class="fields">
        {fields
          .filter(([, v]) => v !== '')
          .map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
      </dl>
      <h3>Attributes ({keys.length})</h3>
      {keys.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <table class="attrs" data-testid="attributes">
          <tbody>
            {keys.map((k) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td>
                  <AttributeValue text={formatValue(s.attributes[k])} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </aside>
  );
}

function TraceLogs(props: { traceId: string }) {
  const logs = useApi<LogPage>(`/api/v1/logs?traceId=${props.traceId}&limit=200`);
  return (
    <Section title="Logs" id="logs-title">
      {logs.error && <ErrorBanner error={logs.error} retryAt={logs.retryAt} onRetry={logs.reload} />}
      {logs.data && logs.data.logs.length === 0 && <p class="muted">No logs in this trace.</p>}
      {logs.data && logs.data.logs.length > 0 && (
        <table class="logs" data-testid="trace-logs">
          <tbody>
            {logs.data.logs.map((l, i) => (
              <tr key={`${l.timestamp}-${i}`}>
                <td class="nowrap small muted">{formatTime(l.timestamp)}</td>
                <td>
                  <span class={`level level-${l.level}`}>{l.level}</span>
                </td>
                <td class="log-body">{l.body}</td>
                <td class="small">{l.spanId && <a href={spanHref(props.traceId, l.spanId)}>span</a>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

function TraceErrors(props: { traceId: string }) {
  const errors = useApi<ErrorPage>(`/api/v1/errors?traceId=${props.traceId}&limit=100`);
  return (
    <Section title="Errors" id="errors-title">
      {errors.error && <ErrorBanner error={errors.error} retryAt={errors.retryAt} onRetry={errors.reload} />}
      {errors.data && errors.data.errors.length === 0 && <p class="muted">No errors in this trace.</p>}
      {errors.data && errors.data.errors.length > 0 && (
        <ul class="errors" data-testid="trace-errors">
          {errors.data.errors.map((e) => (
            <li key={e.eventId}>
              <strong class="error-text">{e.type}</strong>: {e.message}{' '}
              <span class="muted small">{formatTime(e.timestamp)}</span>{' '}
              {e.spanId && (
                <a class="small" href={spanHref(props.traceId, e.spanId)}>
                  span
                </a>
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

export function TraceView(props: { traceId: string; spanId: string | undefined }) {
  const { traceId } = props;
  const trace = useApi<TraceDetail>(`/api/v1/traces/${traceId}`);
  const layout = useMemo(() => layoutWaterfall(trace.data?.spans ?? []), [trace.data]);
  const root = layout.rows[0]?.span;
  const selected = trace.data?.spans.find((s) => s.spanId === props.spanId);
  const totals = useMemo(() => {
    let input = 0;
    let output = 0;
    let errors = 0;
    let cost: number | null = null;
    for (const s of trace.data?.spans ?? []) {
      input += s.ai?.inputTokens ?? 0;
      output += s.ai?.outputTokens ?? 0;
      if (s.status === 'error') errors++;
      // Agent spans' own totals would count their calls twice (as in the agent runs list).
      const c = Number(s.attributes['gen_ai.cost.total_usd']);
      if (
        'gen_ai.cost.total_usd' in s.attributes &&
        Number.isFinite(c) &&
        s.ai?.operation !== 'invoke_agent'
      ) {
        cost = (cost ?? 0) + c;
      }
    }
    return { input, output, errors, cost };
  }, [trace.data]);

  // The trace's agent runs, as the runs list defines them: AI spans whose parent is not an AI span.
  const runRoots = useMemo(() => {
    const spans = trace.data?.spans ?? [];
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    return spans.filter((s) => {
      if (!s.ai) return false;
      const parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
      return !parent?.ai;
    });
  }, [trace.data]);
  return (
    <div>
      <p class="crumbs">
        <a href="#/traces">← Traces</a>
      </p>
      <div class="view-head">
        <h1>{root?.name ?? 'Trace'}</h1>
        <code class="muted small">{traceId}</code>
      </div>
      <FetchStatus state={trace} what="the trace" />
      {trace.data && (
        <>
          <p class="summary">
            <span>{formatTime(layout.startTime)}</span>
            <span>{formatDuration(layout.durationMs)}</span>
            <span>{formatNumber(trace.data.spans.length)} spans</span>
            {totals.errors > 0 && <span class="error-text">{totals.errors} failed</span>}
            {(totals.input > 0 || totals.output > 0) && (
              <span>{formatTokens(totals.input, totals.output)}</span>
            )}
            {totals.cost !== null && <span>{formatCost(totals.cost)}</span>}
            {runRoots.slice(0, 5).map((r) => (
              <a
                key={r.spanId}
                href={formatRoute({ view: 'run', traceId, spanId: r.spanId })}
                data-testid="run-link"
              >
                run: {r.ai?.agentName ?? r.name}
              </a>
            ))}
          </p>
          <div class={`trace-layout${selected ? ' with-detail' : ''}`}>
            <section class="card waterfall" aria-label="Span waterfall">
              <div class="wf-header small muted">
                <span>Span</span>
                <span class="wf-scale">
                  <span>0</span>
                  <span>{formatDuration(layout.durationMs / 2)}</span>
                  <span>{formatDuration(layout.durationMs)}</span>
                </span>
                <span />
              </div>
              <WaterfallRows traceId={traceId} layout={layout} selectedId={props.spanId} />
            </section>
            {selected && <SpanDetail span={selected} />}
          </div>
          <div class="two-col">
            <TraceLogs traceId={traceId} />
            <TraceErrors traceId={traceId} />
          </div>
        </>
      )}
    </div>
  );
}
