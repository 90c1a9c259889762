import type { LogLevel, LogRecord } from '../../types.js';
import { msToNanos, SCOPE, toKeyValues } from './common.js';
import type { ExportLogsServiceRequest, OtlpLogRecord, OtlpResource } from './types.js';

const SEVERITY: Record<LogLevel, number> = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 };

/** The record's own severity number when valid (1–24), else the level's. */
export function severityNumber(record: Pick<LogRecord, 'level' | 'severityNumber'>): number {
  const n = record.severityNumber;
  if (Number.isInteger(n) && n >= 1 && n <= 24) return n;
  return SEVERITY[record.level] ?? 0;
}

/**
 * One log record. The SDK makes a record at the moment it is logged, so the observed time is the
 * record's time. An empty trace id (no trace at all) is left out rather than sent as an invalid id.
 */
export function logToOtlp(record: LogRecord): OtlpLogRecord {
  const time = msToNanos(record.timestamp);
  const out: OtlpLogRecord = {
    timeUnixNano: time,
    observedTimeUnixNano: time,
    severityNumber: severityNumber(record),
    severityText: typeof record.level === 'string' ? record.level : '',
    body: { stringValue: typeof record.body === 'string' ? record.body : String(record.body) },
    attributes: toKeyValues(record.attributes),
  };
  if (typeof record.traceId === 'string' && record.traceId !== '') out.traceId = record.traceId;
  if (typeof record.spanId === 'string' && record.spanId !== '') out.spanId = record.spanId;
  return out;
}

/** An ExportLogsServiceRequest for `records`: one resource, one scope. */
export function logsToOtlp(records: readonly LogRecord[], resource: OtlpResource): ExportLogsServiceRequest {
  const logRecords: OtlpLogRecord[] = [];
  for (const record of records) logRecords.push(logToOtlp(record));
  return { resourceLogs: [{ resource, scopeLogs: [{ scope: SCOPE, logRecords }] }] };
}
