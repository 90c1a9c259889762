/**
 * OTLP/HTTP protobuf bodies (`Content-Type: application/x-protobuf`): decodes the three
 * `Export*ServiceRequest` messages into the OTLP/JSON shape `otlp.ts` reads (lowerCamelCase keys,
 * trace and span ids as lower-case hex, 64-bit integers as decimal strings, enums as numbers, `bytes`
 * attribute values as base64), and encodes the `Export*ServiceResponse` with its partial success.
 *
 * The schema is a protobufjs JSON descriptor written from opentelemetry-proto v1
 * (opentelemetry/proto/{common,resource,trace,logs,metrics}/v1/*.proto and collector/…/*_service.proto),
 * covering only the fields Sieve reads; protobuf skips unknown fields, so newer senders still decode.
 * Enums are declared as int32 (the same varint on the wire) because ingest wants their numbers.
 */
import protobuf from 'protobufjs';
import { IngestError } from './errors.js';
import type { OtlpSignal } from './otlp.js';
import { decodeTraceRequest } from './otlp-protobuf-traces.js';

type Fields = Record<string, { type: string; id: number; rule?: 'repeated' }>;

const repeated = (type: string, id: number) => ({ type, id, rule: 'repeated' as const });

const common: Record<string, { fields: Fields; oneofs?: Record<string, { oneof: string[] }> }> = {
  AnyValue: {
    oneofs: {
      value: {
        oneof: [
          'stringValue',
          'boolValue',
          'intValue',
          'doubleValue',
          'arrayValue',
          'kvlistValue',
          'bytesValue',
        ],
      },
    },
    fields: {
      stringValue: { type: 'string', id: 1 },
      boolValue: { type: 'bool', id: 2 },
      intValue: { type: 'int64', id: 3 },
      doubleValue: { type: 'double', id: 4 },
      arrayValue: { type: 'ArrayValue', id: 5 },
      kvlistValue: { type: 'KeyValueList', id: 6 },
      bytesValue: { type: 'bytes', id: 7 },
    },
  },
  ArrayValue: { fields: { values: repeated('AnyValue', 1) } },
  KeyValueList: { fields: { values: repeated('KeyValue', 1) } },
  KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
  InstrumentationScope: {
    fields: {
      name: { type: 'string', id: 1 },
      version: { type: 'string', id: 2 },
      attributes: repeated('KeyValue', 3),
      droppedAttributesCount: { type: 'uint32', id: 4 },
    },
  },
};

const KV = 'opentelemetry.proto.common.v1.KeyValue';
const ANY = 'opentelemetry.proto.common.v1.AnyValue';
const SCOPE = 'opentelemetry.proto.common.v1.InstrumentationScope';
const RESOURCE = 'opentelemetry.proto.resource.v1.Resource';

const resource = {
  Resource: { fields: { attributes: repeated(KV, 1), droppedAttributesCount: { type: 'uint32', id: 2 } } },
};

const trace = {
  ResourceSpans: {
    fields: {
      resource: { type: RESOURCE, id: 1 },
      scopeSpans: repeated('ScopeSpans', 2),
      schemaUrl: { type: 'string', id: 3 },
    },
  },
  ScopeSpans: {
    fields: {
      scope: { type: SCOPE, id: 1 },
      spans: repeated('Span', 2),
      schemaUrl: { type: 'string', id: 3 },
    },
  },
  Span: {
    fields: {
      traceId: { type: 'bytes', id: 1 },
      spanId: { type: 'bytes', id: 2 },
      traceState: { type: 'string', id: 3 },
      parentSpanId: { type: 'bytes', id: 4 },
      flags: { type: 'fixed32', id: 16 },
      name: { type: 'string', id: 5 },
      kind: { type: 'int32', id: 6 },
      startTimeUnixNano: { type: 'fixed64', id: 7 },
      endTimeUnixNano: { type: 'fixed64', id: 8 },
      attributes: repeated(KV, 9),
      droppedAttributesCount: { type: 'uint32', id: 10 },
      events: repeated('Event', 11),
      droppedEventsCount: { type: 'uint32', id: 12 },
      links: repeated('Link', 13),
      droppedLinksCount: { type: 'uint32', id: 14 },
      status: { type: 'Status', id: 15 },
    },
  },
  Event: {
    fields: {
      timeUnixNano: { type: 'fixed64', id: 1 },
      name: { type: 'string', id: 2 },
      attributes: repeated(KV, 3),
      droppedAttributesCount: { type: 'uint32', id: 4 },
    },
  },
  Link: {
    fields: {
      traceId: { type: 'bytes', id: 1 },
      spanId: { type: 'bytes', id: 2 },
      traceState: { type: 'string', id: 3 },
      attributes: repeated(KV, 4),
      droppedAttributesCount: { type: 'uint32', id: 5 },
      flags: { type: 'fixed32', id: 6 },
    },
  },
  // Field 1 is reserved (the old deprecated_code).
  Status: { fields: { message: { type: 'string', id: 2 }, code: { type: 'int32', id: 3 } } },
};

