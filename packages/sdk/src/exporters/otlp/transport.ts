import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { createContextKey, context as otelContext, ROOT_CONTEXT } from '@opentelemetry/api';
import { runWithSpan } from '../../trace/context.js';

const gzip = promisify(gzipCallback);

/**
 * @opentelemetry/core's suppress-tracing key (createContextKey is Symbol.for, so any copy agrees).
 * OpenTelemetry instrumentations, and Sieve's bridge, record nothing under it.
 */
const SUPPRESSED = ROOT_CONTEXT.setValue(
  createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING'),
  true,
);

/** Enough of a response body to read a partial success; anything longer is not an OTLP response. */
const MAX_RESPONSE_BYTES = 64 * 1024;
/** A Retry-After longer than this is treated as this: a dead-slow server must not hold a batch forever. */
const MAX_RETRY_AFTER_MS = 5 * 60 * 1000;

export type SendOutcome =
  | { kind: 'ok'; body: string }
  | { kind: 'retryable'; status: number | undefined; retryAfterMs: number | undefined; error?: string }
  | { kind: 'failed'; status: number; body: string };

export interface HttpSender {
  send(url: URL, body: Buffer, timeoutMs: number): Promise<SendOutcome>;
  /** Aborts requests in flight and closes kept-alive connections. */
  destroy(): void;
}

/** Retry-After: delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const header = Array.isArray(value) ? value[0] : value;
  if (header === undefined || header.trim() === '') return undefined;
  let ms: number;
  if (/^\s*\d+(\.\d+)?\s*$/.test(header)) {
    ms = Number(header) * 1000;
  } else {
    const date = Date.parse(header);
    if (Number.isNaN(date)) return undefined;
    ms = Math.max(0, date - now);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

export async function encodeBody(json: string, compression: 'gzip' | 'none'): Promise<Buffer> {
  const raw = Buffer.from(json, 'utf8');
  return compression === 'gzip' ? gzip(raw) : raw;
}

/**
 * POSTs OTLP/JSON over node:http(s) with keep-alive connections. Every request runs outside any trace
 * and with OpenTelemetry tracing suppressed: the SDK's own http.client instrumentation, or an
 * OpenTelemetry http instrumentation, would otherwise record a span for each export (which is exported,
 * which makes a request, …) and put trace headers on it.
 */
export function createHttpSender(
  headers: Readonly<Record<string, string>>,
  compression: 'gzip' | 'none',
): HttpSender {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 4 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 4 }),
  };
  const inFlight = new Set<http.ClientRequest>();
  const baseHeaders: Record<string, string> = {
    ...headers,
    'content-type': 'application/json',
  };
  if (compression === 'gzip') baseHeaders['content-encoding'] = 'gzip';

  function sendOnce(url: URL, body: Buffer, timeoutMs: number): Promise<SendOutcome> {
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let req: http.ClientRequest | undefined;
      const finish = (outcome: SendOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (req !== undefined) inFlight.delete(req);
        resolve(outcome);
      };
      const retry = (error: Error): void =>
        finish({ kind: 'retryable', status: undefined, retryAfterMs: undefined, error: error.message });
      const isHttps = url.protocol === 'https:';
      try {
        req = (isHttps ? https.request : http.request)(url, {
          method: 'POST',
          agent: isHttps ? agents['https:'] : agents['http:'],
          headers: { ...baseHeaders, 'content-length': String(body.length) },
        });
      } catch (error) {
        // Only a malformed request throws here; sending it again cannot help.
        finish({ kind: 'failed', status: 0, body: String(error) });
        return;
      }
      const r = req;
      inFlight.add(r);
      // A whole-request deadline: socket idle timeouts would let a trickling server hold a batch forever.
      timer = setTimeout(() => {
        const error = new Error(`timed out after ${timeoutMs} ms`);
        r.destroy(error);
        retry(error);
      }, timeoutMs);
      timer.unref();
      // An export in flight must not keep the process alive; flush() and close() are how to wait for it.
      r.on('socket', (socket) => socket.unref());
      r.on('error', retry);
      r.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('error', retry);
        res.on('end', () => {
          const text = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
          if (status >= 200 && status < 300) finish({ kind: 'ok', body: text });
          else if (isRetryableStatus(status))
            finish({ kind: 'retryable', status, retryAfterMs: parseRetryAfter(res.headers['retry-after']) });
          else finish({ kind: 'failed', status, body: text });
        });
      });
      r.end(body);
    });
  }

  return {
    send(url, body, timeoutMs) {
      return runWithSpan(undefined, () =>
        otelContext.with(SUPPRESSED, sendOnce, undefined, url, body, timeoutMs),
      );
    },
    destroy() {
      for (const req of inFlight) req.destroy(new Error('exporter shut down'));
      inFlight.clear();
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
