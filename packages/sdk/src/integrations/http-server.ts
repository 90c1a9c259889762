import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { getClient } from '../client.js';
import { enterSpan } from '../trace/context.js';
import { createSpan, remoteParentFor } from '../trace/tracer.js';
import type { Attributes, SamplingRequest } from '../types.js';
import { statusFromHttpCode } from './http-status.js';

interface RequestStartMessage {
  request: IncomingMessage;
  response: ServerResponse;
}

/**
 * Every incoming node:http(s) request gets a root span named `METHOD /path` (op `http.server`) that
 * continues the caller's trace. Node publishes `http.server.request.start` synchronously just before it
 * emits 'request', so entering the span here makes it active in the handler and in everything the
 * handler schedules, without patching http.Server.
 */
function onRequestStart(message: unknown): void {
  const client = getClient();
  if (client === undefined || !client.options.httpServer) return;
  const { request, response } = message as RequestStartMessage;
  try {
    const method = request.method ?? 'GET';
    const target = request.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const host = request.headers.host ?? 'localhost';
    const scheme = (request.socket as TLSSocket).encrypted === true ? 'https' : 'http';
    const url = `${scheme}://${host}${target}`;
    const attributes: Attributes = {
      'http.request.method': method,
      'url.path': path,
      'url.scheme': scheme,
      'server.address': host,
      'sentry.origin': 'auto.http.server',
      'sentry.source': 'url',
    };
    if (q >= 0) attributes['url.query'] = target.slice(q + 1);
    const userAgent = request.headers['user-agent'];
    if (userAgent !== undefined) attributes['user_agent.original'] = userAgent;
    const samplingRequest: SamplingRequest = { method, url, path, headers: request.headers };
    const span = createSpan(
      {
        name: `${method} ${path}`,
        op: 'http.server',
        attributes,
        parentSpan: remoteParentFor(request.headers, client),
        samplingContext: { request: samplingRequest },
      },
      { nameIsUrl: true },
    );
    enterSpan(span);
    if (!span.recording) {
      if (span.isRoot) response.once('close', () => span.end());
      return;
    }
    response.once('close', () => {
      if (response.writableFinished) {
        span.setAttribute('http.response.status_code', response.statusCode);
        span.setStatus(statusFromHttpCode(response.statusCode));
      } else {
        // The client went away before the response was complete.
        span.setStatus({ code: 2, message: 'cancelled' });
      }
      span.end();
    });
  } catch (error) {
    client.debugWarn(`http.server instrumentation failed: ${String(error)}`);
  }
}

let installed = false;

export function instrumentHttpServer(): void {
  if (installed) return;
  installed = true;
  diagnostics.subscribe('http.server.request.start', onRequestStart);
}
