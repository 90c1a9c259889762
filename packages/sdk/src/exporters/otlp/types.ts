/**
 * The OTLP/JSON message shapes this exporter writes (opentelemetry-proto v1, JSON Protobuf encoding):
 * lowerCamelCase keys, trace and span ids as hex, enums as integers, 64-bit integers as decimal
 * strings. Only the fields the exporter fills are declared; receivers ignore unknown fields anyway.
 */

/** A 64-bit integer (fixed64, int64, sfixed64) as its decimal string. */
export type Int64String = string;

export type OtlpAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: Int64String }
  /** Non-finite doubles are the proto3 JSON strings 'NaN', 'Infinity', '-Infinity'. */
  | { doubleValue: number | 'NaN' | 'Infinity' | '-Infinity' }
  | { arrayValue: { values: OtlpAnyValue[] } };

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export interface OtlpResource {
  attributes: OtlpKeyValue[];
}

export interface OtlpScope {
  name: string;
  version?: string;
}

/** Span.SpanKind. */
export const SPAN_KIND_INTERNAL = 1;
export const SPAN_KIND_SERVER = 2;
export const SPAN_KIND_CLIENT = 3;

/** Status.StatusCode. */
export const STATUS_CODE_UNSET = 0;
export const STATUS_CODE_OK = 1;
export const STATUS_CODE_ERROR = 2;

/** SpanFlags: bits 0-7 are the W3C trace flags, bits 8-9 say whether the parent is remote. */
export const SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE = 0x100;
export const SPAN_FLAGS_CONTEXT_IS_REMOTE = 0x200;

export interface OtlpSpanEvent {
  timeUnixNano: Int64String;
  name: string;
  attributes?: OtlpKeyValue[];
}

export interface OtlpStatus {
  code: number;
  message?: string;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  traceState?: string;
  parentSpanId?: string;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: Int64String;
  endTimeUnixNano: Int64String;
  attributes: OtlpKeyValue[];
  events?: OtlpSpanEvent[];
  status: OtlpStatus;
}

export interface ExportTraceServiceRequest {
  resourceSpans: Array<{
    resource: OtlpResource;
    scopeSpans: Array<{ scope: OtlpScope; spans: OtlpSpan[] }>;
  }>;
}

export interface OtlpLogRecord {
  timeUnixNano: Int64String;
  observedTimeUnixNano: Int64String;
  severityNumber: number;
  severityText: string;
  body: OtlpAnyValue;
  attributes: OtlpKeyValue[];
  traceId?: string;
  spanId?: string;
}

export interface ExportLogsServiceRequest {
  resourceLogs: Array<{
    resource: OtlpResource;
    scopeLogs: Array<{ scope: OtlpScope; logRecords: OtlpLogRecord[] }>;
  }>;
}

/** AggregationTemporality. */
export const AGGREGATION_TEMPORALITY_DELTA = 1;

export interface OtlpExemplar {
  timeUnixNano: Int64String;
  asDouble: number;
  traceId?: string;
  spanId?: string;
}

/** NumberDataPoint: exactly one of asInt / asDouble. */
export interface OtlpNumberDataPoint {
  attributes: OtlpKeyValue[];
  startTimeUnixNano?: Int64String;
  timeUnixNano: Int64String;
  asInt?: Int64String;
  asDouble?: number;
  exemplars?: OtlpExemplar[];
}

export interface OtlpHistogramDataPoint {
  attributes: OtlpKeyValue[];
  startTimeUnixNano: Int64String;
  timeUnixNano: Int64String;
  count: Int64String;
  sum: number;
  min: number;
  max: number;
  /** One more entry than explicitBounds: bucket i holds values in (bounds[i-1], bounds[i]]. */
  bucketCounts: Int64String[];
  explicitBounds: number[];
  exemplars?: OtlpExemplar[];
}

export interface OtlpMetric {
  name: string;
  unit?: string;
  sum?: { dataPoints: OtlpNumberDataPoint[]; aggregationTemporality: number; isMonotonic: boolean };
  gauge?: { dataPoints: OtlpNumberDataPoint[] };
  histogram?: { dataPoints: OtlpHistogramDataPoint[]; aggregationTemporality: number };
}

export interface ExportMetricsServiceRequest {
  resourceMetrics: Array<{
    resource: OtlpResource;
    scopeMetrics: Array<{ scope: OtlpScope; metrics: OtlpMetric[] }>;
  }>;
}