const logs = {
  ResourceLogs: {
    fields: {
      resource: { type: RESOURCE, id: 1 },
      scopeLogs: repeated('ScopeLogs', 2),
      schemaUrl: { type: 'string', id: 3 },
    },
  },
  ScopeLogs: {
    fields: {
      scope: { type: SCOPE, id: 1 },
      logRecords: repeated('LogRecord', 2),
      schemaUrl: { type: 'string', id: 3 },
    },
  },
  LogRecord: {
    fields: {
      timeUnixNano: { type: 'fixed64', id: 1 },
      observedTimeUnixNano: { type: 'fixed64', id: 11 },
      severityNumber: { type: 'int32', id: 2 },
      severityText: { type: 'string', id: 3 },
      body: { type: ANY, id: 5 },
      attributes: repeated(KV, 6),
      droppedAttributesCount: { type: 'uint32', id: 7 },
      flags: { type: 'fixed32', id: 8 },
      traceId: { type: 'bytes', id: 9 },
      spanId: { type: 'bytes', id: 10 },
      eventName: { type: 'string', id: 12 },
    },
  },
};

const exemplar = {
  Exemplar: {
    oneofs: { value: { oneof: ['asDouble', 'asInt'] } },
    fields: {
      filteredAttributes: repeated(KV, 7),
      timeUnixNano: { type: 'fixed64', id: 2 },
      asDouble: { type: 'double', id: 3 },
      asInt: { type: 'sfixed64', id: 6 },
      spanId: { type: 'bytes', id: 4 },
      traceId: { type: 'bytes', id: 5 },
    },
  },
};

/** proto3 `optional` fields are a one-member oneof, which tells "absent" from 0 after decoding. */
const optional = (...names: string[]) => Object.fromEntries(names.map((n) => [`_${n}`, { oneof: [n] }]));

