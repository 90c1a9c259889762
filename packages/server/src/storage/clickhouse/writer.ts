import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import type { ClientReportRow, ErrorRow, LogRow, MetricRow } from '../../model.js';
import type { EncodedBatch, EncodedSpan, WriterStats } from '../duckdb/writer.js';
import { ERROR_COLUMNS } from '../rows.js';
import { dayOf, int, strList, tsvRow } from './sql.js';

/**
 * The single writer of a ClickHouse store: group commit, like the DuckDB writer. Batches queued
 * while a commit runs go into the next one together (up to `maxRowsPerCommit` rows), so ClickHouse
 * gets few, large inserts (each INSERT makes a part on disk; many tiny parts is the classic
 * ClickHouse overload). Each `write()` resolves only after every INSERT holding its rows has been
 * acknowledged by ClickHouse (plain synchronous inserts; no async_insert).
 *
 * A commit:
 * 1. Spans: the (trace, span) keys already stored are looked up by (project, day, trace id) in
 *    the primary index and dropped, as are duplicates inside the group; the new spans are inserted.
 * 2. The summary row of every trace that got spans is recomputed by ClickHouse from all of the
 *    trace's stored spans (INSERT … SELECT … FROM spans FINAL … GROUP BY) and inserted as a new
 *    version. Recomputing rather than merging makes it exact and self-healing: whichever commit of
 *    a trace runs last sees every span inserted before it, so the newest version is right even when
 *    several sieve processes write the same trace.
 * 3. Errors are deduplicated by event id against the store; logs, metrics and client reports are
 *    inserted.
 *
 * ClickHouse has no multi-table transactions: a commit that fails part-way rejects all its writes,
 * and their retry is idempotent for spans and errors (deduplicated; a retry also recomputes the
 * summaries of its traces, so spans whose summary insert failed become visible) but may store logs,
 * metrics or client reports inserted before the failure twice.
 */

/** Rows encoded between two yields to the event loop. */
const ROWS_PER_SLICE = 500;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Ids per IN list: keeps each statement far below ClickHouse's 256 KiB max_query_size. */
const IDS_PER_STATEMENT = 2000;

/** name, op, status, weight of the naming span: argMin repeated per element (18.16 cannot alias an aggregate and reuse it). */
const ROOT_COLUMNS = [1, 2, 3, 4].map((i) => `tupleElement(argMin(named, naming_rank), ${i})`).join(', ');

const TRACE_COLUMNS = `project_id, trace_id, start_time, end_time, last_start, span_count, error_count, root_name,
  root_op, root_status, root_weight, models, ops, services, input_tokens, output_tokens, has_ai, weight_sum,
  cost_usd, agent_cost_usd`;

/**
 * The summary of each selected trace, computed from its spans. The naming span ranks the root (no
 * parent) first, then segments, then any span; ties go to the earliest start, then the smallest span
 * id (as the DuckDB writer does). Costs are summed apart for `invoke_agent` spans (see store.ts
 * TraceSummary.costUsd), NULL when no span has one. argMin of a tuple, not of each Nullable column: aggregate
 * functions skip NULL arguments, which would take root_op from another span when the root has none.
 */
function summarySql(where: string): string {
  return `INSERT INTO traces (${TRACE_COLUMNS})
    SELECT project_id, trace_id, min(start_time), max(end_time), max(start_time), count(),
      countIf(status = 'error'), ${ROOT_COLUMNS},
      arraySort(arrayFilter(x -> x != '', groupUniqArray(ai_model))),
      arraySort(arrayFilter(x -> x != '', groupUniqArray(op))),
      arraySort(arrayFilter(x -> x != '', groupUniqArray(service_name))),
      sum(ifNull(input_tokens, 0)), sum(ifNull(output_tokens, 0)), max(is_ai), sum(weight),
      if(countIf(has_cost AND NOT is_agent) = 0, CAST(NULL AS Nullable(Float64)),
        toNullable(sumIf(ifNull(cost_usd, 0), NOT is_agent))),
      if(countIf(has_cost AND is_agent) = 0, CAST(NULL AS Nullable(Float64)),
        toNullable(sumIf(ifNull(cost_usd, 0), is_agent)))
    FROM (
      SELECT project_id, trace_id, start_time, end_time, status, op, ai_model, service_name, input_tokens,
        output_tokens, weight, cost_usd, cost_usd IS NOT NULL AS has_cost,
        ifNull(ai_operation, '') = 'invoke_agent' AS is_agent, tuple(name, op, status, weight) AS named,
        tuple(if(parent_span_id IS NULL, 0, if(is_segment = 1, 1, 2)), start_time, span_id) AS naming_rank,
        (ai_operation IS NOT NULL OR ai_provider IS NOT NULL OR ai_model IS NOT NULL OR input_tokens IS NOT NULL
          OR output_tokens IS NOT NULL OR cached_input_tokens IS NOT NULL OR reasoning_tokens IS NOT NULL
          OR agent_name IS NOT NULL OR tool_name IS NOT NULL OR cost_usd IS NOT NULL) AS is_ai
      FROM spans FINAL WHERE ${where}
    )
    GROUP BY project_id, trace_id`;
}

