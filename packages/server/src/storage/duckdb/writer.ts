import { serialize } from 'node:v8';
import {
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBValue,
  INTEGER,
  type JS,
  JSDuckDBValueConverter,
  LIST,
  listValue,
  VARCHAR,
} from '@duckdb/node-api';
import type { ClientReportRow, ErrorRow, IngestBatch, LogRow, MetricRow, SpanRow } from '../../model.js';
import { ERROR_COLUMNS } from '../rows.js';
import { TraceFilter } from './trace-filter.js';

/**
 * The single writer of a DuckDB store: group commit.
 *
 * `write(batch)` queues the batch; one loop takes everything queued (up to `maxRowsPerCommit`
 * rows, always at least one batch) and commits it in one transaction, so concurrent requests share
 * a commit (and its WAL fsync and any checkpoint it triggers). Each promise settles after the
 * COMMIT of the transaction that holds its batch: a 2xx sent after it means the data is durable.
 * With two connections, the next group is appended while the previous one commits (see loop).
 *
 * A commit, measured on 2 cores (bench/server-ingest.mjs):
 * - BEGIN; spans are deduplicated against the store only for traces that already have a summary
 *   row (see writeSpans: usually none, and a Bloom filter, trace-filter.ts, answers that without a
 *   query); new spans are appended straight into `spans`; each trace's summary row is appended, or
 *   merged in JS with its stored row (delete + append); logs, metrics and client reports are
 *   appended into their tables; COMMIT. Errors (rare) still go through a TEMP table and an
 *   anti-join on event ids.
 * - Under load every round trip to DuckDB costs more than the statement: the promise settles only
 *   when the event loop gets to it. The old path (spans staged in a TEMP table, an anti-join over a
 *   time window, INSERT … SELECT, the summary merged in SQL: ~11 statements) spent most of a
 *   commit waiting; this one makes 2 round trips (BEGIN, COMMIT) in the common case.
 * - Rows go through appenders with per-value calls (~370 ns a string, ~140 ns a number: ~11 µs a
 *   29-column span). Data chunks were no faster, even filled directly (numbers copied into the
 *   vectors with `copy_data_to_vector`, nulls as validity bits): every string still takes one
 *   `vector_assign_string_element` call, and strings are most of a span (measured 9.9 against 8.1 µs
 *   a span appended). Bulk loads through `read_csv` / `read_ndjson` of a temp file cost 4–5× more
 *   CPU in all. JS appends in slices of
 *   `yieldEveryRows`, yielding to the event loop between slices; DuckDB's side of an append (a
 *   synchronous flush, ~1 ms fixed per call on a wide table) runs once per table per commit, or
 *   every FLUSH_EVERY_ROWS rows of a large one.
 */

/**
 * A span as the writer takes it: SpanRow's fields in table order, normalised, with the attributes
 * already JSON text. Batches are encoded where they are received (DuckDbStore.write, or the main
 * thread in front of ThreadedDuckDbStore), so what crosses to the store's thread is an array of
 * arrays of primitives (structured-cloned ~4× faster than the row objects: measured 1.2 + 2.8 µs a
 * span against 3.4 + 5.2 µs) and JSON.stringify runs on the receiving thread.
 */
export type EncodedSpan = [
  projectId: number,
  traceId: string,
  spanId: string,
  parentSpanId: string | null,
  name: string,
  op: string | null,
  kind: string | null,
  status: string,
  statusMessage: string | null,
  startTime: number,
  endTime: number,
  isSegment: boolean,
  segmentId: string | null,
  serviceName: string | null,
  environment: string | null,
  release: string | null,
  weight: number,
  attributes: string,
  source: string,
  operation: string | null,
  provider: string | null,
  model: string | null,
  inputTokens: number | null,
  outputTokens: number | null,
  cachedInputTokens: number | null,
  reasoningTokens: number | null,
  agentName: string | null,
  toolName: string | null,
  /** Last: migration 3 added the column at the end of `spans`. */
  costUsd: number | null,
];

/** Positions in EncodedSpan. */
const PROJECT = 0;
const TRACE = 1;
const SPAN = 2;
const PARENT = 3;
const NAME = 4;
const OP = 5;
const STATUS = 7;
const START = 9;
const END = 10;
const IS_SEGMENT = 11;
const SERVICE = 13;
const WEIGHT = 16;
const OPERATION = 19;
const MODEL = 21;
const INPUT_TOKENS = 22;
const OUTPUT_TOKENS = 23;
const COST = 28;

/** An IngestBatch with its spans encoded (the other rows are few and stay objects). */
export interface EncodedBatch {
  spans: EncodedSpan[];
  logs: LogRow[];
  metrics: MetricRow[];
  errors: ErrorRow[];
  clientReports: ClientReportRow[];
}

/** Encodes a batch that passed validateBatch. */
export function encodeBatch(batch: IngestBatch): EncodedBatch {
  const spans = batch.spans ?? [];
  const encoded: EncodedSpan[] = new Array(spans.length);
  for (let i = 0; i < spans.length; i++) encoded[i] = encodeSpan(spans[i]!);
  return {
    spans: encoded,
    logs: batch.logs ?? [],
    metrics: batch.metrics ?? [],
    errors: batch.errors ?? [],
    clientReports: batch.clientReports ?? [],
  };
}

/**
 * A batch checked, encoded and v8-serialized: what ThreadedDuckDbStore.writeSerialized takes (and
 * journals as it is). Throws what validateBatch throws.
 */
export function serializeBatch(batch: IngestBatch): { bytes: Buffer; rows: number } {
  validateBatch(batch);
  const encoded = encodeBatch(batch);
  return { bytes: serialize(encoded), rows: encodedSize(encoded) };
}

/** Several encoded batches as one (their rows in order). */
function concatBatches(batches: readonly EncodedBatch[]): EncodedBatch {
  const out: EncodedBatch = { spans: [], logs: [], metrics: [], errors: [], clientReports: [] };
  for (const b of batches) {
    for (const s of b.spans) out.spans.push(s);
    for (const l of b.logs) out.logs.push(l);
    for (const m of b.metrics) out.metrics.push(m);
    for (const e of b.errors) out.errors.push(e);
    for (const r of b.clientReports) out.clientReports.push(r);
  }
  return out;
}

/** Rows in an encoded batch. */
export function encodedSize(batch: EncodedBatch): number {
  return (
    batch.spans.length +
    batch.logs.length +
    batch.metrics.length +
    batch.errors.length +
    batch.clientReports.length
  );
}

/** Optional text: null stays null, anything else becomes a string (in-process callers may be sloppy). */
function text(v: unknown): string | null {
  return v === null || v === undefined ? null : typeof v === 'string' ? v : String(v);
}

function count(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}

