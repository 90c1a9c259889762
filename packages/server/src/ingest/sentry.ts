/**
 * Sentry envelope items → rows of the data model.
 *
 * Item types: `transaction` (classic), `span` (v2 container, or one v1 span), `log`, `trace_metric`,
 * `client_report` and `event`; other types (attachments, sessions, profiles, replays, check-ins…) are
 * listed in `skipped` and otherwise ignored. A bad item (invalid JSON, wrong shape) is listed in
 * `rejected` and the rest of the envelope still counts; inside a container (span v2, log,
 * trace_metric, client report entries) a bad record rejects only that record. Only a malformed
 * envelope (see `parseEnvelope`) fails the whole request.
 *
 * Decisions:
 * - Status: Sentry's 'ok' → ok; no status → unset; anything else ('internal_error', 'not_found',
 *   'cancelled', … and span v2's 'error') → error, with the status text (or span v2's
 *   `sentry.status.message`) as statusMessage. Python 1.x puts a span's status in `tags.status`.
 * - op: classic `op` / `contexts.trace.op`, span v2 attribute `sentry.op`; it is also kept as attribute
 *   `sentry.op` on classic spans so both representations of a span carry the same attributes.
 * - Attributes: span `data` (classic) or typed `attributes` (v2, unwrapped), then tags as strings
 *   where no data key has the name, then `measurements.<name>` (classic transactions).
 * - A classic child span without an end gets the transaction's end and status error
 *   'deadline_exceeded', as Relay does; one without a parent hangs under the transaction root.
 * - serviceName: the `service.name` attribute (Sentry SDKs have no service concept), else null.
 * - Trace context per envelope: every span of a trace in the envelope gets the weight of the
 *   trace's segment (`sentry.sample_rate` on a segment, else the envelope's DSC `sample_rate` when the
 *   DSC is for that trace), and spans missing environment / release / service name / segment id
 *   take them from their nearest segment ancestor in the envelope (then the DSC). This joins
 *   `@sentry/node`'s classic transaction with the span v2 items of the same trace that it sends in the
 *   same envelope (`traceLifecycle: 'static'`, the default before v11), which carry none of these.
 * - Duplicates: a (traceId, spanId) seen twice in one envelope (a span both in a transaction and a
 *   span item) is stored once: the first occurrence wins, the later fills its missing fields and
 *   attributes. The store dedupes across requests.
 */
import { randomUUID } from 'node:crypto';
import {
  type ClientReportRow,
  type ErrorRow,
  emptyBatch,
  type IngestBatch,
  type LogRow,
  type MetricRow,
  type MetricType,
  type PlainAttributes,
  type SpanRow,
  type SpanStatus,
} from '../model.js';
import { normaliseAi } from './ai-attributes.js';
import type { Envelope } from './envelope.js';
import { levelFromSeverity, levelFromText, SEVERITY_OF_LEVEL } from './log-levels.js';
import {
  finiteNumber,
  isRecord,
  isSafeKey,
  lookup,
  nonEmpty,
  plainAttributes,
  plainValue,
  sentryTimestampMs,
  spanIdOf,
  textOf,
  traceIdOf,
} from './values.js';
import { parseRate, weightFromRate } from './weights.js';

export interface SentryBatchOptions {
  /** Epoch ms for records that carry no time (client reports, events without `timestamp`). Default: Date.now(). */
  now?: number;
}

export interface RejectedRecord {
  /** 0-based index of the item in the envelope. */
  item: number;
  type: string;
  /** 0-based index of the record inside a container item, when only that record was rejected. */
  record?: number;
  reason: string;
}

export interface SkippedItem {
  item: number;
  type: string;
}

export interface SentryIngestResult {
  batch: IngestBatch;
  rejected: RejectedRecord[];
  /** Items of types Sieve does not store. */
  skipped: SkippedItem[];
}

/** The envelope's dynamic sampling context, as far as ingest uses it. */
interface Dsc {
  traceId: string | null;
  sampleRate: number | undefined;
  environment: string | null;
  release: string | null;
}

/** A span before the per-envelope pass: `rate` is its own `sentry.sample_rate`, if any. */
interface PendingSpan {
  row: SpanRow;
  rate: number | undefined;
}

