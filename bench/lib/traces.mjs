// Realistic traces of an AI app, and the request bodies SDKs would send for them: Sentry span v2
// envelopes (one envelope a trace, as @sieve/sdk and Sentry's span streaming send them) and OTLP
// export requests, JSON or protobuf, gzip-compressed as the OpenTelemetry exporters send them with
// `compression: 'gzip'` (whole traces packed up to 512 spans, the BatchSpanProcessor's export size).
import { gzipSync } from 'node:zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
//
// Deterministic: a chunk's traces depend only on its seed, so the raw-ceiling run and the HTTP run
// see exactly the same spans.

/** xorshift128+ in 32-bit halves: fast, seedable, good enough for ids and choices. */
export function rng(seed) {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 + seed * 7919;
  let c = 0xb7e15162 ^ (seed << 7);
  let d = 0x6a09e667 + seed * 104729;
  const next = () => {
    const t = a ^ (a << 11);
    a = b;
    b = c;
    c = d;
    d = (d ^ (d >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return d;
  };
  for (let i = 0; i < 16; i++) next();
  return {
    u32: next,
    float: () => next() / 4294967296,
    int: (lo, hi) => lo + (next() % (hi - lo + 1)),
    pick: (list) => list[next() % list.length],
    hex(bytes) {
      let s = '';
      for (let i = 0; i < bytes; i += 4) s += (next() >>> 0).toString(16).padStart(8, '0');
      return s;
    },
  };
}

const MODELS = [
  ['openai', 'gpt-4o'],
  ['openai', 'gpt-4o-mini'],
  ['anthropic', 'claude-sonnet-4'],
  ['anthropic', 'claude-haiku-4'],
];
const TOOLS = ['search_docs', 'get_order', 'create_ticket', 'lookup_customer', 'run_sql'];
const ROUTES = ['/api/chat', '/api/agents/:id/run', '/api/support/reply', '/api/summarise'];
const TABLES = ['orders', 'customers', 'tickets', 'documents', 'sessions'];
const SERVICES = ['chat-api', 'agent-worker', 'support-api'];
const PROMPTS = [
  'You are a helpful support assistant for an online shop. Answer the customer question using the tools provided; if an order is mentioned, look it up before answering and never invent tracking numbers.',
  'Summarise the following conversation in three bullet points for the account manager, keeping order numbers, amounts and any promised follow-up dates exactly as written.',
  'Classify the ticket into billing, shipping, returns or technical, and propose the next action. Reply as JSON with the fields category, confidence and action.',
];

/**
 * One trace: an HTTP root, an agent span, rounds of LLM call → tool call (each tool with a DB query
 * or an outgoing HTTP call), and the odd cache lookup, until it has `size` spans (10–50).
 */
export function makeTrace(r, startMs) {
  const size = r.int(10, 50);
  const traceId = r.hex(16);
  const service = r.pick(SERVICES);
  const route = r.pick(ROUTES);
  const [provider, model] = r.pick(MODELS);
  const error = r.u32() % 50 === 0;
  const spans = [];
  const rootId = r.hex(8);
  let t = startMs;
  const add = (parentId, name, op, kind, durMs, attributes) => {
    const span = {
      spanId: r.hex(8),
      parentId,
      name,
      op,
      kind,
      start: t,
      end: t + durMs,
      status: 'ok',
      attributes,
    };
    spans.push(span);
    return span;
  };
  const root = {
    spanId: rootId,
    parentId: null,
    name: `POST ${route}`,
    op: 'http.server',
    kind: 'server',
    start: t,
    end: t,
    status: error ? 'error' : 'ok',
    attributes: {
      'http.request.method': 'POST',
      'http.route': route,
      'url.path': route.replace(':id', String(r.int(1, 9999))),
      'http.response.status_code': error ? 500 : 200,
      'user_agent.original':
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15',
      'client.address': `10.0.${r.int(0, 255)}.${r.int(1, 254)}`,
      'user.id': `user-${r.int(1, 50_000)}`,
    },
  };
  spans.push(root);
  t += 2;
  add(rootId, `SELECT FROM sessions`, 'db', 'client', 3, {
    'db.system.name': 'postgresql',
    'db.query.text': 'SELECT id, user_id, state FROM sessions WHERE id = $1',
    'db.collection.name': 'sessions',
  });
  t += 4;
  const agent = add(rootId, 'invoke_agent support-agent', 'gen_ai.invoke_agent', 'internal', 0, {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': 'support-agent',
    'gen_ai.request.model': model,
    'gen_ai.provider.name': provider,
  });
  const agentStart = t;
  let inTokens = 0;
  let outTokens = 0;
  // Rounds of chat → tool (→ db | http) until the trace has its size; the last round only chats.
  while (spans.length < size) {
    const input = r.int(200, 6000);
    const output = r.int(20, 800);
    inTokens += input;
    outTokens += output;
    const dur = r.int(300, 4000);
    add(agent.spanId, `chat ${model}`, 'gen_ai.chat', 'client', dur, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': provider,
      'gen_ai.request.model': model,
      'gen_ai.response.model': `${model}-2025-08-06`,
      'gen_ai.request.max_tokens': 1024,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.usage.input_tokens': input,
      'gen_ai.usage.output_tokens': output,
      'gen_ai.response.finish_reasons': [spans.length + 3 >= size ? 'stop' : 'tool_calls'],
      'gen_ai.response.id': `chatcmpl-${r.hex(12)}`,
      'gen_ai.request.messages': PROMPTS[r.u32() % PROMPTS.length],
    });
    t += dur + 1;
    if (spans.length + 3 > size) continue;
    const tool = r.pick(TOOLS);
    const toolDur = r.int(5, 400);
    const toolSpan = add(agent.spanId, `execute_tool ${tool}`, 'gen_ai.execute_tool', 'internal', toolDur, {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': tool,
      'gen_ai.tool.call.id': `call_${r.hex(8)}`,
      'gen_ai.tool.type': 'function',
    });
    t += 1;
    if (r.u32() % 3 === 0) {
      add(toolSpan.spanId, 'GET api.internal', 'http.client', 'client', toolDur - 3, {
        'http.request.method': 'GET',
        'url.full': `https://api.internal.example.com/v2/${tool}?id=${r.int(1, 1e6)}`,
        'http.response.status_code': 200,
        'server.address': 'api.internal.example.com',
      });
    } else {
      const table = r.pick(TABLES);
      add(toolSpan.spanId, `SELECT FROM ${table}`, 'db', 'client', toolDur - 3, {
        'db.system.name': 'postgresql',
        'db.query.text': `SELECT * FROM ${table} WHERE customer_id = $1 AND created_at > $2 ORDER BY created_at DESC LIMIT 20`,
        'db.collection.name': table,
        'db.response.returned_rows': r.int(0, 20),
      });
    }
    t += toolDur;
    if (spans.length < size && r.u32() % 4 === 0) {
      add(agent.spanId, 'GET cache', 'cache.get', 'client', 1, {
        'cache.key': `conv:${r.hex(4)}`,
        'cache.hit': r.u32() % 2 === 0,
      });
      t += 2;
    }
  }
  agent.end = t;
  agent.attributes['gen_ai.usage.input_tokens'] = inTokens;
  agent.attributes['gen_ai.usage.output_tokens'] = outTokens;
  root.end = t + 3;
  if (error) {
    agent.status = 'error';
  }
  void agentStart;
  return { traceId, service, model, spans, sampleRate: 0.5 };
}

// ------------------------------------------------------------------------------------------------
// Sentry span v2

function typed(value) {
  switch (typeof value) {
    case 'string':
      return `{"value":${JSON.stringify(value)},"type":"string"}`;
    case 'number':
      return Number.isInteger(value)
        ? `{"value":${value},"type":"integer"}`
        : `{"value":${value},"type":"double"}`;
    case 'boolean':
      return `{"value":${value},"type":"boolean"}`;
    default:
      return `{"value":${JSON.stringify(value)},"type":"array"}`;
  }
}

const SDK = '{"name":"sentry.javascript.node","version":"10.20.0"}';

/** One envelope for the trace, with its DSC in the header (what @sieve/sdk and Sentry's span streaming send). */
export function envelopeOf(trace, publicKey) {
  const root = trace.spans[0];
  const common =
    `"sentry.environment":${typed('production')},"sentry.release":${typed('chat@1.42.0')},` +
    `"sentry.sdk.name":${typed('sentry.javascript.node')},"sentry.sdk.version":${typed('10.20.0')},` +
    `"service.name":${typed(trace.service)},"sentry.segment.name":${typed(root.name)},` +
    `"sentry.segment.id":${typed(root.spanId)}`;
  const items = [];
  for (const s of trace.spans) {
    let attrs = '';
    for (const key in s.attributes) attrs += `${JSON.stringify(key)}:${typed(s.attributes[key])},`;
    attrs += `"sentry.op":${typed(s.op)},"sentry.origin":${typed('auto')},`;
    if (s.parentId === null)
      attrs += `"sentry.sample_rate":${typed(trace.sampleRate)},"sentry.source":${typed('route')},`;
    const parent = s.parentId === null ? '' : `"parent_span_id":"${s.parentId}",`;
    items.push(
      `{"trace_id":"${trace.traceId}","span_id":"${s.spanId}",${parent}"name":${JSON.stringify(s.name)},` +
        `"start_timestamp":${s.start / 1000},"end_timestamp":${s.end / 1000},"is_segment":${s.parentId === null},` +
        `"status":"${s.status}","attributes":{${attrs}${common}}}`,
    );
  }
  const header =
    `{"sent_at":"${new Date(root.end).toISOString()}","sdk":${SDK},"trace":{"trace_id":"${trace.traceId}",` +
    `"public_key":"${publicKey}","sample_rate":"${trace.sampleRate}","environment":"production",` +
    `"release":"chat@1.42.0","transaction":${JSON.stringify(root.name)},"sampled":"true"}}`;
  const payload = `{"version":2,"items":[${items.join(',')}]}`;
  return Buffer.from(
    `${header}\n{"type":"span","item_count":${items.length},"content_type":"application/vnd.sentry.items.span.v2+json"}\n${payload}\n`,
  );
}

/** A trace_metric envelope: one `gen_ai.client.token.usage` point per LLM call of the traces. */
export function metricEnvelopeOf(points) {
  const items = points.map(
    (p) =>
      `{"timestamp":${p.time / 1000},"trace_id":"${p.traceId}","span_id":"${p.spanId}",` +
      `"name":"gen_ai.client.token.usage","type":"distribution","value":${p.value},"unit":"token",` +
      `"attributes":{"gen_ai.request.model":${typed(p.model)},"gen_ai.provider.name":${typed(p.provider)},` +
      `"service.name":${typed(p.service)},"sentry.environment":${typed('production')}}}`,
  );
  return Buffer.from(
    `{"sdk":${SDK}}\n{"type":"trace_metric","item_count":${items.length},"content_type":"application/vnd.sentry.items.trace-metric+json"}\n` +
      `{"version":2,"items":[${items.join(',')}]}\n`,
  );
}

/** The token-usage points of a trace (one per LLM call). */
export function metricPointsOf(trace) {
  const points = [];
  for (const s of trace.spans) {
    if (s.op !== 'gen_ai.chat') continue;
    points.push({
      time: s.end,
      traceId: trace.traceId,
      spanId: s.spanId,
      value: s.attributes['gen_ai.usage.input_tokens'] + s.attributes['gen_ai.usage.output_tokens'],
      model: s.attributes['gen_ai.request.model'],
      provider: s.attributes['gen_ai.provider.name'],
      service: trace.service,
    });
  }
  return points;
}

// ------------------------------------------------------------------------------------------------
// OTLP/JSON

const KINDS = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

function anyValue(value) {
  switch (typeof value) {
    case 'string':
      return `{"stringValue":${JSON.stringify(value)}}`;
    case 'number':
      return Number.isInteger(value) ? `{"intValue":"${value}"}` : `{"doubleValue":${value}}`;
    case 'boolean':
      return `{"boolValue":${value}}`;
    default:
      return `{"arrayValue":{"values":[${value.map(anyValue).join(',')}]}}`;
  }
}

function keyValues(attributes) {
  const out = [];
  for (const key in attributes)
    out.push(`{"key":${JSON.stringify(key)},"value":${anyValue(attributes[key])}}`);
  return out.join(',');
}

/** ms (with fractions) → decimal nanoseconds, as the OTLP/JSON encoding writes uint64. */
function nanos(ms) {
  return `${Math.floor(ms)}${String(Math.round((ms % 1) * 1e6)).padStart(6, '0')}`;
}

/** The resource of every export besides `service.name`, and the instrumentation scope. */
const RESOURCE_ATTRIBUTES = {
  'service.version': '1.42.0',
  'deployment.environment.name': 'production',
  'telemetry.sdk.language': 'nodejs',
  'telemetry.sdk.name': 'opentelemetry',
  'telemetry.sdk.version': '2.12.1',
  'host.name': 'ip-10-0-3-17',
  'process.pid': 4242,
};
const SCOPE = { name: '@sieve/agent-instrumentation', version: '0.4.0' };

/**
 * One ExportTraceServiceRequest for traces of one service (the OpenTelemetry JS SDK's JSON
 * exporter: one resource, one scope, hex ids, uint64 as strings).
 */
export function otlpOf(traces, service) {
  const spans = [];
  for (const trace of traces) {
    for (const s of trace.spans) {
      const parent = s.parentId === null ? '' : `"parentSpanId":"${s.parentId}",`;
      const status = s.status === 'error' ? '{"code":2,"message":"upstream failed"}' : '{"code":1}';
      spans.push(
        `{"traceId":"${trace.traceId}","spanId":"${s.spanId}",${parent}"name":${JSON.stringify(s.name)},` +
          `"kind":${KINDS[s.kind]},"startTimeUnixNano":"${nanos(s.start)}","endTimeUnixNano":"${nanos(s.end)}",` +
          `"attributes":[${keyValues(s.attributes)}],"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,` +
          `"status":${status},"links":[],"droppedLinksCount":0,"flags":${s.parentId === null ? 256 : 257}}`,
      );
    }
  }
  const resource = keyValues({ 'service.name': service, ...RESOURCE_ATTRIBUTES });
  return Buffer.from(
    `{"resourceSpans":[{"resource":{"attributes":[${resource}],"droppedAttributesCount":0},` +
      `"scopeSpans":[{"scope":${JSON.stringify(SCOPE)},"spans":[${spans.join(',')}]}]}]}`,
  );
}

/** One resource object per service: the serializer groups spans by resource identity, as the SDK does. */
const resources = new Map();
const hrTime = (ms) => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
/** SpanKind of @opentelemetry/api (INTERNAL 0 … CONSUMER 4). */
const API_KINDS = { internal: 0, server: 1, client: 2, producer: 3, consumer: 4 };

/**
 * The same request as otlpOf in OTLP protobuf, encoded by the OpenTelemetry JS exporter's own
 * serializer (`@opentelemetry/otlp-transformer`) from ReadableSpan-shaped objects.
 */
export function otlpProtoOf(traces, service) {
  let resource = resources.get(service);
  if (!resource) {
    resource = { attributes: { 'service.name': service, ...RESOURCE_ATTRIBUTES } };
    resources.set(service, resource);
  }
  const spans = [];
  for (const trace of traces) {
    for (const s of trace.spans) {
      const context = { traceId: trace.traceId, spanId: s.spanId, traceFlags: 1 };
      spans.push({
        name: s.name,
        kind: API_KINDS[s.kind],
        spanContext: () => context,
        parentSpanContext:
          s.parentId === null
            ? undefined
            : { traceId: trace.traceId, spanId: s.parentId, traceFlags: 1, isRemote: false },
        startTime: hrTime(s.start),
        endTime: hrTime(s.end),
        status: s.status === 'error' ? { code: 2, message: 'upstream failed' } : { code: 1 },
        attributes: s.attributes,
        links: [],
        events: [],
        duration: hrTime(s.end - s.start),
        ended: true,
        resource,
        instrumentationScope: SCOPE,
        droppedAttributesCount: 0,
        droppedEventsCount: 0,
        droppedLinksCount: 0,
      });
    }
  }
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(spans));
}