/** A cost in USD: a finite number, else null (in-process callers may be sloppy). */
function usd(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Σ of nullable sums: null only when both are (no span had a cost). */
function addCost(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : a + b;
}

function encodeSpan(s: SpanRow): EncodedSpan {
  return [
    s.projectId,
    s.traceId,
    s.spanId,
    s.parentSpanId ? text(s.parentSpanId) : null,
    s.name,
    text(s.op),
    text(s.kind),
    SPAN_STATUSES.has(s.status) ? s.status : 'unset',
    text(s.statusMessage),
    s.startTime,
    s.endTime,
    s.isSegment === true,
    text(s.segmentId),
    text(s.serviceName),
    text(s.environment),
    text(s.release),
    typeof s.weight === 'number' && Number.isFinite(s.weight) && s.weight > 0 ? s.weight : 1,
    json(s.attributes ?? {}, '{}'),
    s.source === 'otlp' ? 'otlp' : 'sentry',
    text(s.operation),
    text(s.provider),
    text(s.model),
    count(s.inputTokens),
    count(s.outputTokens),
    count(s.cachedInputTokens),
    count(s.reasoningTokens),
    text(s.agentName),
    text(s.toolName),
    usd(s.costUsd),
  ];
}

export interface WriterOptions {
  /** Upper bound on rows per transaction when several batches are waiting (a larger single batch still commits alone). */
  maxRowsPerCommit: number;
  /** Rows appended between two yields to the event loop. */
  yieldEveryRows: number;
  /** First id to give a log row. */
  nextLogId: bigint;
  /**
   * A group keeps taking batches until it holds this many rows, or `maxCommitDelayMs` after it
   * opened, before it commits (default 0: commit as soon as nothing more is queued). Only for
   * writers whose batches were acknowledged already (ThreadedDuckDbStore's ingest journal): a commit
   * has a fixed cost of a few ms (appender flushes, COMMIT), so 40 commits of 500 rows cost ~4× the
   * CPU of one of 20,000 (bench/README.md). A `barrier()` (a query) ends the wait at once.
   */
  minRowsPerCommit?: number;
  /** See minRowsPerCommit (default 0). */
  maxCommitDelayMs?: number;
}

export interface WriterStats {
  /** Transactions committed that carried batches. */
  commits: number;
  /** Batches acknowledged. */
  batches: number;
  /** Rows offered in acknowledged batches (before dedup). */
  rows: number;
  /** Spans and errors dropped as duplicates. */
  duplicates: number;
  /** Transactions that failed (every batch in them was rejected). */
  failedCommits: number;
  /** Groups appended while the previous group's COMMIT was still running (the pipeline at work). */
  overlapped: number;
}

interface BatchJob {
  kind: 'batch';
  batch: EncodedBatch;
  rows: number;
  /** Its ingest-journal sequence number: recorded in `ingest_journal` in the same transaction. */
  seq: number | undefined;
  /** Retried alone after its group failed: it commits in a group of its own, and fails alone. */
  solo?: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface TaskJob {
  kind: 'task';
  run: (conn: DuckDBConnection) => Promise<void>;
  reject: (err: Error) => void;
}

type Job = BatchJob | TaskJob;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The `errors` columns as SQL text (the staging table and the anti-join). */
const ERROR_COLUMN_LIST = ERROR_COLUMNS.join(', ');

const TRACE_COLUMNS = [
  'project_id',
  'trace_id',
  'start_time',
  'end_time',
  'last_start',
  'span_count',
  'error_count',
  'root_rank',
  'root_start',
  'root_name',
  'root_op',
  'root_status',
  'root_weight',
  'models',
  'ops',
  'services',
  'input_tokens',
  'output_tokens',
  'has_ai',
  'weight_sum',
  'cost_usd',
  'agent_cost_usd',
].join(', ');

/** Rows appended between two synchronous flushes of an appender (each holds the event loop). */
const FLUSH_EVERY_ROWS = 5000;

/** Parameter types of the writer's prepared statements (a list of ids must be typed explicitly). */
const QUERY_TYPES = { ids: LIST(VARCHAR), p: INTEGER, lo: DOUBLE, hi: DOUBLE };

const STORED_TRACES_SQL = `SELECT ${TRACE_COLUMNS} FROM traces
  WHERE project_id = $p::INTEGER AND trace_id IN (SELECT unnest($ids::VARCHAR[]))`;

const STORED_SPAN_KEYS_SQL = `SELECT trace_id, span_id FROM spans
  WHERE start_time BETWEEN $lo::DOUBLE AND $hi::DOUBLE AND project_id = $p::INTEGER
    AND trace_id IN (SELECT unnest($ids::VARCHAR[]))`;

const DELETE_TRACES_SQL =
  'DELETE FROM traces WHERE project_id = $p::INTEGER AND trace_id IN (SELECT unnest($ids::VARCHAR[]))';

/** Stored traces whose start times are closer than this share one scan for their span ids. */
const RANGE_GAP_MS = 3_600_000;

/** A row of `traces`, as read back for a merge and as appended. */
interface TraceRow {
  projectId: number;
  traceId: string;
  start: number;
  end: number;
  lastStart: number;
  spans: number;
  errors: number;
  rootRank: number;
  rootStart: number;
  rootName: string;
  rootOp: string | null;
  rootStatus: string;
  rootWeight: number;
  models: string[];
  ops: string[];
  services: string[];
  inputTokens: number;
  outputTokens: number;
  hasAi: boolean;
  weightSum: number;
  /** Σ cost of the spans that are not `invoke_agent` (null: none had one); see store.ts TraceSummary.costUsd. */
  costUsd: number | null;
  /** Σ cost of the `invoke_agent` spans: the trace's cost only when no other span has one. */
  agentCostUsd: number | null;
}

type StoredTrace = TraceRow;

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0));
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** A row of STORED_TRACES_SQL (columns in TRACE_COLUMNS order). */
function storedTraceOf(r: JS[]): StoredTrace {
  return {
    projectId: num(r[0]),
    traceId: String(r[1]),
    start: num(r[2]),
    end: num(r[3]),
    lastStart: num(r[4]),
    spans: num(r[5]),
    errors: num(r[6]),
    rootRank: num(r[7]),
    rootStart: num(r[8]),
    rootName: String(r[9]),
    rootOp: r[10] === null || r[10] === undefined ? null : String(r[10]),
    rootStatus: String(r[11]),
    rootWeight: num(r[12]),
    models: strings(r[13]),
    ops: strings(r[14]),
    services: strings(r[15]),
    inputTokens: num(r[16]),
    outputTokens: num(r[17]),
    hasAi: r[18] === true,
    weightSum: num(r[19]),
    costUsd: r[20] === null || r[20] === undefined ? null : num(r[20]),
    agentCostUsd: r[21] === null || r[21] === undefined ? null : num(r[21]),
  };
}

const sorted = (values: Iterable<string>): string[] => [...values].sort();