/** Thrown inside a converter to reject the current item or record with a reason. */
class Reject extends Error {}

interface Context {
  projectId: number;
  now: number;
  dsc: Dsc;
  envelopeEventId: string | null;
  spans: PendingSpan[];
  batch: IngestBatch;
  rejected: RejectedRecord[];
  item: number;
  type: string;
}

const KINDS = new Set(['server', 'client', 'internal', 'producer', 'consumer']);

export function sentryEnvelopeToBatch(
  envelope: Envelope,
  projectId: number,
  options: SentryBatchOptions = {},
): SentryIngestResult {
  const ctx: Context = {
    projectId,
    now: options.now ?? Date.now(),
    dsc: dscOf(envelope.header.trace),
    envelopeEventId: nonEmpty(envelope.header.event_id),
    spans: [],
    batch: emptyBatch(),
    rejected: [],
    item: 0,
    type: '',
  };
  const skipped: SkippedItem[] = [];
  envelope.items.forEach((item, index) => {
    ctx.item = index;
    ctx.type = item.header.type;
    const convert = lookup(CONVERTERS, item.header.type);
    if (convert === undefined) {
      skipped.push({ item: index, type: item.header.type });
      return;
    }
    try {
      let payload: unknown;
      try {
        payload = JSON.parse(item.payload.toString('utf8'));
      } catch (error) {
        throw new Reject(`payload is not valid JSON: ${(error as Error).message}`);
      }
      if (!isRecord(payload)) throw new Reject('payload must be a JSON object');
      convert(payload, ctx, item.payload);
    } catch (error) {
      if (!(error instanceof Reject)) throw error;
      ctx.rejected.push({ item: index, type: item.header.type, reason: error.message });
    }
  });
  ctx.batch.spans = finishSpans(ctx.spans, ctx.dsc);
  return { batch: ctx.batch, rejected: ctx.rejected, skipped };
}

type Converter = (payload: Record<string, unknown>, ctx: Context, raw: Buffer) => void;

const CONVERTERS: Record<string, Converter> = {
  transaction: convertTransaction,
  span: convertSpanItem,
  log: convertLogs,
  trace_metric: convertMetrics,
  client_report: convertClientReport,
  event: convertEvent,
};

function dscOf(trace: unknown): Dsc {
  if (!isRecord(trace)) return { traceId: null, sampleRate: undefined, environment: null, release: null };
  return {
    traceId: traceIdOf(trace.trace_id),
    sampleRate: parseRate(trace.sample_rate),
    environment: nonEmpty(trace.environment),
    release: nonEmpty(trace.release),
  };
}

/** Runs `convert` per record of a container, rejecting bad records one by one. */
function eachRecord(
  payload: Record<string, unknown>,
  ctx: Context,
  convert: (record: Record<string, unknown>) => void,
): void {
  const items = payload.items;
  if (!Array.isArray(items)) throw new Reject('expected a container {"items":[…]}: "items" is not an array');
  items.forEach((record, index) => {
    try {
      if (!isRecord(record)) throw new Reject('record is not a JSON object');
      convert(record);
    } catch (error) {
      if (!(error instanceof Reject)) throw error;
      ctx.rejected.push({ item: ctx.item, type: ctx.type, record: index, reason: error.message });
    }
  });
}

interface StatusFields {
  status: SpanStatus;
  statusMessage: string | null;
}

// Shared results for the common statuses (read-only: callers copy the two fields), so most spans
// allocate nothing for their status.
const STATUS_OK: Readonly<StatusFields> = Object.freeze({ status: 'ok', statusMessage: null });
const STATUS_UNSET: Readonly<StatusFields> = Object.freeze({ status: 'unset', statusMessage: null });

/** A classic child span without an end (Relay's rule). */
const DEADLINE_EXCEEDED: Readonly<StatusFields> = Object.freeze({
  status: 'error',
  statusMessage: 'deadline_exceeded',
});

function sentryStatus(raw: unknown, message: string | null): Readonly<StatusFields> {
  const text = nonEmpty(raw);
  if (text === null) return STATUS_UNSET;
  const lower = text.toLowerCase();
  if (lower === 'ok') return STATUS_OK;
  if (lower === 'unset') return STATUS_UNSET;
  if (lower === 'error') return { status: 'error', statusMessage: message };
  return { status: 'error', statusMessage: message ?? text };
}

