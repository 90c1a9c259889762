import { useMemo, useState } from 'preact/hooks';
import { useApi } from '../api';
import { FetchStatus, StatusBadge } from '../components';
import {
  formatCost,
  formatCount,
  formatDuration,
  formatNumber,
  formatTime,
  formatTokens,
} from '../lib/format';
import { formatRoute } from '../lib/route';
import { type RunStep, runSteps, type StepKind } from '../lib/run';
import type { Span, TraceDetail } from '../types';

const KIND_LABEL: Record<StepKind, string> = {
  llm: 'LLM',
  tool: 'Tool',
  agent: 'Agent',
  handoff: 'Handoff',
  other: 'Span',
};

/** Steps rendered at first; a run with more shows a button (each step can hold large content). */
const FIRST_STEPS = 300;

function spanCost(span: Span): number | null {
  const v = span.attributes['gen_ai.cost.total_usd'];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : null;
}

function Content(props: { label: string; text: string }) {
  return (
    <details class="content" open={props.text.length < 600}>
      <summary>{props.label}</summary>
      <pre>{props.text}</pre>
    </details>
  );
}

function StepView(props: { step: RunStep<Span>; traceId: string }) {
  const { step } = props;
  const s = step.span;
  const ai = s.ai;
  const detail: string[] = [];
  if (step.kind === 'tool' && ai?.toolName) detail.push(ai.toolName);
  if ((step.kind === 'agent' || step.kind === 'handoff') && ai?.agentName) detail.push(ai.agentName);
  if (ai?.model) detail.push(ai.model);
  const tokens = formatTokens(ai?.inputTokens, ai?.outputTokens);
  if (tokens !== '–') detail.push(tokens);
  const cost = spanCost(s);
  if (cost !== null) detail.push(formatCost(cost));
  return (
    <li
      class={`step step-${step.kind}${s.status === 'error' ? ' step-error' : ''}`}
      style={{ marginLeft: `${Math.min(step.depth, 8) * 1.1}rem` }}
      data-testid="run-step"
      data-kind={step.kind}
    >
      <div class="step-head">
        <span class={`kind kind-${step.kind}`}>{KIND_LABEL[step.kind]}</span>
        <a class="step-name" href={formatRoute({ view: 'trace', traceId: props.traceId, spanId: s.spanId })}>
          {s.name}
        </a>
        {detail.length > 0 && <span class="wf-ai small">{detail.join(' · ')}</span>}
        <span class="grow" />
        <span class="muted small num">{formatDuration(s.endTime - s.startTime)}</span>
        {s.status !== 'ok' && <StatusBadge status={s.status} />}
      </div>
      {s.statusMessage && s.status === 'error' && <div class="error-text small">{s.statusMessage}</div>}
      {step.input !== null && <Content label="Input" text={step.input} />}
      {step.output !== null && <Content label="Output" text={step.output} />}
    </li>
  );
}

export function RunView(props: { traceId: string; spanId: string }) {
  const trace = useApi<TraceDetail>(`/api/v1/traces/${props.traceId}`);
  const steps = useMemo(() => runSteps(trace.data?.spans ?? [], props.spanId), [trace.data, props.spanId]);
  const [showAll, setShowAll] = useState(false);
  const root = steps[0]?.span;
  const totals = useMemo(() => {
    const t = { llm: 0, tool: 0, handoff: 0, input: 0, output: 0, cost: null as number | null, errors: 0 };
    for (const step of steps) {
      if (step.kind === 'llm') t.llm++;
      else if (step.kind === 'tool') t.tool++;
      else if (step.depth > 0 && (step.kind === 'agent' || step.kind === 'handoff')) t.handoff++;
      t.input += step.span.ai?.inputTokens ?? 0;
      t.output += step.span.ai?.outputTokens ?? 0;
      const c = spanCost(step.span);
      if (c !== null && step.kind !== 'agent') t.cost = (t.cost ?? 0) + c;
      if (step.span.status === 'error') t.errors++;
    }
    if (t.cost === null && root) t.cost = spanCost(root);
    return t;
  }, [steps, root]);
  const end = steps.reduce((m, s) => Math.max(m, s.span.endTime), root?.endTime ?? 0);
  const shown = showAll ? steps : steps.slice(0, FIRST_STEPS);
  return (
    <div>
      <p class="crumbs">
        <a href="#/runs">← Agent runs</a>
      </p>
      <div class="view-head">
        <h1>{root?.ai?.agentName ?? root?.name ?? 'Agent run'}</h1>
        {root?.ai?.agentName && <span class="muted">{root.name}</span>}
        <a class="small" href={formatRoute({ view: 'trace', traceId: props.traceId, spanId: props.spanId })}>
          open in the trace waterfall
        </a>
      </div>
      <FetchStatus state={trace} what="the run" />
      {trace.data && !root && (
        <p class="empty">
          Span <code>{props.spanId}</code> is not in this trace.{' '}
          <a href={`#/traces/${props.traceId}`}>Open the trace</a>
        </p>
      )}
      {root && (
        <>
          <p class="summary" data-testid="run-summary">
            <span>{formatTime(root.startTime)}</span>
            <span>{formatDuration(end - root.startTime)}</span>
            <span>{formatCount(totals.llm, 'LLM call')}</span>
            <span>{formatCount(totals.tool, 'tool call')}</span>
            {totals.handoff > 0 && <span>{formatCount(totals.handoff, 'handoff')}</span>}
            <span>{formatTokens(totals.input, totals.output)}</span>
            <span>{formatCost(totals.cost)}</span>
            {totals.errors > 0 && <span class="error-text">{totals.errors} failed</span>}
          </p>
          <ol class="steps" data-testid="run-steps">
            {shown.map((step) => (
              <StepView key={step.span.spanId} step={step} traceId={props.traceId} />
            ))}
          </ol>
          {shown.length < steps.length && (
            <button type="button" onClick={() => setShowAll(true)}>
              Show all {formatNumber(steps.length)} steps
            </button>
          )}
        </>
      )}
    </div>
  );
}