function traceRowOf(a: TraceAgg): TraceRow {
  return {
    projectId: a.projectId,
    traceId: a.traceId,
    start: a.start,
    end: a.end,
    lastStart: a.lastStart,
    spans: a.spans,
    errors: a.errors,
    rootRank: a.rootRank,
    rootStart: a.rootStart,
    rootName: a.rootName,
    rootOp: a.rootOp,
    rootStatus: a.rootStatus,
    rootWeight: a.rootWeight,
    models: sorted(a.models),
    ops: sorted(a.ops),
    services: sorted(a.services),
    inputTokens: a.inputTokens,
    outputTokens: a.outputTokens,
    hasAi: a.hasAi,
    weightSum: a.weightSum,
    costUsd: a.costUsd,
    agentCostUsd: a.agentCostUsd,
  };
}

/**
 * A stored summary row merged with what this commit adds. Counts and sums add up, bounds widen,
 * lists union (sorted), and the naming span of the commit replaces the stored one only when it
 * ranks better, or equally and starts earlier, so the result does not depend on arrival order.
 */
function mergeTrace(o: StoredTrace, a: TraceAgg): TraceRow {
  const newWins = a.rootRank < o.rootRank || (a.rootRank === o.rootRank && a.rootStart < o.rootStart);
  const union = (stored: string[], added: Set<string>) => sorted(new Set([...stored, ...added]));
  return {
    projectId: o.projectId,
    traceId: o.traceId,
    start: Math.min(o.start, a.start),
    end: Math.max(o.end, a.end),
    lastStart: Math.max(o.lastStart, a.lastStart),
    spans: o.spans + a.spans,
    errors: o.errors + a.errors,
    rootRank: Math.min(o.rootRank, a.rootRank),
    rootStart: newWins ? a.rootStart : o.rootStart,
    rootName: newWins ? a.rootName : o.rootName,
    rootOp: newWins ? a.rootOp : o.rootOp,
    rootStatus: newWins ? a.rootStatus : o.rootStatus,
    rootWeight: newWins ? a.rootWeight : o.rootWeight,
    models: union(o.models, a.models),
    ops: union(o.ops, a.ops),
    services: union(o.services, a.services),
    inputTokens: o.inputTokens + a.inputTokens,
    outputTokens: o.outputTokens + a.outputTokens,
    hasAi: o.hasAi || a.hasAi,
    weightSum: o.weightSum + a.weightSum,
    costUsd: addCost(o.costUsd, a.costUsd),
    agentCostUsd: addCost(o.agentCostUsd, a.agentCostUsd),
  };
}

function groupIds(traces: readonly StoredTrace[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const t of traces) {
    const ids = out.get(t.projectId);
    if (ids) ids.push(t.traceId);
    else out.set(t.projectId, [t.traceId]);
  }
  return out;
}

/** What one commit adds to a trace's summary row. */
interface TraceAgg {
  projectId: number;
  traceId: string;
  start: number;
  end: number;
  lastStart: number;
  spans: number;
  errors: number;
  rootRank: number;
  rootStart: number;
  rootSpanId: string;
  rootName: string;
  rootOp: string | null;
  rootStatus: string;
  rootWeight: number;
  models: Set<string>;
  ops: Set<string>;
  services: Set<string>;
  inputTokens: number;
  outputTokens: number;
  hasAi: boolean;
  weightSum: number;
  /** Σ cost of the spans that are not `invoke_agent` (null: none had one); see store.ts TraceSummary.costUsd. */
  costUsd: number | null;
  /** Σ cost of the `invoke_agent` spans: the trace's cost only when no other span has one. */
  agentCostUsd: number | null;
}

/** A group whose transaction is sealed and whose COMMIT runs (see GroupCommitWriter.loop). */
interface InFlight {
  /** Settles after the COMMIT and the group's promises; never rejects (failures reject the group). */
  done: Promise<void>;
  /** Trace ids the group writes: batches of these traces wait for its COMMIT. */
  traceIds: Set<string>;
}

/** An appender of an open group, with the rows it has not handed to DuckDB yet. */
interface OpenAppender {
  ap: DuckDBAppender;
  unflushed: number;
}

/**
 * A transaction being filled: each batch is appended as it is taken (absorb), the trace summaries
 * are written when it is sealed, then it waits for its COMMIT.
 */
interface OpenGroup {
  conn: DuckDBConnection;
  jobs: BatchJob[];
  rows: number;
  /**
   * Trace ids written by the group whose COMMIT was running when this one began: its snapshot does
   * not see them even after that COMMIT ends, so for its whole life it takes no batch of these
   * traces (nor any error) — it would miss their summary rows and stored spans (see loop).
   */
  unseen: ReadonlySet<string> | null;
  /** Trace ids of its spans (a later group must not touch them before this one commits). */
  traceIds: Set<string>;
  /** (project, trace, span) of every span taken so far, and of the stored spans of its stored traces. */
  spanKeys: Set<string>;
  /** (project, event id) of the errors taken so far. */
  errorKeys: Set<string>;
  /**
   * What the spans appended so far add to their traces' summary rows (written when the group is
   * sealed). Folded in as each batch is taken, so a large group holds one small object a trace
   * rather than every span until it commits.
   */
  aggs: Map<string, TraceAgg>;
  /** Summary rows found in the store, by `project\0trace`; `checked` holds every key looked for. */
  stored: Map<string, StoredTrace>;
  checked: Set<string>;
  /** Traces this group creates: added to the trace filter once it commits. */
  created: Array<{ projectId: number; traceId: string }>;
  appenders: Map<string, OpenAppender>;
  duplicates: number;
  firstLogId: bigint;
  /** performance.now() when it opened (see WriterOptions.minRowsPerCommit). */
  openedAt: number;
}