function kindOf(attributes: PlainAttributes, raw: unknown): string | null {
  const value = nonEmpty(raw) ?? nonEmpty(attributes['otel.kind']) ?? nonEmpty(attributes['sentry.kind']);
  const lower = value?.toLowerCase() ?? null;
  return lower !== null && KINDS.has(lower) ? lower : null;
}

/** Tags as attributes: string values, never replacing a data attribute of the same name. */
function addTags(attributes: PlainAttributes, tags: unknown): void {
  if (tags === undefined || tags === null) return; // span v2 has none: no empty object and entries a span
  for (const [key, value] of Object.entries(tagsOf(tags)))
    if (!Object.hasOwn(attributes, key)) attributes[key] = value;
}

/** Tags come as an object or as `[[key, value], …]` pairs. */
function tagsOf(tags: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const entries: unknown[] = Array.isArray(tags) ? tags : isRecord(tags) ? Object.entries(tags) : [];
  for (const entry of entries) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') continue;
    const value = entry[1];
    if (value === null || value === undefined) continue;
    const text = typeof value === 'string' ? value : plainValue(value);
    if (text !== undefined && isSafeKey(entry[0]))
      out[entry[0]] = typeof text === 'string' ? text : JSON.stringify(text);
  }
  return out;
}

function requireTime(value: unknown, field: string): number {
  const ms = sentryTimestampMs(value);
  if (ms === undefined)
    throw new Reject(`${field} is missing or not a timestamp: ${JSON.stringify(value) ?? 'undefined'}`);
  return ms;
}

function requireTraceId(value: unknown, field: string): string {
  const id = traceIdOf(value);
  if (id === null)
    throw new Reject(`${field} is missing or not 32 hex digits: ${JSON.stringify(value) ?? 'undefined'}`);
  return id;
}

function requireSpanId(value: unknown, field: string): string {
  const id = spanIdOf(value);
  if (id === null)
    throw new Reject(`${field} is missing or not 16 hex digits: ${JSON.stringify(value) ?? 'undefined'}`);
  return id;
}

interface SpanInit {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  op: string | null;
  kind: string | null;
  status: SpanStatus;
  statusMessage: string | null;
  startTime: number;
  endTime: number;
  isSegment: boolean;
  segmentId: string | null;
  environment: string | null;
  release: string | null;
  attributes: PlainAttributes;
}

function pushSpan(ctx: Context, init: SpanInit): void {
  const { attributes } = init;
  if (init.op !== null && !('sentry.op' in attributes)) attributes['sentry.op'] = init.op;
  const ai = normaliseAi(init.name, init.op, attributes);
  // Every field written out (no spreads): one object shape for all rows, ~1 µs a span less.
  const row: SpanRow = {
    projectId: ctx.projectId,
    traceId: init.traceId,
    spanId: init.spanId,
    parentSpanId: init.parentSpanId,
    name: init.name,
    op: init.op,
    kind: init.kind,
    status: init.status,
    statusMessage: init.statusMessage,
    startTime: init.startTime,
    endTime: Math.max(init.endTime, init.startTime),
    isSegment: init.isSegment,
    segmentId: init.segmentId,
    serviceName: nonEmpty(attributes['service.name']),
    environment: init.environment,
    release: init.release,
    weight: 1,
    attributes,
    source: 'sentry',
    operation: ai.operation,
    provider: ai.provider,
    model: ai.model,
    inputTokens: ai.inputTokens,
    outputTokens: ai.outputTokens,
    cachedInputTokens: ai.cachedInputTokens,
    reasoningTokens: ai.reasoningTokens,
    agentName: ai.agentName,
    toolName: ai.toolName,
    costUsd: ai.costUsd,
  };
  ctx.spans.push({ row, rate: init.isSegment ? parseRate(attributes['sentry.sample_rate']) : undefined });
}