export interface ClickHouseWriterOptions {
  maxRowsPerCommit: number;
  /** First sequence number of a log id (see nextLogId). */
  logSequence: bigint;
  /** Low 16 bits of every log id this process assigns. */
  logTag: number;
}

interface BatchJob {
  kind: 'batch';
  batch: EncodedBatch;
  rows: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface TaskJob {
  kind: 'task';
  run: () => Promise<void>;
  reject: (err: Error) => void;
}

type Job = BatchJob | TaskJob;

function rowsOf(b: EncodedBatch): number {
  return b.spans.length + b.logs.length + b.metrics.length + b.errors.length + b.clientReports.length;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Token counts as the DuckDB writer stores them: rounded integers, NULL when not a safe number. */
function tokenCount(v: number | null): number | null {
  return typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER
    ? Math.round(v)
    : null;
}

const SPAN_COLUMNS = [
  'project_id',
  'day',
  'trace_id',
  'span_id',
  'parent_span_id',
  'name',
  'op',
  'kind',
  'status',
  'status_message',
  'start_time',
  'end_time',
  'is_segment',
  'segment_id',
  'service_name',
  'environment',
  'release',
  'weight',
  'attributes',
  'source',
  'ai_operation',
  'ai_provider',
  'ai_model',
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'reasoning_tokens',
  'agent_name',
  'tool_name',
  'cost_usd',
] as const;

/** An encoded span (validated and normalised by the shared encodeBatch) as a row of `spans`. */
function spanRow(s: EncodedSpan): string {
  return tsvRow([
    s[0],
    dayOf(s[9]),
    s[1],
    s[2],
    s[3],
    s[4],
    s[5],
    s[6],
    s[7],
    s[8],
    s[9],
    s[10],
    s[11],
    s[12],
    s[13],
    s[14],
    s[15],
    s[16],
    s[17],
    s[18],
    s[19],
    s[20],
    s[21],
    tokenCount(s[22]),
    tokenCount(s[23]),
    tokenCount(s[24]),
    tokenCount(s[25]),
    s[26],
    s[27],
    s[28],
  ]);
}

const optional = (v: string | null | undefined): string | null =>
  v === null || v === undefined ? null : String(v);

function json(v: unknown, fallback: string): string {
  try {
    return JSON.stringify(v) ?? fallback;
  } catch {
    return fallback;
  }
}

const LOG_COLUMNS = [
  'id',
  'project_id',
  'timestamp',
  'trace_id',
  'span_id',
  'level',
  'severity_number',
  'body',
  'service_name',
  'environment',
  'release',
  'attributes',
] as const;

function logRow(l: LogRow, id: bigint): string {
  return tsvRow([
    id.toString(),
    l.projectId,
    l.timestamp,
    optional(l.traceId),
    optional(l.spanId),
    String(l.level),
    Number.isInteger(l.severityNumber) ? l.severityNumber : 0,
    l.body,
    optional(l.serviceName),
    optional(l.environment),
    optional(l.release),
    json(l.attributes ?? {}, '{}'),
  ]);
}

const METRIC_COLUMNS = [
  'project_id',
  'timestamp',
  'trace_id',
  'span_id',
  'name',
  'type',
  'value',
  'unit',
  'service_name',
  'attributes',
] as const;

function metricRow(m: MetricRow): string {
  return tsvRow([
    m.projectId,
    m.timestamp,
    optional(m.traceId),
    optional(m.spanId),
    m.name,
    String(m.type),
    m.value,
    optional(m.unit),
    optional(m.serviceName),
    json(m.attributes ?? {}, '{}'),
  ]);
}

function errorRow(e: ErrorRow): string {
  return tsvRow([
    e.projectId,
    e.eventId,
    e.timestamp,
    optional(e.traceId),
    optional(e.spanId),
    String(e.level ?? ''),
    String(e.type ?? ''),
    String(e.message ?? ''),
    json(e.frames ?? [], '[]'),
    optional(e.environment),
    optional(e.release),
    json(e.tags ?? {}, '{}'),
    String(e.raw ?? ''),
  ]);
}

const CLIENT_REPORT_COLUMNS = ['project_id', 'timestamp', 'reason', 'category', 'quantity'] as const;

function clientReportRow(r: ClientReportRow): string {
  return tsvRow([r.projectId, r.timestamp, String(r.reason), String(r.category), Math.round(r.quantity)]);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function byProject<T>(items: readonly T[], projectOf: (item: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const item of items) {
    const p = projectOf(item);
    const list = out.get(p);
    if (list) list.push(item);
    else out.set(p, [item]);
  }
  return out;
}

export class ClickHouseWriter {
  private readonly queue: Job[] = [];
  private running = false;
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];
  private logSequence: bigint;
  // One group at a time here: `overlapped` stays 0 (the DuckDB writer appends beside a COMMIT in flight).
  readonly stats: WriterStats = {
    commits: 0,
    batches: 0,
    rows: 0,
    duplicates: 0,
    failedCommits: 0,
    overlapped: 0,
  };

  constructor(
    private readonly client: ClickHouseClient,
    private readonly options: ClickHouseWriterOptions,
  ) {
    this.logSequence = options.logSequence;
  }

  write(batch: EncodedBatch): Promise<void> {
    const rows = rowsOf(batch);
    if (rows === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'batch', batch, rows, resolve, reject });
      this.schedule();
    });
  }

  /** Runs `fn` between commits (retention must not race a commit's dedup lookups and summaries). */
  runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ kind: 'task', run: async () => resolve(await fn()), reject });
      this.schedule();
    });
  }

  drain(): Promise<void> {
    if (!this.running && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // setImmediate: writes issued in the same tick join the first commit.
    setImmediate(() => {
      this.scheduled = false;
      void this.loop();
    });
  }

  private async loop(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        if (head.kind === 'task') {
          this.queue.shift();
          try {
            await head.run();
          } catch (err) {
            head.reject(asError(err));
          }
          continue;
        }
        const group: BatchJob[] = [];
        let rows = 0;
        while (this.queue.length > 0) {
          const next = this.queue[0]!;
          if (next.kind !== 'batch') break;
          if (group.length > 0 && rows + next.rows > this.options.maxRowsPerCommit) break;
          this.queue.shift();
          group.push(next);
          rows += next.rows;
        }
        try {
          this.stats.duplicates += await this.commit(group);
          this.stats.commits++;
          this.stats.batches += group.length;
          this.stats.rows += rows;
          for (const job of group) job.resolve();
        } catch (err) {
          this.stats.failedCommits++;
          const error = new Error(
            `ClickHouse store: commit of ${group.length} batch(es), ${rows} row(s) failed: ${asError(err).message}`,
            { cause: err },
          );
          for (const job of group) job.reject(error);
        }
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Writes one group; returns the spans and errors dropped as duplicates. */
  private async commit(group: BatchJob[]): Promise<number> {
    const spans: EncodedSpan[] = [];
    const errors: ErrorRow[] = [];
    const logs: LogRow[] = [];
    const metrics: MetricRow[] = [];
    const reports: ClientReportRow[] = [];
    const spanKeys = new Set<string>();
    const errorKeys = new Set<string>();
    let duplicates = 0;
    for (const { batch } of group) {
      for (const s of batch.spans) {
        const key = `${s[0]}\u0000${s[1]}\u0000${s[2]}`;
        if (spanKeys.has(key)) duplicates++;
        else {
          spanKeys.add(key);
          spans.push(s);
        }
      }
      for (const e of batch.errors) {
        const key = `${e.projectId}\u0000${e.eventId}`;
        if (errorKeys.has(key)) duplicates++;
        else {
          errorKeys.add(key);
          errors.push(e);
        }
      }
      logs.push(...batch.logs);
      metrics.push(...batch.metrics);
      reports.push(...batch.clientReports);
    }
    if (spans.length > 0) duplicates += await this.writeSpans(spans);
    if (errors.length > 0) duplicates += await this.writeErrors(errors);
    if (logs.length > 0) {
      const tag = BigInt(this.options.logTag);
      await this.insert('logs', LOG_COLUMNS, logs, (l) => logRow(l, (this.logSequence++ << 16n) | tag));
    }
    if (metrics.length > 0) await this.insert('metrics', METRIC_COLUMNS, metrics, metricRow);
    if (reports.length > 0)
      await this.insert('client_reports', CLIENT_REPORT_COLUMNS, reports, clientReportRow);
    return duplicates;
  }

  private async writeSpans(spans: EncodedSpan[]): Promise<number> {
    const fresh: EncodedSpan[] = [];
    for (const [projectId, list] of byProject(spans, (s) => s[0])) {
      const stored = await this.storedSpanKeys(projectId, list);
      for (const s of list) if (!stored.has(`${s[1]}\u0000${s[2]}`)) fresh.push(s);
    }
    if (fresh.length > 0) await this.insert('spans', SPAN_COLUMNS, fresh, spanRow);
    // Every trace of the group, not only those that got new spans: when an earlier commit inserted
    // spans and then failed before their summary, the client's retry finds only duplicates, and
    // this is what makes the trace visible (summaries are recomputed, so doing it again is harmless).
    for (const [projectId, list] of byProject(spans, (s) => s[0])) {
      await this.refreshSummaries(projectId, list);
    }
    return spans.length - fresh.length;
  }

  /** (trace id, span id) of the stored spans among these (a repeated span has the same start, so the same day). */
  private async storedSpanKeys(projectId: number, spans: EncodedSpan[]): Promise<Set<string>> {
    const keys = new Set<string>();
    const traces = [...new Set(spans.map((s) => s[1]))];
    const days = [...new Set(spans.map((s) => dayOf(s[9])))];
    for (const ids of chunks(traces, IDS_PER_STATEMENT)) {
      const rows = await this.select<{ trace_id: string; span_id: string }>(
        `SELECT trace_id, span_id FROM spans
         WHERE project_id = ${int(projectId)} AND day IN (${days.map(int).join(', ')}) AND trace_id IN ${strList(ids)}`,
      );
      for (const r of rows) keys.add(`${r.trace_id}\u0000${r.span_id}`);
    }
    return keys;
  }

  /**
   * Recomputes the summaries of the traces these spans belong to. Their spans lie between the
   * stored summary's bounds (versions only widen them, so min/max over every version is the newest)
   * and this commit's, which bounds the `day` range scanned.
   */
  private async refreshSummaries(projectId: number, spans: EncodedSpan[]): Promise<void> {
    const bounds = new Map<string, { lo: number; hi: number }>();
    for (const s of spans) {
      const b = bounds.get(s[1]);
      if (!b) bounds.set(s[1], { lo: s[9], hi: s[9] });
      else {
        if (s[9] < b.lo) b.lo = s[9];
        if (s[9] > b.hi) b.hi = s[9];
      }
    }
    for (const ids of chunks([...bounds.keys()], IDS_PER_STATEMENT)) {
      const stored = await this.select<{ trace_id: string; lo: number; hi: number }>(
        `SELECT trace_id, min(start_time) AS lo, max(last_start) AS hi FROM traces
         WHERE project_id = ${int(projectId)} AND trace_id IN ${strList(ids)} GROUP BY trace_id`,
      );
      for (const r of stored) {
        const b = bounds.get(r.trace_id)!;
        b.lo = Math.min(b.lo, Number(r.lo));
        b.hi = Math.max(b.hi, Number(r.hi));
      }
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (const id of ids) {
        const b = bounds.get(id)!;
        lo = Math.min(lo, b.lo);
        hi = Math.max(hi, b.hi);
      }
      await this.client.command({
        query: summarySql(
          `project_id = ${int(projectId)} AND day BETWEEN ${int(dayOf(lo))} AND ${int(dayOf(hi))}
           AND trace_id IN ${strList(ids)}`,
        ),
      });
    }
  }

  private async writeErrors(errors: ErrorRow[]): Promise<number> {
    const fresh: ErrorRow[] = [];
    for (const [projectId, list] of byProject(errors, (e) => e.projectId)) {
      const stored = new Set<string>();
      for (const ids of chunks(
        list.map((e) => e.eventId),
        IDS_PER_STATEMENT,
      )) {
        const rows = await this.select<{ event_id: string }>(
          `SELECT event_id FROM errors WHERE project_id = ${int(projectId)} AND event_id IN ${strList(ids)}`,
        );
        for (const r of rows) stored.add(r.event_id);
      }
      for (const e of list) if (!stored.has(e.eventId)) fresh.push(e);
    }
    if (fresh.length > 0) await this.insert('errors', ERROR_COLUMNS, fresh, errorRow);
    return errors.length - fresh.length;
  }

  /**
   * Inserts rows as TabSeparated text, built in slices of ROWS_PER_SLICE with the event loop let run
   * between slices (one 20k-span commit is ~100 ms of string building), and sent as one request.
   */
  private async insert<T>(
    table: string,
    columns: readonly [string, ...string[]],
    rows: readonly T[],
    encode: (row: T) => string,
  ): Promise<void> {
    const parts: string[] = [];
    for (let i = 0; i < rows.length; i += ROWS_PER_SLICE) {
      if (i > 0) await yieldToEventLoop();
      let text = '';
      const end = Math.min(rows.length, i + ROWS_PER_SLICE);
      for (let j = i; j < end; j++) text += encode(rows[j]!);
      parts.push(text);
    }
    await this.client.insert({
      table,
      values: Readable.from(parts, { objectMode: false }),
      format: 'TabSeparated',
      columns: [...columns] as [string, ...string[]],
    });
  }

  private async select<T>(query: string): Promise<T[]> {
    return (await this.client.query({ query, format: 'JSONEachRow' })).json<T>();
  }
}