export class GroupCommitWriter {
  private readonly queue: Job[] = [];
  private running = false;
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];
  private nextLogId: bigint;
  private readonly statements = new Map<DuckDBConnection, Map<string, DuckDBPreparedStatement>>();
  /** Which traces may have a summary row; null until built (and after retention deleted traces). */
  private traceFilter: TraceFilter | null = null;
  /** The group whose COMMIT runs while the next one is appended (see loop). */
  private inFlight: InFlight | null = null;
  /** Index into `conns` of the connection the next group uses. */
  private turn = 0;
  /** fill() waiting for the next write while a COMMIT runs. */
  private arrivalWaiters: Array<() => void> = [];
  /** Batches not settled yet, each as a promise that settles with it (see barrier). */
  private readonly unsettled = new Set<Promise<void>>();
  /** barrier() and drain() calls waiting: groups commit without waiting for more rows. */
  private urgent = 0;
  readonly stats: WriterStats = {
    commits: 0,
    batches: 0,
    rows: 0,
    duplicates: 0,
    failedCommits: 0,
    overlapped: 0,
  };

  private readonly conns: DuckDBConnection[];

  /**
   * `conns`: one or two connections of the same database. With two, the COMMIT of one group (a WAL
   * write and an fsync on DuckDB's side: 4–7 ms measured on the 2-core VM, nearly all of it waiting
   * for the disk) overlaps the appends of the next on the other connection; with one, groups
   * commit strictly one after the other.
   */
  constructor(
    conns: DuckDBConnection | readonly DuckDBConnection[],
    private readonly options: WriterOptions,
  ) {
    this.conns = Array.isArray(conns) ? [...conns] : [conns as DuckDBConnection];
    if (this.conns.length === 0 || this.conns.length > 2)
      throw new Error('GroupCommitWriter takes 1 or 2 connections');
    this.nextLogId = options.nextLogId;
  }

  /** The connection for lookups and exclusive tasks (nothing else runs on it then). */
  private get conn(): DuckDBConnection {
    return this.conns[0]!;
  }

  /**
   * Queues a batch (validated with validateBatch, then encoded); resolves after the transaction
   * holding it has committed.
   */
  write(batch: EncodedBatch, seq?: number): Promise<void> {
    const rows = encodedSize(batch);
    // A journaled batch with no rows still records its sequence number (its record is then done).
    if (rows === 0 && seq === undefined) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'batch', batch, rows, seq, resolve, reject });
      this.schedule();
    });
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.unsettled.add(settled);
    void settled.then(() => this.unsettled.delete(settled));
    return done;
  }

  /**
   * Resolves once every batch queued before the call has been committed (or has failed): a query
   * that follows it sees every acknowledged row. The group being filled commits at once.
   */
  async barrier(): Promise<void> {
    this.urgent++;
    this.wake();
    try {
      // Every batch queued so far, whatever order they commit in (a retried one commits later).
      await Promise.all([...this.unsettled]);
    } finally {
      this.urgent--;
    }
  }

  /** Runs `fn` on the writer connection between commits (retention deletes must not race a commit). */
  runExclusive<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        kind: 'task',
        run: async (conn) => {
          resolve(await fn(conn));
        },
        reject,
      });
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or being committed. */
  async drain(): Promise<void> {
    if (!this.running && !this.scheduled && this.queue.length === 0) return;
    this.urgent++;
    this.wake();
    try {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    } finally {
      this.urgent--;
    }
  }

  /** Wakes a fill() waiting for rows. */
  private wake(): void {
    if (this.arrivalWaiters.length > 0) {
      const waiters = this.arrivalWaiters;
      this.arrivalWaiters = [];
      for (const w of waiters) w();
    }
  }

  private schedule(): void {
    this.wake();
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // setImmediate rather than starting now: writes issued in the same tick join the first commit.
    setImmediate(() => {
      this.scheduled = false;
      void this.loop();
    });
  }

  /** Waits for the COMMIT in flight, if any. */
  private async settle(): Promise<void> {
    const inFlight = this.inFlight;
    if (inFlight) {
      await inFlight.done;
      if (this.inFlight === inFlight) this.inFlight = null;
    }
  }

  /**
   * A two-stage pipeline with two connections: while group N's COMMIT runs (WAL write and fsync,
   * on DuckDB's side) group N+1 is open on the other connection, and every batch that arrives
   * meanwhile is appended into it at once; when N has committed, N+1 is sealed (its trace
   * summaries written) and committed in turn. So the appends of one group overlap the COMMIT of
   * the previous one, groups stay as large as the arrivals allow (each commit has a fixed cost of
   * a few ms: appender flushes, COMMIT), and commits and acknowledgements stay in queue order.
   *
   * Two open transactions see each other's rows only once committed, so a batch joins the open
   * group beside a COMMIT in flight only when that is harmless: it touches none of the in-flight
   * group's traces (else it could miss the summary row and stored spans that group writes) and it
   * has no errors (deduplicated by event id against the store); and a group opens beside a COMMIT
   * only with the trace filter built (a rebuild must see every committed trace). Otherwise the
   * batch waits for the COMMIT, as a task does. With one connection, groups commit one by one.
   */
  private async loop(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        await this.drainQueue();
        if (this.queue.length > 0) continue;
        const inFlight = this.inFlight;
        if (!inFlight) break;
        // Nothing queued: the next write opens a group beside the COMMIT, or the COMMIT ends first.
        const arrived = await Promise.race([inFlight.done.then(() => false), this.arrival()]);
        if (!arrived) await this.settle();
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async drainQueue(): Promise<void> {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.kind === 'task') {
        await this.settle();
        this.queue.shift();
        try {
          await head.run(this.conn);
        } catch (err) {
          head.reject(asError(err));
        }
        continue;
      }
      if (this.inFlight && (this.conns.length === 1 || !this.traceFilter || !this.mayJoin(head, null))) {
        await this.settle();
        continue;
      }
      const conn = this.conns[this.turn]!;
      this.turn = (this.turn + 1) % this.conns.length;
      let group: OpenGroup | null = null;
      try {
        if (!this.traceFilter) await this.buildTraceFilter();
        if (this.inFlight) this.stats.overlapped++;
        await conn.run('BEGIN TRANSACTION');
        group = this.openGroup(conn);
        await this.fill(group);
        await this.seal(group);
      } catch (err) {
        if (group) {
          // Buffered rows are dropped before the ROLLBACK: an appender closed after it would flush
          // them in a transaction of their own.
          for (const open of group.appenders.values()) {
            try {
              open.ap.clear();
              open.ap.closeSync();
            } catch {
              // Closing fails once the transaction is aborted; the first error says why.
            }
          }
          group.appenders.clear();
          // A failed statement leaves the transaction aborted.
          await conn.run('ROLLBACK').catch(() => undefined);
          // Ids of a rolled-back group are reused so ids stay dense (not required for correctness):
          // the group in flight, if any, took its ids before this one.
          this.nextLogId = group.firstLogId;
          this.reject(group.jobs, group.rows, err);
        } else {
          // BEGIN or the filter failed: the head batch fails alone (the writer carries on).
          this.queue.shift();
          this.reject([head], head.rows, err);
        }
        continue;
      }
      await this.settle();
      this.inFlight = { done: this.finish(group), traceIds: group.traceIds };
    }
  }

  private openGroup(conn: DuckDBConnection): OpenGroup {
    return {
      conn,
      jobs: [],
      rows: 0,
      unseen: this.inFlight?.traceIds ?? null,
      traceIds: new Set(),
      spanKeys: new Set(),
      errorKeys: new Set(),
      aggs: new Map(),
      stored: new Map(),
      checked: new Set(),
      created: [],
      appenders: new Map(),
      duplicates: 0,
      firstLogId: this.nextLogId,
      openedAt: performance.now(),
    };
  }

  /**
   * Takes the batches queued, then, while the previous group's COMMIT runs, each batch as it
   * arrives; stops at the row cap, at a task, at a batch that may not join, or when the COMMIT ends.
   */
  private async fill(group: OpenGroup): Promise<void> {
    for (;;) {
      // Everything queued that may join goes in as one batch: one trace lookup, one append per table.
      const taken: EncodedBatch[] = [];
      let next = this.queue[0];
      while (next && next.kind === 'batch' && this.mayJoin(next, group)) {
        this.queue.shift();
        group.jobs.push(next);
        group.rows += next.rows;
        taken.push(next.batch);
        next = this.queue[0];
      }
      if (taken.length > 0) {
        await this.absorb(group, taken.length === 1 ? taken[0]! : concatBatches(taken));
        continue;
      }
      if (next || group.rows >= this.options.maxRowsPerCommit) return;
      const inFlight = this.inFlight;
      const waitMs = this.waitForRowsMs(group);
      if (!inFlight && waitMs <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      const waits: Array<Promise<'arrived' | 'committed' | 'timeout'>> = [
        this.arrival().then(() => 'arrived' as const),
      ];
      if (inFlight) waits.push(inFlight.done.then(() => 'committed' as const));
      if (waitMs > 0) {
        waits.push(new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), waitMs))));
      }
      const why = await Promise.race(waits);
      clearTimeout(timer);
      if (why === 'committed') {
        await this.settle();
        if (this.waitForRowsMs(group) <= 0) return;
      } else if (why === 'timeout' && !this.inFlight) return;
    }
  }

  /** How much longer `group` waits for more rows before it commits (≤ 0: it does not). */
  private waitForRowsMs(group: OpenGroup): number {
    const min = this.options.minRowsPerCommit ?? 0;
    if (group.rows >= min || this.urgent > 0) return 0;
    return group.openedAt + (this.options.maxCommitDelayMs ?? 0) - performance.now();
  }

  /**
   * Whether a batch may join `group` (null: a group about to open beside the COMMIT in flight). A
   * group that began beside a COMMIT keeps that COMMIT's traces out for as long as it stays open:
   * a group may wait for rows (minRowsPerCommit) well past that COMMIT's end, and its transaction
   * still reads the snapshot from before it (a merge there failed with "Conflict on tuple deletion").
   */
  private mayJoin(job: BatchJob, group: OpenGroup | null): boolean {
    if (group && group.jobs.length > 0) {
      if (job.solo || group.jobs[0]!.solo) return false;
      if (group.rows > 0 && group.rows + job.rows > this.options.maxRowsPerCommit) return false;
    }
    const unseen = group ? group.unseen : (this.inFlight?.traceIds ?? null);
    if (unseen === null) return true;
    if (job.batch.errors.length > 0) return false;
    for (const s of job.batch.spans) if (unseen.has(s[TRACE])) return false;
    return true;
  }

  /** Resolves at the next write() or runExclusive(). */
  private arrival(): Promise<true> {
    return new Promise((resolve) => this.arrivalWaiters.push(() => resolve(true)));
  }

  /**
   * A group failed: one bad batch (a value DuckDB refuses, a conflict) must not fail the others, so
   * a group of several batches is retried one batch a group, at the head of the queue; a batch
   * that fails alone is rejected with the cause.
   */
  private reject(jobs: BatchJob[], rows: number, err: unknown): void {
    this.stats.failedCommits++;
    if (jobs.length > 1) {
      for (const job of jobs) job.solo = true;
      this.queue.unshift(...jobs);
      this.schedule();
      return;
    }
    const error = new Error(
      `DuckDB store: commit of ${jobs.length} batch(es), ${rows} row(s) failed: ${asError(err).message}`,
      { cause: err },
    );
    for (const job of jobs) job.reject(error);
  }

  /** COMMITs a sealed group and settles its promises. Never rejects. */
  private async finish(group: OpenGroup): Promise<void> {
    try {
      await group.conn.run('COMMIT');
    } catch (err) {
      // A failed COMMIT has rolled back; ROLLBACK again in case it did not (it then fails harmlessly).
      await group.conn.run('ROLLBACK').catch(() => undefined);
      this.reject(group.jobs, group.rows, err);
      return;
    }
    const filter = this.traceFilter;
    if (filter) {
      for (const t of group.created) filter.add(t.projectId, t.traceId);
      // Rebuilt, twice as large, by the next group that needs it.
      if (filter.full) this.traceFilter = null;
    }
    this.stats.commits++;
    this.stats.batches += group.jobs.length;
    this.stats.rows += group.rows;
    this.stats.duplicates += group.duplicates;
    for (const job of group.jobs) job.resolve();
  }

  /**
   * Appends one batch into the open group. Duplicates inside the group (a transaction and span v2
   * items of one trace, a retry racing the original) are dropped by key; duplicates of stored
   * spans are found as writeSpans explains.
   */
  private async absorb(group: OpenGroup, batch: EncodedBatch): Promise<void> {
    if (batch.spans.length > 0) await this.writeSpans(group, batch.spans);
    if (batch.errors.length > 0) {
      const errors: ErrorRow[] = [];
      for (const e of batch.errors) {
        const key = `${e.projectId}\u0000${e.eventId}`;
        if (group.errorKeys.has(key)) group.duplicates++;
        else {
          group.errorKeys.add(key);
          errors.push(e);
        }
      }
      if (errors.length > 0) group.duplicates += await this.writeErrors(group.conn, errors);
    }
    if (batch.logs.length > 0) {
      let id = this.nextLogId;
      await this.appendRows(group, 'logs', batch.logs, (ap, row) => {
        appendLog(ap, row, id);
        id++;
      });
      this.nextLogId = id;
    }
    if (batch.metrics.length > 0) await this.appendRows(group, 'metrics', batch.metrics, appendMetric);
    if (batch.clientReports.length > 0) {
      await this.appendRows(group, 'client_reports', batch.clientReports, appendClientReport);
    }
  }

  /**
   * Hands every appended row to DuckDB and writes the trace summaries: each trace's row is
   * appended, or merged in JS with its stored row (delete + append).
   */
  private async seal(group: OpenGroup): Promise<void> {
    for (const [table, open] of group.appenders) {
      group.appenders.delete(table);
      open.ap.closeSync();
    }
    await this.recordJournalSeqs(group);
    if (group.aggs.size === 0) return;
    const replaced: StoredTrace[] = [];
    const rows: TraceRow[] = [...group.aggs.values()].map((a) => {
      const old = group.stored.get(`${a.projectId}\u0000${a.traceId}`);
      if (!old) {
        group.created.push({ projectId: a.projectId, traceId: a.traceId });
        return traceRowOf(a);
      }
      replaced.push(old);
      return mergeTrace(old, a);
    });
    for (const [projectId, ids] of groupIds(replaced)) {
      await this.query(group.conn, DELETE_TRACES_SQL, { p: projectId, ids: listValue(ids) });
    }
    await this.appendRows(group, 'traces', rows, appendTraceRow);
    const traces = group.appenders.get('traces');
    group.appenders.delete('traces');
    traces?.ap.closeSync();
  }

  /**
   * Deduplicates a batch's spans against the group and the store and appends the new ones to
   * `spans`; their traces' summaries are written when the group is sealed.
   *
   * A trace with no row in `traces` has no stored span (the summary is written in the same
   * transaction as its spans, and retention deletes both together), so only spans of traces that
   * already have a summary can be duplicates. The trace filter rules out most trace ids without a
   * query (a trace mostly arrives whole, in one request); the rest are looked up by id (the index on
   * traces.trace_id), once per group, and only for traces found are stored span ids read, within
   * the stored trace's own start-time range (zone maps skip the other row groups). This is exact:
   * no time window.
   */
  private async writeSpans(group: OpenGroup, spans: EncodedSpan[]): Promise<void> {
    const filter = this.traceFilter ?? (await this.buildTraceFilter(group.conn));
    let lookups: Map<number, string[]> | null = null;
    for (const s of spans) {
      group.traceIds.add(s[TRACE]);
      const key = `${s[PROJECT]}\u0000${s[TRACE]}`;
      if (group.checked.has(key)) continue;
      group.checked.add(key);
      if (!filter.mightContain(s[PROJECT], s[TRACE])) continue;
      lookups ??= new Map();
      const ids = lookups.get(s[PROJECT]);
      if (ids) ids.push(s[TRACE]);
      else lookups.set(s[PROJECT], [s[TRACE]]);
    }
    if (lookups) {
      const found: StoredTrace[] = [];
      for (const [projectId, ids] of lookups) {
        for (const row of await this.storedTraces(group.conn, projectId, ids)) {
          group.stored.set(`${projectId}\u0000${row.traceId}`, row);
          found.push(row);
        }
      }
      if (found.length > 0) {
        for (const key of await this.storedSpanKeys(group.conn, found)) group.spanKeys.add(key);
      }
    }
    const fresh: EncodedSpan[] = [];
    for (const s of spans) {
      const key = `${s[PROJECT]}\u0000${s[TRACE]}\u0000${s[SPAN]}`;
      if (group.spanKeys.has(key)) group.duplicates++;
      else {
        group.spanKeys.add(key);
        fresh.push(s);
      }
    }
    if (fresh.length > 0) {
      aggregateTraces(fresh, group.aggs);
      await this.appendRows(group, 'spans', fresh, appendSpan);
    }
  }

  /**
   * Records the journal sequence numbers of the group's batches in `ingest_journal`, in the same
   * transaction as their rows: after a crash, the journal's records found there are not stored
   * again. Consecutive numbers (the common case: batches are queued in journal order) are one row.
   */
  private async recordJournalSeqs(group: OpenGroup): Promise<void> {
    const seqs: number[] = [];
    for (const job of group.jobs) if (job.seq !== undefined) seqs.push(job.seq);
    if (seqs.length === 0) return;
    await this.appendRows(group, 'ingest_journal', seqRanges(seqs), (ap, [lo, hi]) => {
      ap.appendBigInt(BigInt(lo));
      ap.appendBigInt(BigInt(hi));
      ap.endRow();
    });
    const open = group.appenders.get('ingest_journal');
    group.appenders.delete('ingest_journal');
    open?.ap.closeSync();
  }

  /** Forgets the trace filter (retention deleted traces); the next commit rebuilds it. */
  invalidateTraceFilter(): void {
    this.traceFilter = null;
  }

  /**
   * Reads every stored (project, trace id) into a new filter with room for twice as many (at 1M
   * spans, ~33k traces: ~50 ms). Called at open, and by the first commit after the filter filled up
   * or retention deleted traces.
   */
  async buildTraceFilter(conn: DuckDBConnection = this.conn): Promise<TraceFilter> {
    const counted = await conn.run('SELECT count(*)::DOUBLE FROM traces');
    const total = Number(counted.getChunk(0).getColumnValues(0)[0] ?? 0);
    const filter = new TraceFilter(Math.max(2 * total, 65_536));
    // Streamed, so a large table is never materialized whole.
    const result = await conn.stream('SELECT project_id, trace_id FROM traces');
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const projects = chunk.getColumnValues(0);
      const ids = chunk.getColumnValues(1);
      for (let i = 0; i < ids.length; i++) filter.add(Number(projects[i]), String(ids[i]));
    }
    this.traceFilter = filter;
    return filter;
  }

  /** Summary rows of the given traces of a project, when stored. */
  private async storedTraces(
    conn: DuckDBConnection,
    projectId: number,
    traceIds: string[],
  ): Promise<StoredTrace[]> {
    const rows = await this.query(conn, STORED_TRACES_SQL, { p: projectId, ids: listValue(traceIds) });
    return rows.map(storedTraceOf);
  }

  /**
   * Keys (project, trace, span) of the stored spans of these traces. Each trace's spans lie within
   * its summary's [start_time, last_start]; traces close in time share one scan of that range.
   */
  private async storedSpanKeys(conn: DuckDBConnection, traces: StoredTrace[]): Promise<Set<string>> {
    const keys = new Set<string>();
    const sorted = [...traces].sort((a, b) => a.projectId - b.projectId || a.start - b.start);
    for (let i = 0; i < sorted.length; ) {
      const first = sorted[i]!;
      let hi = first.lastStart;
      const ids = [first.traceId];
      let j = i + 1;
      for (; j < sorted.length; j++) {
        const t = sorted[j]!;
        if (t.projectId !== first.projectId || t.start > hi + RANGE_GAP_MS) break;
        ids.push(t.traceId);
        if (t.lastStart > hi) hi = t.lastStart;
      }
      i = j;
      const rows = await this.query(conn, STORED_SPAN_KEYS_SQL, {
        lo: first.start,
        hi,
        p: first.projectId,
        ids: listValue(ids),
      });
      for (const [traceId, spanId] of rows) {
        keys.add(`${first.projectId}\u0000${String(traceId)}\u0000${String(spanId)}`);
      }
    }
    return keys;
  }

  private async writeErrors(conn: DuckDBConnection, errors: ErrorRow[]): Promise<number> {
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE stage_errors AS SELECT ${ERROR_COLUMN_LIST} FROM errors LIMIT 0`,
    );
    const ap = await conn.createAppender('stage_errors');
    try {
      for (const e of errors) appendError(ap, e);
    } finally {
      ap.closeSync();
    }
    // Errors are few next to spans: an exact anti-join over (project_id, event_id) is cheap.
    const dup = await conn.run(
      `DELETE FROM stage_errors USING errors t
       WHERE t.event_id = stage_errors.event_id AND t.project_id = stage_errors.project_id`,
    );
    const removed = Number(dup.rowsChanged);
    if (removed < errors.length) {
      await conn.run(
        `INSERT INTO errors (${ERROR_COLUMN_LIST}) SELECT ${ERROR_COLUMN_LIST} FROM stage_errors`,
      );
    }
    return removed;
  }

  /**
   * Appends rows through the group's appender for `table` (opened on first use, closed when the
   * group is sealed), in slices of `yieldEveryRows` with a yield to the event loop between slices.
   * Rows reach DuckDB (a synchronous flush) every FLUSH_EVERY_ROWS rows and at the seal. A flush
   * has a fixed cost of ~1 ms for a wide table whatever its row count (measured: 1 row 1.3 ms, 300
   * rows 2.3 ms, 2,000 rows 4.3 ms into `spans`), so a group pays it once per table, however many
   * batches it absorbed; FLUSH_EVERY_ROWS bounds how long one flush holds the event loop.
   */
  private async appendRows<T>(
    group: OpenGroup,
    table: string,
    rows: readonly T[],
    append: (ap: DuckDBAppender, row: T) => void,
  ): Promise<void> {
    let open = group.appenders.get(table);
    if (!open) {
      open = { ap: await group.conn.createAppender(table), unflushed: 0 };
      group.appenders.set(table, open);
    }
    const { ap } = open;
    const step = this.options.yieldEveryRows;
    for (let i = 0; i < rows.length; i += step) {
      const end = Math.min(rows.length, i + step);
      for (let j = i; j < end; j++) append(ap, rows[j]!);
      open.unflushed += end - i;
      if (open.unflushed >= FLUSH_EVERY_ROWS) {
        ap.flushSync();
        open.unflushed = 0;
      }
      if (end < rows.length) await yieldToEventLoop();
    }
  }

  /** A statement prepared once on the writer connection and re-bound per use. */
  private async prepared(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
    let byConn = this.statements.get(conn);
    if (!byConn) {
      byConn = new Map();
      this.statements.set(conn, byConn);
    }
    let stmt = byConn.get(sql);
    if (!stmt) {
      stmt = await conn.prepare(sql);
      byConn.set(sql, stmt);
    }
    return stmt;
  }

  /**
   * Runs a prepared statement and returns its rows: one round trip to DuckDB's threads (the
   * materialized result's chunks are read synchronously). Under load each round trip waits for the
   * event loop, which is busy parsing the next requests, so the commit path keeps them few.
   */
  private async query(
    conn: DuckDBConnection,
    sql: string,
    values: Record<string, DuckDBValue>,
  ): Promise<JS[][]> {
    const stmt = await this.prepared(conn, sql);
    stmt.clearBindings();
    stmt.bind(values, QUERY_TYPES);
    const result = await stmt.run();
    const out: JS[][] = [];
    for (let c = 0; c < result.chunkCount; c++) {
      for (const row of result.getChunk(c).convertRows(JSDuckDBValueConverter)) out.push(row);
    }
    return out;
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

// ---------------------------------------------------------------------------------------------
// Validation: a batch that would make DuckDB fail (or store nonsense) is refused alone, with a
// message naming the row and field, before it joins a shared commit.

const INT32_MAX = 2_147_483_647;

function fail(kind: string, index: number, message: string): never {
  throw new Error(`invalid ${kind} #${index}: ${message}`);
}