function convertTransaction(event: Record<string, unknown>, ctx: Context): void {
  const contexts = isRecord(event.contexts) ? event.contexts : {};
  const trace = contexts.trace;
  if (!isRecord(trace)) throw new Reject('transaction has no contexts.trace');
  const traceId = requireTraceId(trace.trace_id, 'contexts.trace.trace_id');
  const spanId = requireSpanId(trace.span_id, 'contexts.trace.span_id');
  const startTime = requireTime(event.start_timestamp, 'start_timestamp');
  const endTime = requireTime(event.timestamp, 'timestamp');
  const environment = nonEmpty(event.environment);
  const release = nonEmpty(event.release);

  const attributes = plainAttributes(trace.data);
  addTags(attributes, event.tags);
  if (typeof trace.origin === 'string' && !('sentry.origin' in attributes))
    attributes['sentry.origin'] = trace.origin;
  if (isRecord(event.measurements)) {
    for (const [name, measurement] of Object.entries(event.measurements)) {
      const value = finiteNumber(isRecord(measurement) ? measurement.value : measurement);
      if (value !== undefined) attributes[`measurements.${name}`] = value;
    }
  }
  const op = nonEmpty(trace.op) ?? nonEmpty(attributes['sentry.op']);
  const status = sentryStatus(trace.status ?? tagsOf(event.tags).status, null);
  pushSpan(ctx, {
    traceId,
    spanId,
    parentSpanId: spanIdOf(trace.parent_span_id),
    name: textOf(event.transaction) ?? textOf(trace.description) ?? op ?? '',
    op,
    kind: kindOf(attributes, undefined),
    status: status.status,
    statusMessage: status.statusMessage,
    startTime,
    endTime,
    isSegment: true,
    segmentId: spanId,
    environment,
    release,
    attributes,
  });

  const children = event.spans ?? [];
  if (!Array.isArray(children)) throw new Reject('"spans" is not an array');
  children.forEach((span, index) => {
    try {
      if (!isRecord(span)) throw new Reject('span is not a JSON object');
      const childAttributes = plainAttributes(span.data);
      addTags(childAttributes, span.tags);
      if (typeof span.origin === 'string' && !('sentry.origin' in childAttributes)) {
        childAttributes['sentry.origin'] = span.origin;
      }
      const childOp = nonEmpty(span.op) ?? nonEmpty(childAttributes['sentry.op']);
      const childStart = requireTime(span.start_timestamp, 'start_timestamp');
      const childEnd = sentryTimestampMs(span.timestamp);
      const status =
        childEnd === undefined
          ? DEADLINE_EXCEEDED
          : sentryStatus(span.status ?? tagsOf(span.tags).status, null);
      pushSpan(ctx, {
        traceId: span.trace_id === undefined ? traceId : requireTraceId(span.trace_id, 'trace_id'),
        spanId: requireSpanId(span.span_id, 'span_id'),
        parentSpanId: spanIdOf(span.parent_span_id) ?? spanId,
        name: textOf(span.description) ?? childOp ?? '',
        op: childOp,
        kind: kindOf(childAttributes, span.kind),
        status: status.status,
        statusMessage: status.statusMessage,
        startTime: childStart,
        endTime: childEnd ?? endTime,
        isSegment: false,
        segmentId: spanId,
        environment,
        release,
        attributes: childAttributes,
      });
    } catch (error) {
      if (!(error instanceof Reject)) throw error;
      ctx.rejected.push({
        item: ctx.item,
        type: ctx.type,
        record: index,
        reason: `spans[${index}]: ${error.message}`,
      });
    }
  });
}

function convertSpanItem(payload: Record<string, unknown>, ctx: Context): void {
  if ('items' in payload) {
    eachRecord(payload, ctx, (record) => convertSpan(record, ctx));
  } else if ('span_id' in payload) {
    convertSpan(payload, ctx); // a v1 span item: one span per item
  } else {
    throw new Reject('expected a span v2 container {"version":2,"items":[…]} or a single span');
  }
}

