import { useMemo } from 'preact/hooks';
import { usePagedApi } from '../api';
import { FetchStatus, LoadMore, StatusBadge, useListNav } from '../components';
import { formatAgo, formatCost, formatDuration, formatNumber, formatTime, formatTokens } from '../lib/format';
import { formatRoute, queryString, timeWindow, type ViewParams } from '../lib/route';
import type { AgentRunPage, AgentRunSummary } from '../types';
import { FilterForm } from './filter-form';
import { Snippet } from './onboarding';

export function runHref(run: { traceId: string; spanId: string }): string {
  return formatRoute({ view: 'run', traceId: run.traceId, spanId: run.spanId });
}

function RunRow(props: { run: AgentRunSummary; now: number; selected: boolean }) {
  const r = props.run;
  return (
    <tr
      class={`${r.status === 'error' ? 'row-error' : ''}${props.selected ? ' nav-selected' : ''}`}
      data-testid="run-row"
      data-nav-selected={props.selected ? 'true' : undefined}
    >
      <td class="name-cell">
        <a href={runHref(r)}>{r.agentName ?? r.name}</a>
        <div class="muted small">
          {r.agentName ? r.name : (r.operation ?? '')}
          {r.serviceName ? ` · ${r.serviceName}` : ''}
        </div>
      </td>
      <td>
        {r.models.map((m) => (
          <span class="chip" key={m}>
            {m}
          </span>
        ))}
      </td>
      <td title={formatTime(r.startTime)}>
        <span class="nowrap">{formatAgo(r.startTime, props.now)}</span>
      </td>
      <td class="num">{formatNumber(r.llmCalls)}</td>
      <td class="num">
        {formatNumber(r.toolCalls)}
        {r.handoffs > 0 && (
          <div class="muted small">
            {r.handoffs} handoff{r.handoffs === 1 ? '' : 's'}
          </div>
        )}
      </td>
      <td class="num nowrap">{formatTokens(r.inputTokens, r.outputTokens)}</td>
      <td class="num">{formatCost(r.costUsd)}</td>
      <td class="num">{formatDuration(r.durationMs)}</td>
      <td>
        <StatusBadge status={r.status} />
        {r.errorCount > 0 && <div class="error-text small">{r.errorCount} failed</div>}
      </td>
    </tr>
  );
}

export function RunsView(props: { params: ViewParams }) {
  const { params } = props;
  const path = useMemo(() => {
    const { from, to } = timeWindow(params, Date.now());
    return `/api/v1/agent-runs?${queryString({ agent: params.agent, model: params.model, status: params.status, from, to, limit: 50 })}`;
  }, [params]);
  const list = usePagedApi<AgentRunPage>(path);
  const runs = list.pages.flatMap((p) => p.runs);
  const selected = useListNav(
    runs.map((r) => r.traceId + r.spanId),
    (i) => {
      const run = runs[i];
      if (run) location.hash = runHref(run);
    },
  );
  const now = Date.now();
  return (
    <div>
      <div class="view-head">
        <h1>Agent runs</h1>
        <span class="muted">
          agents and LLM calls at the top of their work: steps, tools, tokens and cost
        </span>
      </div>
      <FilterForm
        view="runs"
        params={params}
        label="Agent run filters"
        fields={[
          { key: 'agent', label: 'Agent', placeholder: 'gen_ai.agent.name' },
          { key: 'model', label: 'Model' },
          {
            key: 'status',
            label: 'Status',
            options: [
              ['', 'any'],
              ['ok', 'ok'],
              ['error', 'error'],
              ['unset', 'unset'],
            ],
          },
        ]}
      />
      <FetchStatus state={list.first} what="agent runs" />
      {list.first.data && runs.length === 0 && (
        <p class="empty" data-testid="no-runs">
          No agent runs {Object.keys(params).length > 0 ? 'match these filters' : 'yet'}. A run is a span with{' '}
          <code>gen_ai.operation.name</code> (<code>invoke_agent</code>, <code>chat</code>, …) whose parent is
          not an AI span. <a href="#/traces">See all traces</a>
        </p>
      )}
      {list.first.data && runs.length === 0 && Object.keys(params).length === 0 && (
        <div class="onboarding">
          <Snippet
            title="Record an agent run with @sieve/sdk"
            code={`import * as Sieve from '@sieve/sdk';

await Sieve.startSpan(
  { name: 'invoke_agent support', op: 'gen_ai.invoke_agent',
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support' } },
  async () => {
    await Sieve.startSpan(
      { name: 'chat gpt-4o', op: 'gen_ai.chat',
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' } },
      async (span) => {
        const reply = await callModel();
        span.setAttribute('gen_ai.usage.input_tokens', reply.usage.input_tokens);
        span.setAttribute('gen_ai.usage.output_tokens', reply.usage.output_tokens);
      });
    await Sieve.startSpan(
      { name: 'execute_tool get_weather', op: 'gen_ai.execute_tool',
        attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather' } },
      () => getWeather('Paris'));
  });`}
          />
          <p class="muted small">
            Spans from the OpenTelemetry GenAI conventions, the Vercel AI SDK, OpenInference and OpenLLMetry
            are recognised too.
          </p>
        </div>
      )}
      {runs.length > 0 && (
        <div class="table-wrap">
          <table class="traces" data-testid="runs-table">
            <thead>
              <tr>
                <th>Agent</th>
                <th>Models</th>
                <th>Start</th>
                <th class="num">LLM calls</th>
                <th class="num">Tools</th>
                <th class="num">Tokens</th>
                <th class="num">Cost</th>
                <th class="num">Duration</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r, i) => (
                <RunRow run={r} now={now} selected={i === selected} key={r.traceId + r.spanId} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore list={list} />
    </div>
  );
}