function checkProject(kind: string, i: number, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > INT32_MAX) {
    fail(kind, i, 'projectId must be an integer between 0 and 2^31-1');
  }
}

function checkTime(kind: string, i: number, field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(kind, i, `${field} must be a finite number`);
}

function checkString(kind: string, i: number, field: string, v: unknown): void {
  if (typeof v !== 'string') fail(kind, i, `${field} must be a string`);
}

/** Returns the row count of a batch after checking the fields the schema requires. */
export function validateBatch(batch: IngestBatch): number {
  const spans = batch.spans ?? [];
  const logs = batch.logs ?? [];
  const metrics = batch.metrics ?? [];
  const errors = batch.errors ?? [];
  const reports = batch.clientReports ?? [];
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    checkProject('span', i, s.projectId);
    checkString('span', i, 'traceId', s.traceId);
    checkString('span', i, 'spanId', s.spanId);
    checkString('span', i, 'name', s.name);
    checkTime('span', i, 'startTime', s.startTime);
    checkTime('span', i, 'endTime', s.endTime);
  }
  for (let i = 0; i < logs.length; i++) {
    const l = logs[i]!;
    checkProject('log', i, l.projectId);
    checkTime('log', i, 'timestamp', l.timestamp);
    checkString('log', i, 'body', l.body);
  }
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i]!;
    checkProject('metric', i, m.projectId);
    checkTime('metric', i, 'timestamp', m.timestamp);
    checkString('metric', i, 'name', m.name);
    if (typeof m.value !== 'number' || !Number.isFinite(m.value))
      fail('metric', i, 'value must be a finite number');
  }
  for (let i = 0; i < errors.length; i++) {
    const e = errors[i]!;
    checkProject('error', i, e.projectId);
    checkString('error', i, 'eventId', e.eventId);
    checkTime('error', i, 'timestamp', e.timestamp);
  }
  for (let i = 0; i < reports.length; i++) {
    const r = reports[i]!;
    checkProject('client report', i, r.projectId);
    checkTime('client report', i, 'timestamp', r.timestamp);
    if (typeof r.quantity !== 'number' || !Number.isFinite(r.quantity) || r.quantity < 0) {
      fail('client report', i, 'quantity must be a non-negative number');
    }
  }
  return spans.length + logs.length + metrics.length + errors.length + reports.length;
}

