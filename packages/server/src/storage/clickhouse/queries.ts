import type { ClickHouseClient } from '@clickhouse/client';
import type {
  AgentRunPage,
  AgentRunQuery,
  ErrorPage,
  ErrorQuery,
  LogPage,
  LogQuery,
  MetricAggregate,
  MetricQuery,
  MetricResult,
  SamplingBucket,
  SamplingQuery,
  SamplingStats,
  StoredSpan,
  TracePage,
  TraceQuery,
} from '../../store.js';
import { agentRunPage, groupRunSpans, type RunSpan } from '../agent-runs.js';
import { decodeCursor, encodeCursor, InvalidCursorError } from '../cursor.js';
import {
  clampLimit,
  errorRowOf,
  jsonEscaped,
  logRowOf,
  MAX_METRIC_POINTS,
  MAX_ROOTS,
  metricResultOf,
  num,
  type ResultRow,
  samplingStatsOf,
  samplingTimelineOf,
  storedSpanOf,
  traceSummaryOf,
} from '../rows.js';
import { dayOf, f64, int, str, strList } from './sql.js';

/**
 * Read queries of the ClickHouse store: the same answers as the DuckDB store's (queries.ts there)
 * for the same Store queries; the shared conformance suite (test/store-conformance.ts) checks both.
 * Caller values reach SQL only through the literal functions of sql.ts.
 *
 * Written for ClickHouse 18.16 and current releases alike: `position(lowerUTF8(…))` for text search
 * (no ILIKE in 18.16), `visitParamExtractRaw` for attribute values (the JSONExtract family arrived
 * in 19.x), linear-interpolated quantiles computed from sorted arrays (quantileExactInclusive
 * arrived in 20.x; `quantile` is approximate), and no query parameters.
 */

/**
 * Reads of `traces` use FINAL (newest summary version per trace). 18.16 may move WHERE conditions
 * to PREWHERE, which runs before FINAL collapses the versions and could match an outdated version;
 * this setting (known to every release) keeps them after.
 */
const FINAL_SETTINGS = { optimize_move_to_prewhere: 0 } as const;

async function select(
  client: ClickHouseClient,
  query: string,
  settings?: Record<string, number>,
): Promise<ResultRow[]> {
  const result = await client.query({
    query,
    format: 'JSONEachRow',
    ...(settings ? { clickhouse_settings: settings } : {}),
  });
  return result.json<ResultRow>();
}

/** Adds `from <= column <= to` (both inclusive) for whichever ends are given. */
function timeRange(cond: string[], column: string, from?: number, to?: number): void {
  if (typeof from === 'number' && Number.isFinite(from)) cond.push(`${column} >= ${f64(from)}`);
  if (typeof to === 'number' && Number.isFinite(to)) cond.push(`${column} <= ${f64(to)}`);
}

/** The same range on spans, plus the `day` key column so the primary index prunes. */
function spanTimeRange(cond: string[], from?: number, to?: number): void {
  if (typeof from === 'number' && Number.isFinite(from)) cond.push(`day >= ${int(dayOf(from))}`);
  if (typeof to === 'number' && Number.isFinite(to)) cond.push(`day <= ${int(dayOf(to))}`);
  timeRange(cond, 'start_time', from, to);
}

/** Rows strictly after the cursor's (time, tie) in newest-first order. */
function afterCursor(cond: string[], cursor: string | undefined, timeCol: string, tieCol: string): void {
  if (!cursor) return;
  const [time, tie] = decodeCursor(cursor);
  if (tieCol === 'id' && !/^\d{1,20}$/.test(tie)) throw new InvalidCursorError();
  const t = f64(time);
  const tieValue = tieCol === 'id' ? tie : str(tie);
  cond.push(`(${timeCol} < ${t} OR (${timeCol} = ${t} AND ${tieCol} < ${tieValue}))`);
}

/** `position(lowerUTF8(column), 'needle') > 0`, the needle lower-cased here. */
function contains(column: string, lowerNeedle: string): string {
  return `position(lowerUTF8(${column}), ${str(lowerNeedle)}) > 0`;
}

/**
 * The text of a top-level attribute as DuckDB's json_extract_string gives it: a string's value,
 * anything else as its JSON text. Empty when the key is absent. Attributes are flat JSON objects
 * written by JSON.stringify (no spaces), so the raw value is exactly that text.
 */