// ------------------------------------------------------------------------------------------------
// Chunks

export const SPAN_GAP_MS = 10;
export const OTLP_BATCH_SPANS = 512;
export const METRICS_PER_ENVELOPE = 100;

/**
 * The requests of one chunk of about `spans` spans, starting at span number `firstSpan` (trace
 * start times are `SPAN_GAP_MS` apart per span: the data covers total × 10 ms ending about now).
 * Sentry chunks: one envelope per trace plus trace_metric envelopes of 100 points; OTLP chunks:
 * one request per service per ≤ 512 spans of whole traces, gzip-compressed OTLP/JSON (`otlp`) or
 * OTLP protobuf (`otlp-proto`).
 */
export function makeChunk({ seed, format, firstSpan, spans: target, t0, publicKey }) {
  const r = rng(seed);
  const requests = [];
  const traceIds = [];
  let spans = 0;
  let metrics = 0;
  let traces = 0;
  const points = [];
  const pendingByService = new Map();
  const flushService = (service) => {
    const pending = pendingByService.get(service);
    if (!pending || pending.traces.length === 0) return;
    const proto = format === 'otlp-proto';
    requests.push({
      kind: 'otlp',
      contentType: proto ? 'application/x-protobuf' : 'application/json',
      body: gzipSync(proto ? otlpProtoOf(pending.traces, service) : otlpOf(pending.traces, service)),
      spans: pending.spans,
      rows: pending.spans,
    });
    pendingByService.set(service, { traces: [], spans: 0 });
  };
  while (spans < target) {
    const trace = makeTrace(r, t0 + (firstSpan + spans) * SPAN_GAP_MS);
    traces++;
    spans += trace.spans.length;
    if (r.u32() % 64 === 0) traceIds.push(trace.traceId);
    if (format === 'sentry') {
      requests.push({
        kind: 'envelope',
        body: envelopeOf(trace, publicKey),
        spans: trace.spans.length,
        rows: trace.spans.length,
      });
      for (const p of metricPointsOf(trace)) {
        points.push(p);
        if (points.length === METRICS_PER_ENVELOPE) {
          requests.push({ kind: 'envelope', body: metricEnvelopeOf(points), spans: 0, rows: points.length });
          metrics += points.length;
          points.length = 0;
        }
      }
    } else {
      let pending = pendingByService.get(trace.service);
      if (!pending) {
        pending = { traces: [], spans: 0 };
        pendingByService.set(trace.service, pending);
      }
      if (pending.spans + trace.spans.length > OTLP_BATCH_SPANS) flushService(trace.service);
      pending = pendingByService.get(trace.service);
      pending.traces.push(trace);
      pending.spans += trace.spans.length;
    }
  }
  if (points.length > 0) {
    requests.push({ kind: 'envelope', body: metricEnvelopeOf(points), spans: 0, rows: points.length });
    metrics += points.length;
  }
  for (const service of pendingByService.keys()) flushService(service);
  const bytes = requests.reduce((n, q) => n + q.body.length, 0);
  return { format, requests, spans, metrics, traces, traceIds, bytes };
}