// ---------------------------------------------------------------------------------------------
// Appending: one function per table, values in the column order of the table (or stage table).

function str(ap: DuckDBAppender, v: string | null | undefined): void {
  if (v === null || v === undefined) ap.appendNull();
  else ap.appendVarchar(typeof v === 'string' ? v : String(v));
}

function double(ap: DuckDBAppender, v: number | null): void {
  if (v === null) ap.appendNull();
  else ap.appendDouble(v);
}

/** Token counts: integers in BIGINT; anything else (NaN, fractions from a sloppy SDK) is rounded or NULL. */
function int(ap: DuckDBAppender, v: number | null | undefined): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER) ap.appendNull();
  else ap.appendBigInt(BigInt(Math.round(v)));
}

function json(v: unknown, fallback: string): string {
  try {
    return JSON.stringify(v) ?? fallback;
  } catch {
    // Cycles or BigInts cannot come from a JSON body, but a bad in-process caller must not fail a shared commit.
    return fallback;
  }
}

const SPAN_STATUSES = new Set(['ok', 'error', 'unset']);

function tokens(v: number | null | undefined): number {
  return typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER
    ? Math.round(v)
    : 0;
}

/** Any AI field set (operation … cost, positions 19–28). */
function isAiSpan(s: EncodedSpan): boolean {
  for (let i = OPERATION; i < s.length; i++) if (s[i] != null) return true;
  return false;
}