function attributeRaw(key: string): string {
  return `visitParamExtractRaw(attributes, ${str(jsonEscaped(key))})`;
}

/** `attributes[key]` as text equals `text` (json_extract_string semantics; see attributeRaw). */
function attributeEquals(key: string, text: string): string {
  const raw = attributeRaw(key);
  // A string attribute equal to the text, or a number/boolean/array whose JSON is the text.
  return `(${raw} = ${str(JSON.stringify(text))} OR (${raw} = ${str(text)} AND substring(${raw}, 1, 1) != '"'))`;
}

/** `attributes[key]` as Nullable text: a string's value, anything else its JSON; NULL when absent. */
function attributeText(key: string): string {
  const raw = attributeRaw(key);
  return `if(${raw} IN ('', 'null'), CAST(NULL AS Nullable(String)),
    if(substring(${raw}, 1, 1) = '"', toNullable(visitParamExtractString(attributes, ${str(jsonEscaped(key))})), toNullable(${raw})))`;
}

// ---------------------------------------------------------------------------------------------
// Traces

const TRACE_SUMMARY_COLUMNS = `trace_id, root_name, root_op, start_time, end_time, span_count, error_count,
  root_status, models, input_tokens, output_tokens, has_ai, services, root_weight,
  ifNull(cost_usd, agent_cost_usd) AS total_cost_usd`;

function traceFilters(query: TraceQuery): string[] {
  const project = int(query.projectId);
  const cond = [`project_id = ${project}`];
  timeRange(cond, 'start_time', query.from, query.to);
  if (query.status === 'error') cond.push('error_count > 0');
  else if (query.status === 'ok' || query.status === 'unset') {
    cond.push(`error_count = 0 AND root_status = ${str(query.status)}`);
  }
  if (typeof query.hasAi === 'boolean') cond.push(`has_ai = ${query.hasAi ? 1 : 0}`);
  if (typeof query.minDurationMs === 'number' && Number.isFinite(query.minDurationMs)) {
    cond.push(`end_time - start_time >= ${f64(query.minDurationMs)}`);
  }
  if (query.op) cond.push(`has(ops, ${str(query.op)})`);
  if (query.model) cond.push(`has(models, ${str(query.model)})`);

  // Span-level filters: a semi-join on spans, bounded below by the trace's lower time bound (a span
  // never starts before its trace).
  const spanScope = (match: string): string => {
    const sc = [`project_id = ${project}`];
    spanTimeRange(sc, query.from, undefined);
    sc.push(match);
    return `trace_id IN (SELECT trace_id FROM spans WHERE ${sc.join(' AND ')})`;
  };
  const q = query.q?.trim();
  if (q) {
    const lower = q.toLowerCase();
    const match = `(${contains('name', lower)} OR ${contains("ifNull(op, '')", lower)} OR ${contains(
      "ifNull(ai_model, '')",
      lower,
    )} OR ${contains('attributes', jsonEscaped(lower))})`;
    cond.push(`(trace_id = ${str(q)} OR ${spanScope(match)})`);
  }
  for (const [key, value] of Object.entries(query.attributes ?? {})) {
    cond.push(spanScope(attributeEquals(key, String(value))));
  }
  return cond;
}

export async function listTraces(client: ClickHouseClient, query: TraceQuery): Promise<TracePage> {
  const limit = clampLimit(query.limit);
  const where = traceFilters(query);
  const pageCond = [...where];
  afterCursor(pageCond, query.cursor, 'start_time', 'trace_id');
  const [counted, page] = await Promise.all([
    select(client, `SELECT count() AS n FROM traces FINAL WHERE ${where.join(' AND ')}`, FINAL_SETTINGS),
    select(
      client,
      `SELECT ${TRACE_SUMMARY_COLUMNS} FROM traces FINAL WHERE ${pageCond.join(' AND ')}
       ORDER BY start_time DESC, trace_id DESC LIMIT ${limit + 1}`,
      FINAL_SETTINGS,
    ),
  ]);
  const traces = page.slice(0, limit).map(traceSummaryOf);
  const last = traces[traces.length - 1];
  const nextCursor = page.length > limit && last ? encodeCursor(last.startTime, last.traceId) : null;
  return { traces, total: num(counted[0]?.n), nextCursor };
}