/** One span v2 record (typed attributes, `end_timestamp`) or v1 span (`data`, `timestamp`, `op`). */
function convertSpan(span: Record<string, unknown>, ctx: Context): void {
  const traceId = requireTraceId(span.trace_id, 'trace_id');
  const spanId = requireSpanId(span.span_id, 'span_id');
  const attributes = plainAttributes(span.attributes);
  plainAttributes(span.data, attributes);
  addTags(attributes, span.tags);
  const startTime = requireTime(span.start_timestamp, 'start_timestamp');
  const endTime = requireTime(span.end_timestamp ?? span.timestamp, 'end_timestamp');
  const parentSpanId = spanIdOf(span.parent_span_id);
  const isSegment = typeof span.is_segment === 'boolean' ? span.is_segment : parentSpanId === null;
  const op = nonEmpty(attributes['sentry.op']) ?? nonEmpty(span.op);
  const status = sentryStatus(span.status, nonEmpty(attributes['sentry.status.message']));
  // Every SpanInit field written out (no `...status` spread): a spread in the middle of a literal
  // copies through a slow path and gives the object another shape.
  pushSpan(ctx, {
    traceId,
    spanId,
    parentSpanId,
    name: textOf(span.name) ?? textOf(span.description) ?? op ?? '',
    op,
    kind: kindOf(attributes, span.kind),
    status: status.status,
    statusMessage: status.statusMessage,
    startTime,
    endTime,
    isSegment,
    segmentId:
      spanIdOf(attributes['sentry.segment.id']) ?? spanIdOf(span.segment_id) ?? (isSegment ? spanId : null),
    environment: nonEmpty(attributes['sentry.environment']),
    release: nonEmpty(attributes['sentry.release']),
    attributes,
  });
}

function convertLogs(payload: Record<string, unknown>, ctx: Context): void {
  eachRecord(payload, ctx, (record) => {
    const timestamp = requireTime(record.timestamp, 'timestamp');
    const attributes = plainAttributes(record.attributes);
    const severity = finiteNumber(record.severity_number);
    const level =
      levelFromText(record.level) ??
      (severity === undefined ? undefined : levelFromSeverity(severity)) ??
      'info';
    const severityNumber =
      severity !== undefined && levelFromSeverity(severity) !== undefined
        ? severity
        : SEVERITY_OF_LEVEL[level];
    const traceId = traceIdOf(record.trace_id);
    const row: LogRow = {
      projectId: ctx.projectId,
      timestamp,
      traceId,
      spanId: spanIdOf(record.span_id) ?? spanIdOf(attributes['sentry.trace.parent_span_id']),
      level,
      severityNumber,
      body:
        textOf(record.body) ??
        (record.body === undefined || record.body === null ? '' : JSON.stringify(record.body)),
      serviceName: nonEmpty(attributes['service.name']),
      environment: nonEmpty(attributes['sentry.environment']) ?? dscValue(ctx.dsc, traceId, 'environment'),
      release: nonEmpty(attributes['sentry.release']) ?? dscValue(ctx.dsc, traceId, 'release'),
      attributes,
    };
    ctx.batch.logs.push(row);
  });
}

function dscValue(dsc: Dsc, traceId: string | null, key: 'environment' | 'release'): string | null {
  return dsc.traceId === null || dsc.traceId === traceId ? dsc[key] : null;
}

const METRIC_TYPES: Record<string, MetricType> = {
  counter: 'counter',
  c: 'counter',
  gauge: 'gauge',
  g: 'gauge',
  distribution: 'distribution',
  d: 'distribution',
};

function convertMetrics(payload: Record<string, unknown>, ctx: Context): void {
  eachRecord(payload, ctx, (record) => {
    const name = nonEmpty(record.name);
    if (name === null) throw new Reject('metric has no name');
    const type = typeof record.type === 'string' ? lookup(METRIC_TYPES, record.type) : undefined;
    if (type === undefined) {
      throw new Reject(
        `metric ${name}: type ${JSON.stringify(record.type) ?? 'undefined'} is not counter, gauge or distribution`,
      );
    }
    const value = finiteNumber(record.value);
    if (value === undefined)
      throw new Reject(
        `metric ${name}: value ${JSON.stringify(record.value) ?? 'undefined'} is not a number`,
      );
    const unit = nonEmpty(record.unit);
    const attributes = plainAttributes(record.attributes);
    const row: MetricRow = {
      projectId: ctx.projectId,
      timestamp: requireTime(record.timestamp, `metric ${name}: timestamp`),
      traceId: traceIdOf(record.trace_id),
      spanId: spanIdOf(record.span_id),
      name,
      type,
      value,
      unit: unit === 'none' ? null : unit,
      serviceName: nonEmpty(attributes['service.name']),
      attributes,
    };
    ctx.batch.metrics.push(row);
  });
}

