import diagnostics from 'node:diagnostics_channel';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import { type Client, getClient } from '../client.js';
import { shouldPropagateTo, type TraceHeaders } from '../propagation/outgoing.js';
import { currentSpan } from '../trace/context.js';
import { generateSpanId } from '../trace/ids.js';
import type { AnySpan } from '../trace/span.js';
import { createSpan, headersForSpan } from '../trace/tracer.js';
import { statusFromHttpCode } from './http-status.js';

/**
 * An outgoing request under the active span: an `http.client` child span when the trace records, and
 * the trace headers the callee needs (only for URLs in tracePropagationTargets). Each request gets its
 * own parent id, even in a dropped trace, so the callee can tell calls apart (W3C asks for this).
 */
export function outgoingRequest(
  client: Client,
  method: string,
  url: string,
): { span: AnySpan | undefined; headers: TraceHeaders | undefined } {
  const active = currentSpan();
  if (active === undefined) return { span: undefined, headers: undefined };
  let span: AnySpan | undefined;
  if (active.recording) {
    const q = url.indexOf('?');
    const bare = q < 0 ? url : url.slice(0, q);
    span = createSpan({
      name: `${method} ${bare}`,
      op: 'http.client',
      attributes: { 'http.request.method': method, 'url.full': bare, 'sentry.origin': 'auto.http.client' },
    });
    if (q >= 0) span.setAttribute('url.query', url.slice(q + 1));
  }
  if (!shouldPropagateTo(url, client.options.tracePropagationTargets)) return { span, headers: undefined };
  const headers = headersForSpan(active, span?.recording ? span.spanId : generateSpanId());
  return { span, headers };
}

/** Appends our baggage to a caller's baggage value unless the caller already set `sentry-` entries. */
function mergeBaggage(existing: string | undefined, ours: string): string | undefined {
  if (existing === undefined || existing === '') return ours === '' ? undefined : ours;
  if (/(^|,)\s*sentry-/.test(existing)) return existing;
  return ours === '' ? existing : `${existing},${ours}`;
}

function finishSpan(span: AnySpan | undefined, statusCode: number | undefined, error?: unknown): void {
  if (span === undefined || !span.recording) return;
  if (statusCode !== undefined) {
    span.setAttribute('http.response.status_code', statusCode);
    span.setStatus(statusFromHttpCode(statusCode));
  } else if (error !== undefined) {
    span.recordException(error);
  }
  span.end();
}

// ---- node:http and node:https -------------------------------------------------------------------

function onClientRequest(request: ClientRequest): void {
  const client = getClient();
  if (client === undefined || !client.options.httpClient || request.headersSent) return;
  const host = request.getHeader('host') ?? request.host;
  const url = `${request.protocol}//${String(host)}${request.path}`;
  const { span, headers } = outgoingRequest(client, request.method, url);
  if (headers !== undefined && request.getHeader('sentry-trace') === undefined) {
    request.setHeader('sentry-trace', headers['sentry-trace']);
    const baggage = mergeBaggage(request.getHeader('baggage') as string | undefined, headers.baggage);
    if (baggage !== undefined) request.setHeader('baggage', baggage);
    if (headers.traceparent !== undefined && request.getHeader('traceparent') === undefined) {
      request.setHeader('traceparent', headers.traceparent);
      if (headers.tracestate !== undefined) request.setHeader('tracestate', headers.tracestate);
    }
  }
  if (span?.recording) {
    let response: IncomingMessage | undefined;
    request.once('response', (res: IncomingMessage) => {
      response = res;
    });
    request.once('error', (error) => finishSpan(span, undefined, error));
    request.once('close', () => finishSpan(span, response?.statusCode));
  }
}

const WRAPPED = Symbol.for('sieve.wrapped');

type RequestFn = typeof http.request;

/**
 * Node 20 publishes `http.client.request.start` only after the headers went out, so on Node < 22.12
 * (no `http.client.request.created`) the request functions are wrapped instead. `get` is rebuilt on the
 * wrapped `request` because Node's own `get` calls its module-local `request` and then `end()`s at once.
 */