export async function getTrace(
  client: ClickHouseClient,
  projectId: number,
  traceId: string,
): Promise<StoredSpan[]> {
  // The summary bounds the trace's span start times (min/max over its versions: versions only
  // widen), so the spans lookup names a (project, day range, trace id) prefix of the primary key.
  const bounds = await select(
    client,
    `SELECT count() AS n, min(start_time) AS lo, max(last_start) AS hi FROM traces
     WHERE project_id = ${int(projectId)} AND trace_id = ${str(traceId)}`,
  );
  const b = bounds[0];
  if (!b || num(b.n) === 0) return [];
  const lo = num(b.lo);
  const hi = num(b.hi);
  const rows = await select(
    client,
    `SELECT span_id, parent_span_id, name, op, status, start_time, end_time, attributes, status_message, kind,
       service_name, is_segment, ai_operation, ai_provider, ai_model, input_tokens, output_tokens,
       cached_input_tokens, reasoning_tokens, agent_name, tool_name, cost_usd
     FROM spans
     WHERE project_id = ${int(projectId)} AND day BETWEEN ${int(dayOf(lo))} AND ${int(dayOf(hi))}
       AND trace_id = ${str(traceId)} AND start_time BETWEEN ${f64(lo)} AND ${f64(hi)}
     ORDER BY start_time, span_id`,
  );
  // A span two racing sieve processes both inserted is two rows until parts merge: keep one. (Cheaper
  // than FINAL, which made ClickHouse read and merge whole granules of every column.)
  const seen = new Set<string>();
  const unique = rows.filter((r) => {
    const id = String(r.span_id);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return unique.map(storedSpanOf);
}

// ---------------------------------------------------------------------------------------------
// Logs and errors

export async function queryLogs(client: ClickHouseClient, query: LogQuery): Promise<LogPage> {
  const limit = clampLimit(query.limit);
  const cond = [`project_id = ${int(query.projectId)}`];
  if (query.traceId) cond.push(`trace_id = ${str(query.traceId)}`);
  if (query.level) cond.push(`level = ${str(query.level)}`);
  const q = query.q?.trim();
  if (q) cond.push(contains('body', q.toLowerCase()));
  for (const [key, value] of Object.entries(query.attributes ?? {})) {
    cond.push(attributeEquals(key, String(value)));
  }
  timeRange(cond, 'timestamp', query.from, query.to);
  afterCursor(cond, query.cursor, 'timestamp', 'id');
  const rows = await select(
    client,
    `SELECT id, project_id, timestamp, trace_id, span_id, level, severity_number, body, service_name,
       environment, release, attributes
     FROM logs WHERE ${cond.join(' AND ')}
     ORDER BY timestamp DESC, id DESC
     LIMIT ${limit + 1}`,
  );
  const logs = rows.slice(0, limit).map(logRowOf);
  const lastRow = rows[limit - 1];
  const nextCursor =
    rows.length > limit && lastRow ? encodeCursor(num(lastRow.timestamp), String(lastRow.id)) : null;
  return { logs, nextCursor };
}

export async function listErrors(client: ClickHouseClient, query: ErrorQuery): Promise<ErrorPage> {
  const limit = clampLimit(query.limit);
  const cond = [`project_id = ${int(query.projectId)}`];
  if (query.traceId) cond.push(`trace_id = ${str(query.traceId)}`);
  const q = query.q?.trim();
  if (q) cond.push(`(${contains('type', q.toLowerCase())} OR ${contains('message', q.toLowerCase())})`);
  timeRange(cond, 'timestamp', query.from, query.to);
  afterCursor(cond, query.cursor, 'timestamp', 'event_id');
  const rows = await select(
    client,
    `SELECT project_id, event_id, timestamp, trace_id, span_id, level, type, message, frames, environment,
       release, tags, raw
     FROM errors WHERE ${cond.join(' AND ')}
     ORDER BY timestamp DESC, event_id DESC
     LIMIT ${limit + 1}`,
  );
  const errors = rows.slice(0, limit).map(errorRowOf);
  const last = errors[errors.length - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor(last.timestamp, last.eventId) : null;
  return { errors, nextCursor };
}

// ---------------------------------------------------------------------------------------------
// Agent runs

/** A span is AI work when ingest found an AI operation or a model (as in the DuckDB store). */
const AI_SPAN = '(ai_operation IS NOT NULL OR ai_model IS NOT NULL)';

/** Rows with a (trace_id, span_id) seen before dropped: a span two racing processes both stored. */
function uniqueSpans(rows: ResultRow[]): ResultRow[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = `${r.trace_id}\u0000${r.span_id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Agent runs: (1) the page of run roots, AI spans whose parent is not an AI span of their trace
 * (a NOT IN over the AI spans of the traces that have a candidate; 18.16 has no correlated
 * subqueries), newest first by keyset; (2) the slim columns of every span of the page's traces,
 * each root's subtree summed by the shared summariseRun.
 */
export async function listAgentRuns(client: ClickHouseClient, query: AgentRunQuery): Promise<AgentRunPage> {
  const limit = clampLimit(query.limit);
  const project = `project_id = ${int(query.projectId)}`;
  const cond = [project, AI_SPAN];
  spanTimeRange(cond, query.from, query.to);
  if (query.agent) cond.push(`agent_name = ${str(query.agent)}`);
  if (query.status) cond.push(`status = ${str(query.status)}`);
  // Models only accumulate across summary versions, so no FINAL is needed to find a trace by one.
  if (query.model) {
    cond.push(
      `trace_id IN (SELECT trace_id FROM traces WHERE ${project} AND has(models, ${str(query.model)}))`,
    );
  }
  const parents = `SELECT trace_id, span_id FROM spans
    WHERE ${project} AND ${AI_SPAN} AND trace_id IN (SELECT trace_id FROM spans WHERE ${cond.join(' AND ')})`;
  const pageCond = [...cond];
  afterCursor(pageCond, query.cursor, 'start_time', 'concat(trace_id, span_id)');
  const roots = uniqueSpans(
    await select(
      client,
      `SELECT trace_id, span_id, parent_span_id, name, ai_operation, agent_name, start_time, end_time, status,
         service_name
       FROM spans
       WHERE ${pageCond.join(' AND ')} AND (trace_id, ifNull(parent_span_id, '')) NOT IN (${parents})
       ORDER BY start_time DESC, concat(trace_id, span_id) DESC
       LIMIT ${limit + 1}`,
    ),
  );
  return agentRunPage(roots, limit, (traceIds) => runTraceSpans(client, query.projectId, traceIds));
}

/** The slim spans of these traces, by trace, in start order. */
async function runTraceSpans(
  client: ClickHouseClient,
  projectId: number,
  traceIds: string[],
): Promise<Map<string, RunSpan[]>> {
  const out = new Map<string, RunSpan[]>();
  if (traceIds.length === 0) return out;
  const project = `project_id = ${int(projectId)}`;
  const bounds = await select(
    client,
    `SELECT count() AS n, min(start_time) AS lo, max(last_start) AS hi FROM traces
     WHERE ${project} AND trace_id IN ${strList(traceIds)}`,
  );
  if (num(bounds[0]?.n) === 0) return out;
  const lo = num(bounds[0]?.lo);
  const hi = num(bounds[0]?.hi);
  const rows = await select(
    client,
    `SELECT trace_id, span_id, parent_span_id, status, start_time, end_time, ai_operation, ai_model,
       input_tokens, output_tokens, cost_usd AS cost
     FROM spans
     WHERE ${project} AND day BETWEEN ${int(dayOf(lo))} AND ${int(dayOf(hi))}
       AND trace_id IN ${strList(traceIds)} AND start_time BETWEEN ${f64(lo)} AND ${f64(hi)}
     ORDER BY start_time, span_id`,
  );
  groupRunSpans(uniqueSpans(rows), out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Metrics

/** Aggregates computed in the inner GROUP BY; quantiles come from the sorted values (`sorted`). */
const AGGREGATE_SQL: Record<MetricAggregate, string> = {
  sum: 'sum(value)',
  avg: 'avg(value)',
  count: 'toFloat64(count())',
  min: 'min(value)',
  max: 'max(value)',
  p50: '',
  p95: '',
  p99: '',
};

const QUANTILES: Partial<Record<MetricAggregate, number>> = { p50: 0.5, p95: 0.95, p99: 0.99 };

/** Linear interpolation between the closest ranks of a sorted array (DuckDB's quantile_cont). */
function interpolatedQuantile(q: number): string {
  const pos = `(length(sorted) - 1) * ${q}`;
  const lo = `arrayElement(sorted, toUInt64(floor(${pos})) + 1)`;
  const hi = `arrayElement(sorted, toUInt64(ceil(${pos})) + 1)`;
  return `${lo} + (${hi} - ${lo}) * (${pos} - floor(${pos}))`;
}

export async function queryMetrics(client: ClickHouseClient, query: MetricQuery): Promise<MetricResult> {
  const interval = query.intervalMs;
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval <= 0) {
    throw new Error('intervalMs must be a positive number');
  }
  const aggregates = [...new Set(query.aggregates)].filter((a): a is MetricAggregate => a in AGGREGATE_SQL);
  if (aggregates.length === 0) aggregates.push('count');

  const cond = [`project_id = ${int(query.projectId)}`, `name = ${str(query.name)}`];
  // argMax skips NULL units, as DuckDB's arg_max does; an empty set gives '' for type, hence n.
  const meta = await select(
    client,
    `SELECT count() AS n, argMax(type, timestamp) AS type, argMax(unit, timestamp) AS unit
     FROM metrics WHERE ${cond.join(' AND ')}`,
  );
  if (num(meta[0]?.n) === 0) return { name: query.name, type: null, unit: null, series: [] };
  timeRange(cond, 'timestamp', query.from, query.to);
  const origin = typeof query.from === 'number' && Number.isFinite(query.from) ? query.from : 0;
  const o = f64(origin);
  const i = f64(interval);
  const group = query.groupBy ? attributeText(query.groupBy) : 'CAST(NULL AS Nullable(String))';
  const inner = aggregates.filter((a) => !(a in QUANTILES)).map((a) => `${AGGREGATE_SQL[a]} AS ${a}`);
  const quantiles = aggregates.filter((a) => a in QUANTILES);
  if (quantiles.length > 0) inner.push('arraySort(groupArray(value)) AS sorted');
  const outer = aggregates.map((a) =>
    a in QUANTILES ? `${interpolatedQuantile(QUANTILES[a]!)} AS ${a}` : a,
  );
  const rows = await select(
    client,
    `SELECT grp, bucket, ${outer.join(', ')} FROM (
       SELECT ${group} AS grp, floor((timestamp - ${o}) / ${i}) * ${i} + ${o} AS bucket, ${inner.join(', ')}
       FROM metrics WHERE ${cond.join(' AND ')}
       GROUP BY grp, bucket)
     ORDER BY grp NULLS FIRST, bucket
     LIMIT ${MAX_METRIC_POINTS + 1}`,
  );
  if (rows.length > MAX_METRIC_POINTS) {
    throw new Error(`more than ${MAX_METRIC_POINTS} points: use a larger intervalMs or a shorter range`);
  }
  return metricResultOf(query.name, meta[0], aggregates, rows);
}

// ---------------------------------------------------------------------------------------------
// Sampling

export async function samplingStats(client: ClickHouseClient, query: SamplingQuery): Promise<SamplingStats> {
  const project = `project_id = ${int(query.projectId)}`;
  const t = [project];
  timeRange(t, 'start_time', query.from, query.to);
  const c = [project];
  timeRange(c, 'timestamp', query.from, query.to);
  const r = [project, 'is_segment = 1'];
  spanTimeRange(r, query.from, query.to);
  const [stored, dropped, roots] = await Promise.all([
    select(
      client,
      `SELECT count() AS traces, sum(span_count) AS spans, sum(root_weight) AS weighted_traces,
         sum(weight_sum) AS weighted_spans
       FROM traces FINAL WHERE ${t.join(' AND ')}`,
      FINAL_SETTINGS,
    ),
    select(
      client,
      `SELECT reason, category, sum(quantity) AS quantity FROM client_reports
       WHERE ${c.join(' AND ')} GROUP BY reason, category ORDER BY quantity DESC, reason, category`,
    ),
    select(
      client,
      `SELECT name, op, count() AS stored, sum(weight) AS weighted FROM spans
       WHERE ${r.join(' AND ')} GROUP BY name, op ORDER BY weighted DESC, name, op LIMIT ${MAX_ROOTS}`,
    ),
  ]);
  return samplingStatsOf(stored[0], dropped, roots, await samplingTimeline(client, query));
}

/** Stored traces and client-report drops per time bucket (empty without `intervalMs`). */
async function samplingTimeline(client: ClickHouseClient, query: SamplingQuery): Promise<SamplingBucket[]> {
  const interval = query.intervalMs;
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval <= 0) return [];
  const origin = typeof query.from === 'number' && Number.isFinite(query.from) ? query.from : 0;
  const bucket = (column: string) =>
    `floor((${column} - ${f64(origin)}) / ${f64(interval)}) * ${f64(interval)} + ${f64(origin)}`;
  const project = `project_id = ${int(query.projectId)}`;
  const t = [project];
  timeRange(t, 'start_time', query.from, query.to);
  const c = [project];
  timeRange(c, 'timestamp', query.from, query.to);
  const [kept, dropped] = await Promise.all([
    select(
      client,
      `SELECT ${bucket('start_time')} AS bucket, count() AS traces, sum(root_weight) AS weighted
       FROM traces FINAL WHERE ${t.join(' AND ')} GROUP BY bucket ORDER BY bucket LIMIT ${MAX_METRIC_POINTS + 1}`,
      FINAL_SETTINGS,
    ),
    // Aliases differ from the columns: ClickHouse refuses an alias that shadows a column it uses.
    select(
      client,
      `SELECT bucket, concat(r, ':', c) AS reason, q AS quantity FROM (
         SELECT ${bucket('timestamp')} AS bucket, reason AS r, category AS c, sum(quantity) AS q
         FROM client_reports WHERE ${c.join(' AND ')} GROUP BY bucket, r, c)
       ORDER BY bucket LIMIT ${MAX_METRIC_POINTS + 1}`,
    ),
  ]);
  return samplingTimelineOf(kept, dropped);
}

// ---------------------------------------------------------------------------------------------
// Retention

const MUTATION_POLL_MS = 50;
const MUTATION_TIMEOUT_MS = 10 * 60_000;

/**
 * Waits until the table has no unfinished mutation. 18.16 has no `mutations_sync` setting (19.x),
 * so an ALTER … DELETE returns at once and system.mutations is polled.
 */
async function waitForMutations(client: ClickHouseClient, table: string): Promise<void> {
  const deadline = Date.now() + MUTATION_TIMEOUT_MS;
  for (;;) {
    const rows = await select(
      client,
      `SELECT count() AS n FROM system.mutations
       WHERE database = currentDatabase() AND table = ${str(table)} AND is_done = 0`,
    );
    if (num(rows[0]?.n) === 0) return;
    if (Date.now() > deadline) throw new Error(`ClickHouse mutation on ${table} did not finish in time`);
    await new Promise((resolve) => setTimeout(resolve, MUTATION_POLL_MS));
  }
}

async function deleteWhere(client: ClickHouseClient, table: string, where: string): Promise<void> {
  await client.command({ query: `ALTER TABLE ${table} DELETE WHERE ${where}` });
  await waitForMutations(client, table);
}

/**
 * Deletes data older than `time`: whole traces whose newest span started before it (never part of
 * a trace), and logs, metrics, errors and client reports by timestamp. Returns the rows deleted
 * from the data tables (summary rows not counted), as the DuckDB store does. Runs as a writer task,
 * so no commit of this process interleaves; spans go before their summaries, because the spans
 * mutation finds its traces through `traces`.
 */
export async function deleteOlderThan(client: ClickHouseClient, time: number): Promise<number> {
  if (typeof time !== 'number' || !Number.isFinite(time)) throw new Error('time must be a finite number');
  const t = f64(time);
  // Every version of an expired trace has last_start < t, and versions only grow last_start.
  const expired = `(project_id, trace_id) IN (SELECT project_id, trace_id FROM traces
    GROUP BY project_id, trace_id HAVING max(last_start) < ${t})`;
  // Spans of expired traces all started before t, hence on or before its day.
  const spanWhere = `day <= ${int(dayOf(time))} AND ${expired}`;
  let deleted = 0;
  const spans = num((await select(client, `SELECT count() AS n FROM spans FINAL WHERE ${spanWhere}`))[0]?.n);
  if (spans > 0) await deleteWhere(client, 'spans', spanWhere);
  deleted += spans;
  const traces = num((await select(client, `SELECT count() AS n FROM traces WHERE last_start < ${t}`))[0]?.n);
  if (traces > 0) await deleteWhere(client, 'traces', `last_start < ${t}`);
  for (const table of ['logs', 'metrics', 'errors', 'client_reports']) {
    const n = num((await select(client, `SELECT count() AS n FROM ${table} WHERE timestamp < ${t}`))[0]?.n);
    if (n > 0) await deleteWhere(client, table, `timestamp < ${t}`);
    deleted += n;
  }
  return deleted;
}