/**
 * Client reports: `discarded_events` (client-side drops), and Relay's `rate_limited_events`,
 * `filtered_events` and `filtered_sampling_events` when present, all as rows with their reason as
 * sent (those lists' entries carry a reason too; when one does not, the list name is the reason).
 */
function convertClientReport(payload: Record<string, unknown>, ctx: Context): void {
  const timestamp = sentryTimestampMs(payload.timestamp) ?? ctx.now;
  let record = 0;
  let lists = 0;
  for (const [list, fallbackReason] of [
    ['discarded_events', undefined],
    ['rate_limited_events', 'rate_limited'],
    ['filtered_events', 'filtered'],
    ['filtered_sampling_events', 'filtered_sampling'],
  ] as const) {
    const entries = payload[list];
    if (entries === undefined) continue;
    lists++;
    if (!Array.isArray(entries)) throw new Reject(`"${list}" is not an array`);
    for (const entry of entries) {
      const index = record++;
      const reason = isRecord(entry) ? (nonEmpty(entry.reason) ?? fallbackReason ?? null) : null;
      const category = isRecord(entry) ? nonEmpty(entry.category) : null;
      const quantity = isRecord(entry) ? finiteNumber(entry.quantity) : undefined;
      if (
        reason === null ||
        category === null ||
        quantity === undefined ||
        quantity < 0 ||
        !Number.isInteger(quantity)
      ) {
        ctx.rejected.push({
          item: ctx.item,
          type: ctx.type,
          record: index,
          reason: `${list} entry needs a reason, a category and a non-negative integer quantity: ${JSON.stringify(entry)}`,
        });
        continue;
      }
      const row: ClientReportRow = { projectId: ctx.projectId, timestamp, reason, category, quantity };
      ctx.batch.clientReports.push(row);
    }
  }
  if (lists === 0) throw new Reject('client report has no discarded_events');
}

function messageOf(event: Record<string, unknown>): string {
  const logentry = isRecord(event.logentry)
    ? event.logentry
    : isRecord(event.message)
      ? event.message
      : undefined;
  if (logentry) return textOf(logentry.formatted) ?? textOf(logentry.message) ?? '';
  return textOf(event.message) ?? '';
}

function convertEvent(event: Record<string, unknown>, ctx: Context, raw: Buffer): void {
  const values = isRecord(event.exception) ? event.exception.values : event.exception;
  const exceptions = Array.isArray(values) ? values.filter(isRecord) : [];
  // Sentry orders chained exceptions oldest first: the last one is the outermost (the one caught).
  const outermost = exceptions[exceptions.length - 1];
  const stacktrace = outermost && isRecord(outermost.stacktrace) ? outermost.stacktrace : undefined;
  const frames = stacktrace && Array.isArray(stacktrace.frames) ? stacktrace.frames.filter(isRecord) : [];
  const trace = isRecord(event.contexts) && isRecord(event.contexts.trace) ? event.contexts.trace : {};
  const eventId =
    nonEmpty(event.event_id)?.replaceAll('-', '').toLowerCase() ??
    ctx.envelopeEventId?.replaceAll('-', '').toLowerCase() ??
    randomUUID().replaceAll('-', '');
  const row: ErrorRow = {
    projectId: ctx.projectId,
    eventId,
    timestamp: sentryTimestampMs(event.timestamp) ?? ctx.now,
    traceId: traceIdOf(trace.trace_id),
    spanId: spanIdOf(trace.span_id),
    level: nonEmpty(event.level)?.toLowerCase() ?? 'error',
    type: outermost ? (textOf(outermost.type) ?? '') : '',
    message: outermost ? (textOf(outermost.value) ?? messageOf(event)) : messageOf(event),
    frames,
    environment: nonEmpty(event.environment) ?? dscValue(ctx.dsc, traceIdOf(trace.trace_id), 'environment'),
    release: nonEmpty(event.release) ?? dscValue(ctx.dsc, traceIdOf(trace.trace_id), 'release'),
    tags: tagsOf(event.tags),
    raw: raw.toString('utf8'),
  };
  ctx.batch.errors.push(row);
}