const metrics = {
  ResourceMetrics: {
    fields: {
      resource: { type: RESOURCE, id: 1 },
      scopeMetrics: repeated('ScopeMetrics', 2),
      schemaUrl: { type: 'string', id: 3 },
    },
  },
  ScopeMetrics: {
    fields: {
      scope: { type: SCOPE, id: 1 },
      metrics: repeated('Metric', 2),
      schemaUrl: { type: 'string', id: 3 },
    },
  },
  Metric: {
    oneofs: { data: { oneof: ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] } },
    fields: {
      name: { type: 'string', id: 1 },
      description: { type: 'string', id: 2 },
      unit: { type: 'string', id: 3 },
      gauge: { type: 'Gauge', id: 5 },
      sum: { type: 'Sum', id: 7 },
      histogram: { type: 'Histogram', id: 9 },
      exponentialHistogram: { type: 'ExponentialHistogram', id: 10 },
      summary: { type: 'Summary', id: 11 },
      metadata: repeated(KV, 12),
    },
  },
  Gauge: { fields: { dataPoints: repeated('NumberDataPoint', 1) } },
  Sum: {
    fields: {
      dataPoints: repeated('NumberDataPoint', 1),
      aggregationTemporality: { type: 'int32', id: 2 },
      isMonotonic: { type: 'bool', id: 3 },
    },
  },
  Histogram: {
    fields: {
      dataPoints: repeated('HistogramDataPoint', 1),
      aggregationTemporality: { type: 'int32', id: 2 },
    },
  },
  ExponentialHistogram: {
    fields: {
      dataPoints: repeated('ExponentialHistogramDataPoint', 1),
      aggregationTemporality: { type: 'int32', id: 2 },
    },
  },
  Summary: { fields: { dataPoints: repeated('SummaryDataPoint', 1) } },
  NumberDataPoint: {
    oneofs: { value: { oneof: ['asDouble', 'asInt'] } },
    fields: {
      attributes: repeated(KV, 7),
      startTimeUnixNano: { type: 'fixed64', id: 2 },
      timeUnixNano: { type: 'fixed64', id: 3 },
      asDouble: { type: 'double', id: 4 },
      asInt: { type: 'sfixed64', id: 6 },
      exemplars: repeated('Exemplar', 5),
      flags: { type: 'uint32', id: 8 },
    },
  },
  HistogramDataPoint: {
    oneofs: optional('sum', 'min', 'max'),
    fields: {
      attributes: repeated(KV, 9),
      startTimeUnixNano: { type: 'fixed64', id: 2 },
      timeUnixNano: { type: 'fixed64', id: 3 },
      count: { type: 'fixed64', id: 4 },
      sum: { type: 'double', id: 5 },
      bucketCounts: repeated('fixed64', 6),
      explicitBounds: repeated('double', 7),
      exemplars: repeated('Exemplar', 8),
      flags: { type: 'uint32', id: 10 },
      min: { type: 'double', id: 11 },
      max: { type: 'double', id: 12 },
    },
  },
  ExponentialHistogramDataPoint: {
    oneofs: optional('sum', 'min', 'max'),
    fields: {
      attributes: repeated(KV, 1),
      startTimeUnixNano: { type: 'fixed64', id: 2 },
      timeUnixNano: { type: 'fixed64', id: 3 },
      count: { type: 'fixed64', id: 4 },
      sum: { type: 'double', id: 5 },
      scale: { type: 'sint32', id: 6 },
      zeroCount: { type: 'fixed64', id: 7 },
      positive: { type: 'Buckets', id: 8 },
      negative: { type: 'Buckets', id: 9 },
      flags: { type: 'uint32', id: 10 },
      exemplars: repeated('Exemplar', 11),
      min: { type: 'double', id: 12 },
      max: { type: 'double', id: 13 },
      zeroThreshold: { type: 'double', id: 14 },
    },
    nested: {
      Buckets: { fields: { offset: { type: 'sint32', id: 1 }, bucketCounts: repeated('uint64', 2) } },
    },
  },
  SummaryDataPoint: {
    fields: {
      attributes: repeated(KV, 7),
      startTimeUnixNano: { type: 'fixed64', id: 2 },
      timeUnixNano: { type: 'fixed64', id: 3 },
      count: { type: 'fixed64', id: 4 },
      sum: { type: 'double', id: 5 },
      quantileValues: repeated('ValueAtQuantile', 6),
      flags: { type: 'uint32', id: 8 },
    },
    nested: {
      ValueAtQuantile: { fields: { quantile: { type: 'double', id: 1 }, value: { type: 'double', id: 2 } } },
    },
  },
  ...exemplar,
};

const service = (
  request: string,
  list: string,
  item: string,
  partial: string,
  rejected: string,
): Record<string, protobuf.AnyNestedObject> => ({
  [request]: { fields: { [list]: repeated(item, 1) } },
  [`${request.replace('Request', 'Response')}`]: { fields: { partialSuccess: { type: partial, id: 1 } } },
  [partial]: { fields: { [rejected]: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } } },
});

const v1 = (nested: Record<string, protobuf.AnyNestedObject>): protobuf.AnyNestedObject => ({
  nested: { v1: { nested } },
});

