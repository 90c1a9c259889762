import type { Dsn } from '../dsn.js';
import type { Envelope } from './envelope.js';

/** What a transport learned from the server; rate-limit headers feed the SDK's backoff. */
export interface TransportResponse {
  statusCode?: number;
  headers?: { 'x-sentry-rate-limits'?: string | null; 'retry-after'?: string | null };
}

/** Sends envelopes. The shape of Sentry's transports, so a custom one written for Sentry fits. */
export interface Transport {
  send(envelope: Envelope): PromiseLike<TransportResponse>;
  /** Resolves true when nothing is in flight any more, false when the timeout passed first. */
  flush(timeoutMs?: number): PromiseLike<boolean>;
}

export interface TransportOptions {
  /** The DSN's envelope endpoint, with Sentry's auth in the query string. */
  url: string;
  dsn: Dsn | undefined;
  /** Extra request headers. */
  headers: Record<string, string>;
}

export type TransportFactory = (options: TransportOptions) => Transport;