/** Fills what a span row lacks from `other` (same trace and span id): null fields and missing attributes. */
function mergeInto(target: PendingSpan, other: PendingSpan): void {
  const a = target.row;
  const b = other.row;
  for (const [key, value] of Object.entries(b.attributes))
    if (!Object.hasOwn(a.attributes, key)) a.attributes[key] = value;
  a.parentSpanId ??= b.parentSpanId;
  a.op ??= b.op;
  a.kind ??= b.kind;
  a.segmentId ??= b.segmentId;
  a.serviceName ??= b.serviceName;
  a.environment ??= b.environment;
  a.release ??= b.release;
  if (a.name === '') a.name = b.name;
  if (a.status === 'unset') a.status = b.status;
  if (a.status === 'error') a.statusMessage ??= b.statusMessage;
  a.isSegment ||= b.isSegment;
  target.rate ??= other.rate;
  Object.assign(a, normaliseAi(a.name, a.op, a.attributes));
}

/** One trace's spans in an envelope, in arrival order, and the same spans by span id (for dedupe and parent walks). */
interface TraceSpans {
  spans: PendingSpan[];
  bySpanId: Map<string, PendingSpan>;
}

/** Dedupe, then per trace: weights, and segment, environment, release and service from the segment. */
function finishSpans(pending: PendingSpan[], dsc: Dsc): SpanRow[] {
  // Grouped by trace, then by span id within it: dedupe needs no `trace:span` key string per span,
  // and the per-trace span-id map serves the segment walk below too.
  const traces = new Map<string, TraceSpans>();
  const unique: SpanRow[] = [];
  for (const span of pending) {
    const { traceId, spanId } = span.row;
    let trace = traces.get(traceId);
    if (trace === undefined) {
      trace = { spans: [], bySpanId: new Map() };
      traces.set(traceId, trace);
    }
    const seen = trace.bySpanId.get(spanId);
    if (seen) mergeInto(seen, span);
    else {
      trace.bySpanId.set(spanId, span);
      trace.spans.push(span);
      unique.push(span.row);
    }
  }

  for (const [traceId, { spans, bySpanId }] of traces) {
    // The trace's rate: its root segment's first, then any segment's, then the DSC's when it is this trace's.
    let segments = 0;
    let onlySegment: SpanRow | undefined;
    let rootRate: number | undefined;
    let anyRate: number | undefined;
    for (const span of spans) {
      if (!span.row.isSegment) continue;
      segments++;
      onlySegment = span.row;
      if (span.rate === undefined) continue;
      if (rootRate === undefined && span.row.parentSpanId === null) rootRate = span.rate;
      anyRate ??= span.rate;
    }
    const ownTrace = dsc.traceId === null || dsc.traceId === traceId;
    const weight = weightFromRate(rootRate ?? anyRate ?? (ownTrace ? dsc.sampleRate : undefined));
    const fallbackSegment = segments === 1 ? onlySegment : undefined;
    for (const { row } of spans) {
      row.weight = weight;
      const segment = nearestSegment(row, bySpanId) ?? fallbackSegment;
      if (segment) {
        row.segmentId ??= segment.spanId;
        row.environment ??= segment.environment;
        row.release ??= segment.release;
        row.serviceName ??= segment.serviceName;
      }
      if (ownTrace) {
        row.environment ??= dsc.environment;
        row.release ??= dsc.release;
      }
    }
  }
  return unique;
}

function nearestSegment(row: SpanRow, bySpanId: Map<string, PendingSpan>): SpanRow | undefined {
  let current: SpanRow | undefined = row;
  // Bounded walk: a cycle of parent links in hostile input must not hang the request.
  for (let depth = 0; current !== undefined && depth < 1000; depth++) {
    if (current.isSegment) return current;
    current = current.parentSpanId === null ? undefined : bySpanId.get(current.parentSpanId)?.row;
  }
  return undefined;
}