function wrapModule(mod: typeof http | typeof https): void {
  const original = mod.request as RequestFn & { [WRAPPED]?: true };
  if (original[WRAPPED]) return;
  const request = function (this: unknown, ...args: Parameters<RequestFn>): ClientRequest {
    const req = (original as (...a: unknown[]) => ClientRequest).apply(this, args);
    try {
      onClientRequest(req);
    } catch (error) {
      getClient()?.debugWarn(`http.client instrumentation failed: ${String(error)}`);
    }
    return req;
  } as RequestFn & { [WRAPPED]?: true };
  request[WRAPPED] = true;
  const get = function (this: unknown, ...args: Parameters<RequestFn>): ClientRequest {
    const req = request.apply(this, args);
    req.end();
    return req;
  } as typeof http.get;
  mod.request = request;
  mod.get = get;
}

function hasCreatedChannel(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 2) || (major === 22 && minor >= 12);
}

// ---- global fetch (undici) ----------------------------------------------------------------------

interface UndiciRequest {
  origin: string;
  path: string;
  method: string;
  headers: string[] | string;
  addHeader(name: string, value: string): unknown;
}

const undiciSpans = new WeakMap<object, AnySpan>();

function undiciHeader(request: UndiciRequest, name: string): string | undefined {
  const headers = request.headers;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
    }
    return undefined;
  }
  if (typeof headers === 'string') {
    const match = new RegExp(`(?:^|\\r\\n)${name}:\\s*([^\\r\\n]*)`, 'i').exec(headers);
    return match?.[1];
  }
  return undefined;
}

function onUndiciCreate(message: unknown): void {
  const client = getClient();
  if (client === undefined || !client.options.fetch) return;
  const request = (message as { request: UndiciRequest }).request;
  try {
    const url = `${request.origin}${request.path}`;
    const { span, headers } = outgoingRequest(client, request.method, url);
    if (headers !== undefined && undiciHeader(request, 'sentry-trace') === undefined) {
      request.addHeader('sentry-trace', headers['sentry-trace']);
      const existing = undiciHeader(request, 'baggage');
      if (existing === undefined) {
        if (headers.baggage !== '') request.addHeader('baggage', headers.baggage);
      } else {
        const merged = mergeBaggage(existing, headers.baggage);
        // undici has no setHeader: append only when the merge added something.
        if (merged !== undefined && merged !== existing)
          request.addHeader('baggage', merged.slice(existing.length + 1));
      }
      if (headers.traceparent !== undefined && undiciHeader(request, 'traceparent') === undefined) {
        request.addHeader('traceparent', headers.traceparent);
        if (headers.tracestate !== undefined) request.addHeader('tracestate', headers.tracestate);
      }
    }
    if (span?.recording) undiciSpans.set(request, span);
  } catch (error) {
    client.debugWarn(`fetch instrumentation failed: ${String(error)}`);
  }
}

function onUndiciHeaders(message: unknown): void {
  const { request, response } = message as { request: object; response: { statusCode: number } };
  const span = undiciSpans.get(request);
  if (span === undefined || !span.recording) return;
  span.setAttribute('http.response.status_code', response.statusCode);
  span.setStatus(statusFromHttpCode(response.statusCode));
}

function onUndiciDone(message: unknown): void {
  const { request, error } = message as { request: object; error?: unknown };
  const span = undiciSpans.get(request);
  if (span === undefined) return;
  undiciSpans.delete(request);
  if (error !== undefined && span.recording) span.recordException(error);
  span.end();
}

let httpInstalled = false;
let fetchInstalled = false;

export function instrumentHttpClient(): void {
  if (httpInstalled) return;
  httpInstalled = true;
  if (hasCreatedChannel()) {
    diagnostics.subscribe('http.client.request.created', (message) => {
      try {
        onClientRequest((message as { request: ClientRequest }).request);
      } catch (error) {
        getClient()?.debugWarn(`http.client instrumentation failed: ${String(error)}`);
      }
    });
  } else {
    wrapModule(http);
    wrapModule(https);
    syncBuiltinESMExports();
  }
}

export function instrumentFetch(): void {
  if (fetchInstalled) return;
  fetchInstalled = true;
  diagnostics.subscribe('undici:request:create', onUndiciCreate);
  diagnostics.subscribe('undici:request:headers', onUndiciHeaders);
  diagnostics.subscribe('undici:request:trailers', onUndiciDone);
  diagnostics.subscribe('undici:request:error', onUndiciDone);
}
