import { useMemo } from 'preact/hooks';
import { usePagedApi } from '../api';
import { FetchStatus, LoadMore, useListNav } from '../components';
import { formatTime, formatValue } from '../lib/format';
import { formatRoute, queryString, timeWindow, type ViewParams } from '../lib/route';
import type { ErrorPage, LogPage } from '../types';
import { FilterForm } from './filter-form';

function traceLink(traceId: string | null, spanId: string | null) {
  if (!traceId) return null;
  return (
    <a
      class="small"
      href={formatRoute(spanId ? { view: 'trace', traceId, spanId } : { view: 'trace', traceId })}
    >
      trace
    </a>
  );
}

/** `key=value` from the URL → the API's `attr.key=value`. */
function attributeParam(attr: string | undefined): Record<string, string> {
  if (!attr) return {};
  const at = attr.indexOf('=');
  return at > 0 ? { [`attr.${attr.slice(0, at).trim()}`]: attr.slice(at + 1) } : {};
}

export function LogsView(props: { params: ViewParams }) {
  const { params } = props;
  const path = useMemo(() => {
    const { from, to } = timeWindow(params, Date.now());
    return `/api/v1/logs?${queryString({
      q: params.q,
      level: params.level,
      traceId: params.traceId,
      ...attributeParam(params.attr),
      from,
      to,
      limit: 100,
    })}`;
  }, [params]);
  const list = usePagedApi<LogPage>(path);
  const logs = list.pages.flatMap((p) => p.logs);
  const selected = useListNav(
    logs.map((l, i) => `${l.timestamp}-${i}`),
    (i) => {
      const log = logs[i];
      if (log?.traceId) location.hash = formatRoute({ view: 'trace', traceId: log.traceId });
    },
  );
  return (
    <div>
      <div class="view-head">
        <h1>Logs</h1>
      </div>
      <FilterForm
        view="logs"
        params={params}
        label="Log filters"
        fields={[
          { key: 'q', label: 'Search', placeholder: 'text in the message', grow: true },
          {
            key: 'level',
            label: 'Level',
            options: [
              ['', 'any'],
              ...['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((l): [string, string] => [l, l]),
            ],
          },
          { key: 'attr', label: 'Attribute', placeholder: 'key=value', size: 16 },
          { key: 'traceId', label: 'Trace id', size: 20 },
        ]}
      />
      <FetchStatus state={list.first} what="logs" />
      {list.first.data && logs.length === 0 && (
        <p class="empty" data-testid="no-logs">
          No logs {Object.keys(params).length > 0 ? 'match these filters' : 'yet'}. Logs come from{' '}
          <code>Sieve.logger</code> (with <code>enableLogs: true</code>), Sentry SDK logs and OTLP logs.
        </p>
      )}
      {logs.length > 0 && (
        <div class="table-wrap">
          <table class="logs" data-testid="logs-table">
            <tbody>
              {logs.map((l, i) => {
                const attrs = Object.entries(l.attributes);
                return (
                  <tr
                    key={`${l.timestamp}-${i}`}
                    data-testid="log-row"
                    class={i === selected ? 'nav-selected' : undefined}
                    data-nav-selected={i === selected ? 'true' : undefined}
                  >
                    <td class="nowrap small muted">{formatTime(l.timestamp)}</td>
                    <td>
                      <span class={`level level-${l.level}`}>{l.level}</span>
                    </td>
                    <td class="log-body">
                      {l.body}
                      {attrs.length > 0 && (
                        <div class="muted small attr-line">
                          {attrs.slice(0, 8).map(([k, v]) => (
                            <span key={k} class="attr-pair">
                              {k}={formatValue(v).slice(0, 200)}
                            </span>
                          ))}
                          {attrs.length > 8 && <span>+{attrs.length - 8} more</span>}
                        </div>
                      )}
                    </td>
                    <td class="small muted">{l.serviceName ?? ''}</td>
                    <td>{traceLink(l.traceId, l.spanId)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore list={list} />
    </div>
  );
}

export function ErrorsView(props: { params: ViewParams }) {
  const { params } = props;
  const path = useMemo(() => {
    const { from, to } = timeWindow(params, Date.now());
    return `/api/v1/errors?${queryString({ q: params.q, from, to, limit: 50 })}`;
  }, [params]);
  const list = usePagedApi<ErrorPage>(path);
  const errors = list.pages.flatMap((p) => p.errors);
  const selected = useListNav(
    errors.map((e) => e.eventId),
    (i) => {
      const e = errors[i];
      if (e?.traceId) location.hash = formatRoute({ view: 'trace', traceId: e.traceId });
    },
  );
  return (
    <div>
      <div class="view-head">
        <h1>Errors</h1>
      </div>
      <FilterForm
        view="errors"
        params={params}
        label="Error filters"
        fields={[{ key: 'q', label: 'Search', placeholder: 'type or message', grow: true }]}
      />
      <FetchStatus state={list.first} what="errors" />
      {list.first.data && errors.length === 0 && (
        <p class="empty" data-testid="no-errors">
          No errors {Object.keys(params).length > 0 ? 'match these filters' : 'yet'}. Errors come from{' '}
          <code>captureException</code> in any Sentry SDK.
        </p>
      )}
      {errors.length > 0 && (
        <div class="table-wrap">
          <table data-testid="errors-table">
            <thead>
              <tr>
                <th>Error</th>
                <th>Level</th>
                <th>Time</th>
                <th>Trace</th>
              </tr>
            </thead>
            <tbody>
              {errors.map((e, i) => (
                <tr
                  key={e.eventId}
                  data-testid="error-row"
                  class={i === selected ? 'nav-selected' : undefined}
                  data-nav-selected={i === selected ? 'true' : undefined}
                >
                  <td class="log-body">
                    <strong class="error-text">{e.type}</strong>: {e.message}
                  </td>
                  <td>
                    <span class={`level level-${e.level}`}>{e.level}</span>
                  </td>
                  <td class="nowrap small muted">{formatTime(e.timestamp)}</td>
                  <td>{traceLink(e.traceId, e.spanId)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore list={list} />
    </div>
  );
}
