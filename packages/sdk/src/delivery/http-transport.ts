import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { type Envelope, serializeEnvelope } from './envelope.js';
import type { Transport, TransportOptions, TransportResponse } from './transport.js';

const gzip = promisify(zlib.gzip);

export interface HttpTransportOptions extends TransportOptions {
  /** Per attempt; a slow endpoint never holds a request longer. Default 10 s. */
  timeoutMs?: number;
  /** Extra attempts after a network error or a 5xx. Default 3. */
  maxRetries?: number;
  /** First backoff; doubles per attempt with jitter. Default 500 ms. */
  backoffMs?: number;
  /** Bodies above this many bytes are gzipped. Default 1024. */
  gzipAbove?: number;
}

/** A failure after every retry: what the delivery layer counts as `network_error`. */
export class NetworkError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

function retryable(statusCode: number): boolean {
  return statusCode >= 500 && statusCode !== 501;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Envelopes over HTTP(S) with node:http: keep-alive sockets, gzip, a timeout per attempt, and retries
 * with exponential backoff on network errors and 5xx. A 429 is returned, not retried: the delivery
 * layer turns it into a per-category backoff.
 */
export function makeHttpTransport(options: HttpTransportOptions): Transport {
  const url = new URL(options.url);
  const isHttps = url.protocol === 'https:';
  const agent = isHttps
    ? new https.Agent({ keepAlive: true, maxSockets: 8 })
    : new http.Agent({ keepAlive: true, maxSockets: 8 });
  const request = isHttps ? https.request : http.request;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetries = options.maxRetries ?? 3;
  const backoffMs = options.backoffMs ?? 500;
  const gzipAbove = options.gzipAbove ?? 1024;
  const inFlight = new Set<Promise<unknown>>();

  function post(body: Buffer, headers: Record<string, string>): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', agent, headers, timeout: timeoutMs }, (res) => {
        res.resume(); // the body is not needed; reading it frees the socket for reuse
        res.once('end', () =>
          resolve({
            statusCode: res.statusCode,
            headers: {
              'x-sentry-rate-limits': (res.headers['x-sentry-rate-limits'] as string | undefined) ?? null,
              'retry-after': (res.headers['retry-after'] as string | undefined) ?? null,
            },
          }),
        );
        res.once('error', reject);
      });
      req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.once('error', reject);
      req.end(body);
    });
  }

  async function send(envelope: Envelope): Promise<TransportResponse> {
    let body = serializeEnvelope(envelope);
    const headers: Record<string, string> = {
      ...options.headers,
      'content-type': 'application/x-sentry-envelope',
    };
    if (body.length > gzipAbove) {
      body = await gzip(body);
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(body.length);
    let lastError: unknown;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      if (attempt > 0) await sleep(backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
      try {
        const response = await post(body, headers);
        if (!retryable(response.statusCode ?? 0) || attempt === maxRetries) return response;
        lastError = new Error(`HTTP ${response.statusCode}`);
      } catch (error) {
        lastError = error;
      }
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new NetworkError(`could not deliver to ${url.host}: ${reason}`, maxRetries + 1, {
      cause: lastError,
    });
  }

  return {
    send(envelope) {
      const promise = send(envelope);
      inFlight.add(promise);
      const forget = () => inFlight.delete(promise);
      promise.then(forget, forget);
      return promise;
    },
    async flush(timeout = 2000) {
      if (inFlight.size === 0) return true;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeout);
        timer.unref();
      });
      const done = Promise.allSettled([...inFlight]).then(() => true);
      const result = await Promise.race([done, timedOut]);
      clearTimeout(timer);
      return result;
    },
  };
}