const root = protobuf.Root.fromJSON({
  nested: {
    opentelemetry: {
      nested: {
        proto: {
          nested: {
            common: v1(common),
            resource: v1(resource),
            trace: v1(trace),
            logs: v1(logs),
            metrics: v1(metrics),
            collector: {
              nested: {
                trace: v1(
                  service(
                    'ExportTraceServiceRequest',
                    'resourceSpans',
                    'opentelemetry.proto.trace.v1.ResourceSpans',
                    'ExportTracePartialSuccess',
                    'rejectedSpans',
                  ),
                ),
                logs: v1(
                  service(
                    'ExportLogsServiceRequest',
                    'resourceLogs',
                    'opentelemetry.proto.logs.v1.ResourceLogs',
                    'ExportLogsPartialSuccess',
                    'rejectedLogRecords',
                  ),
                ),
                metrics: v1(
                  service(
                    'ExportMetricsServiceRequest',
                    'resourceMetrics',
                    'opentelemetry.proto.metrics.v1.ResourceMetrics',
                    'ExportMetricsPartialSuccess',
                    'rejectedDataPoints',
                  ),
                ),
              },
            },
          },
        },
      },
    },
  },
});
root.resolveAll();

const SERVICE: Record<
  OtlpSignal,
  { request: protobuf.Type; response: protobuf.Type; rejected: string; name: string }
> = {
  traces: {
    request: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
    rejected: 'rejectedSpans',
    name: 'ExportTraceServiceRequest',
  },
  logs: {
    request: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
    rejected: 'rejectedLogRecords',
    name: 'ExportLogsServiceRequest',
  },
  metrics: {
    request: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
    rejected: 'rejectedDataPoints',
    name: 'ExportMetricsServiceRequest',
  },
};

/** Fields whose bytes are ids (hex in OTLP/JSON); every other bytes field is base64 there. */
const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** Replaces bytes by their OTLP/JSON text, in place (iterative: input depth must not cost stack). */
function bytesToJsonForm(message: Record<string, unknown>): void {
  const stack: Array<Record<string, unknown> | unknown[]> = [message];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const keys: Array<string | number> = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    for (const key of keys) {
      const value = (node as Record<string | number, unknown>)[key];
      if (value instanceof Uint8Array) {
        const buffer = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        (node as Record<string | number, unknown>)[key] =
          typeof key === 'string' && ID_FIELDS.has(key) ? buffer.toString('hex') : buffer.toString('base64');
      } else if (value !== null && typeof value === 'object') {
        stack.push(value as Record<string, unknown>);
      }
    }
  }
}

/**
 * Decodes an `Export{Trace,Logs,Metrics}ServiceRequest` protobuf body into the OTLP/JSON shape.
 * Traces take the direct decoder of otlp-protobuf-traces.ts (the hot path), logs and metrics the
 * schema above. A body that is not that message → IngestError 400.
 */
export function decodeOtlpProtobuf(signal: OtlpSignal, body: Uint8Array): Record<string, unknown> {
  const { name } = SERVICE[signal];
  try {
    return signal === 'traces' ? decodeTraceRequest(body) : decodeWithSchema(signal, body);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new IngestError(400, `body is not a valid protobuf ${name} (${detail})`, { cause: error });
  }
}

/**
 * Any of the three requests decoded with protobufjs and the schema above (throws what protobufjs
 * throws). Exported so tests can hold the direct trace decoder to it.
 */
export function decodeWithSchema(signal: OtlpSignal, body: Uint8Array): Record<string, unknown> {
  const { request } = SERVICE[signal];
  const object = request.toObject(request.decode(body), {
    longs: String,
    enums: Number,
    defaults: false,
    arrays: false,
  });
  bytesToJsonForm(object);
  return object;
}

/**
 * Encodes the `Export*ServiceResponse` for a protobuf request: empty when everything was accepted,
 * else with `partialSuccess { rejected…, errorMessage }`.
 */
export function encodeOtlpProtobufResponse(
  signal: OtlpSignal,
  rejected: number,
  errorMessage?: string,
): Uint8Array {
  const { response, rejected: field } = SERVICE[signal];
  if (rejected === 0 && !errorMessage) return response.encode(response.create({})).finish();
  const message = response.fromObject({
    partialSuccess: { [field]: rejected, errorMessage: errorMessage ?? '' },
  });
  return response.encode(message).finish();
}

/** Decodes a response (for tests and clients of Sieve's own exporter). */
export function decodeOtlpProtobufResponse(signal: OtlpSignal, body: Uint8Array): Record<string, unknown> {
  const { response } = SERVICE[signal];
  return response.toObject(response.decode(body), { longs: String, defaults: false });
}