/** Rank of the span that names its trace: the root, else a segment, else any span (earliest wins). */
function rootRank(s: EncodedSpan): number {
  if (!s[PARENT]) return 0;
  return s[IS_SEGMENT] ? 1 : 2;
}

/** Integer ranges [lo, hi] sorted, with overlapping and adjacent ones merged. */
export function mergeRanges(ranges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [from, to] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = out.at(-1);
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

/** Sorted, merged [lo, hi] ranges of integers. */
export function seqRanges(seqs: readonly number[]): Array<[number, number]> {
  return mergeRanges(seqs.map((n) => [n, n] as const));
}

/** Folds spans into `byTrace`, the summary contributions of a group's traces (by `project\0trace`). */
function aggregateTraces(spans: readonly EncodedSpan[], byTrace: Map<string, TraceAgg>): void {
  for (const s of spans) {
    const key = `${s[PROJECT]}\u0000${s[TRACE]}`;
    const rank = rootRank(s);
    const status = s[STATUS];
    const weight = s[WEIGHT];
    const start = s[START];
    let a = byTrace.get(key);
    if (!a) {
      a = {
        projectId: s[PROJECT],
        traceId: s[TRACE],
        start,
        end: s[END],
        lastStart: start,
        spans: 0,
        errors: 0,
        rootRank: rank,
        rootStart: start,
        rootSpanId: s[SPAN],
        rootName: s[NAME],
        rootOp: s[OP],
        rootStatus: status,
        rootWeight: weight,
        models: new Set(),
        ops: new Set(),
        services: new Set(),
        inputTokens: 0,
        outputTokens: 0,
        hasAi: false,
        weightSum: 0,
        costUsd: null,
        agentCostUsd: null,
      };
      byTrace.set(key, a);
    } else {
      if (start < a.start) a.start = start;
      if (s[END] > a.end) a.end = s[END];
      if (start > a.lastStart) a.lastStart = start;
      if (
        rank < a.rootRank ||
        (rank === a.rootRank && (start < a.rootStart || (start === a.rootStart && s[SPAN] < a.rootSpanId)))
      ) {
        a.rootRank = rank;
        a.rootStart = start;
        a.rootSpanId = s[SPAN];
        a.rootName = s[NAME];
        a.rootOp = s[OP];
        a.rootStatus = status;
        a.rootWeight = weight;
      }
    }
    a.spans++;
    if (status === 'error') a.errors++;
    const model = s[MODEL];
    if (model) a.models.add(model);
    const op = s[OP];
    if (op) a.ops.add(op);
    const service = s[SERVICE];
    if (service) a.services.add(service);
    a.inputTokens += tokens(s[INPUT_TOKENS]);
    a.outputTokens += tokens(s[OUTPUT_TOKENS]);
    if (!a.hasAi && isAiSpan(s)) a.hasAi = true;
    a.weightSum += weight;
    const cost = s[COST];
    if (cost !== null) {
      // An agent span's cost may be a total over its calls: kept apart so it is not counted twice.
      if (s[OPERATION] === 'invoke_agent') a.agentCostUsd = (a.agentCostUsd ?? 0) + cost;
      else a.costUsd = (a.costUsd ?? 0) + cost;
    }
  }
}

const VARCHAR_LIST = LIST(VARCHAR);

function appendTraceRow(ap: DuckDBAppender, t: TraceRow): void {
  ap.appendInteger(t.projectId);
  ap.appendVarchar(t.traceId);
  ap.appendDouble(t.start);
  ap.appendDouble(t.end);
  ap.appendDouble(t.lastStart);
  ap.appendBigInt(BigInt(t.spans));
  ap.appendBigInt(BigInt(t.errors));
  ap.appendTinyInt(t.rootRank);
  ap.appendDouble(t.rootStart);
  ap.appendVarchar(t.rootName);
  str(ap, t.rootOp);
  ap.appendVarchar(t.rootStatus);
  ap.appendDouble(t.rootWeight);
  ap.appendList(t.models, VARCHAR_LIST);
  ap.appendList(t.ops, VARCHAR_LIST);
  ap.appendList(t.services, VARCHAR_LIST);
  ap.appendBigInt(BigInt(t.inputTokens));
  ap.appendBigInt(BigInt(t.outputTokens));
  ap.appendBoolean(t.hasAi);
  ap.appendDouble(t.weightSum);
  double(ap, t.costUsd);
  double(ap, t.agentCostUsd);
  ap.endRow();
}

/** Exported for the ingest bench's raw ceiling, so it appends with exactly the writer's code. */
export function appendSpan(ap: DuckDBAppender, s: EncodedSpan): void {
  ap.appendInteger(s[0]);
  ap.appendVarchar(s[1]);
  ap.appendVarchar(s[2]);
  str(ap, s[3]);
  ap.appendVarchar(s[4]);
  str(ap, s[5]);
  str(ap, s[6]);
  ap.appendVarchar(s[7]);
  str(ap, s[8]);
  ap.appendDouble(s[9]);
  ap.appendDouble(s[10]);
  ap.appendDouble(Math.max(0, s[10] - s[9]));
  ap.appendBoolean(s[11]);
  str(ap, s[12]);
  str(ap, s[13]);
  str(ap, s[14]);
  str(ap, s[15]);
  ap.appendDouble(s[16]);
  ap.appendVarchar(s[17]);
  ap.appendVarchar(s[18]);
  str(ap, s[19]);
  str(ap, s[20]);
  str(ap, s[21]);
  int(ap, s[22]);
  int(ap, s[23]);
  int(ap, s[24]);
  int(ap, s[25]);
  str(ap, s[26]);
  str(ap, s[27]);
  double(ap, s[28]);
  ap.endRow();
}

function appendError(ap: DuckDBAppender, e: ErrorRow): void {
  ap.appendInteger(e.projectId);
  ap.appendVarchar(e.eventId);
  ap.appendDouble(e.timestamp);
  str(ap, e.traceId);
  str(ap, e.spanId);
  str(ap, e.level ?? 'error');
  str(ap, e.type ?? '');
  str(ap, e.message ?? '');
  ap.appendVarchar(json(e.frames ?? [], '[]'));
  str(ap, e.environment);
  str(ap, e.release);
  ap.appendVarchar(json(e.tags ?? {}, '{}'));
  str(ap, e.raw ?? '');
  ap.endRow();
}

function appendLog(ap: DuckDBAppender, l: LogRow, id: bigint): void {
  ap.appendBigInt(id);
  ap.appendInteger(l.projectId);
  ap.appendDouble(l.timestamp);
  str(ap, l.traceId);
  str(ap, l.spanId);
  str(ap, l.level ?? 'info');
  const sev = l.severityNumber;
  ap.appendInteger(typeof sev === 'number' && Number.isInteger(sev) && Math.abs(sev) <= INT32_MAX ? sev : 0);
  ap.appendVarchar(l.body);
  str(ap, l.serviceName);
  str(ap, l.environment);
  str(ap, l.release);
  ap.appendVarchar(json(l.attributes ?? {}, '{}'));
  ap.endRow();
}

/** Exported for the ingest bench's raw ceiling, like appendSpan. */
export function appendMetric(ap: DuckDBAppender, m: MetricRow): void {
  ap.appendInteger(m.projectId);
  ap.appendDouble(m.timestamp);
  str(ap, m.traceId);
  str(ap, m.spanId);
  ap.appendVarchar(m.name);
  str(ap, m.type ?? 'gauge');
  ap.appendDouble(m.value);
  str(ap, m.unit);
  str(ap, m.serviceName);
  ap.appendVarchar(json(m.attributes ?? {}, '{}'));
  ap.endRow();
}

function appendClientReport(ap: DuckDBAppender, r: ClientReportRow): void {
  ap.appendInteger(r.projectId);
  ap.appendDouble(r.timestamp);
  str(ap, r.reason ?? 'unknown');
  str(ap, r.category ?? 'unknown');
  int(ap, r.quantity);
  ap.endRow();
}
