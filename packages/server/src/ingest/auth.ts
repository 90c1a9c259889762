/**
 * Finds the public key (the DSN's user part) a client authenticated with. It only extracts: whether
 * the key is known, and for which project, is the caller's decision (401 / 403).
 *
 * Sources, first match wins:
 * 1. `X-Sentry-Auth: Sentry sentry_key=<key>, sentry_version=7, …` (Python, Java, and most SDKs),
 * 2. `Authorization: Sentry sentry_key=<key>, …`, or `Authorization: Bearer <key>` (OTLP exporters,
 *    `OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer <key>`); other schemes (Basic, …) are ignored, as
 *    a proxy in front may use them,
 * 3. query `?sentry_key=<key>` (the JavaScript SDKs),
 * 4. the envelope header's `dsn` (`http://<key>@host/1`).
 * A source that is present but malformed is an error (400) rather than skipped, so a client with a
 * broken header learns why, instead of getting a confusing 401.
 */
import { IngestError } from './errors.js';

export type HeaderValue = string | readonly string[] | undefined;

export interface AuthSources {
  /** The query string (with or without `?`), parsed params, or a plain object of params. */
  query?: string | URLSearchParams | Readonly<Record<string, unknown>>;
  /** Request headers; names match case-insensitively. */
  headers?: Readonly<Record<string, HeaderValue>>;
  /** The parsed envelope header, for its `dsn`. */
  envelopeHeader?: { readonly dsn?: unknown };
}

export type AuthSource = 'x-sentry-auth' | 'authorization' | 'bearer' | 'query' | 'dsn';

export interface AuthResult {
  publicKey?: string;
  /** Where the key came from. */
  source?: AuthSource;
}

/** Keys are 32 hex digits in Sentry; Sieve accepts any token of URL-safe characters. */
const KEY = /^[A-Za-z0-9._~-]{1,256}$/;

function checkKey(key: string, where: string): string {
  if (key === '') throw new IngestError(400, `${where}: sentry_key is empty`);
  if (!KEY.test(key)) {
    throw new IngestError(
      400,
      `${where}: the key ${JSON.stringify(key.slice(0, 64))} has characters a DSN key cannot have`,
    );
  }
  return key;
}

function header(headers: AuthSources['headers'], name: string): string | undefined {
  if (headers === undefined) return undefined;
  let value = headers[name];
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        value = headers[key];
        break;
      }
    }
  }
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value[0];
}

/** Parses `[Sentry ]k=v, k=v` (Sentry's auth header) into its pairs. */
export function parseSentryAuth(value: string, where: string): Record<string, string> {
  const body = value.trim().replace(/^sentry\s+/i, '');
  const pairs: Record<string, string> = {};
  for (const part of body.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0)
      throw new IngestError(
        400,
        `${where}: expected key=value pairs, got ${JSON.stringify(item.slice(0, 64))}`,
      );
    pairs[item.slice(0, eq).trim()] = item
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  return pairs;
}

function fromSentryHeader(value: string, where: string): string {
  const pairs = parseSentryAuth(value, where);
  const key = pairs.sentry_key;
  if (key === undefined)
    throw new IngestError(400, `${where}: no sentry_key in ${JSON.stringify(value.slice(0, 120))}`);
  return checkKey(key, where);
}

function queryKey(query: AuthSources['query']): string | undefined {
  if (query === undefined) return undefined;
  if (typeof query === 'string')
    return new URLSearchParams(query.startsWith('?') ? query.slice(1) : query).get('sentry_key') ?? undefined;
  if (query instanceof URLSearchParams) return query.get('sentry_key') ?? undefined;
  const value = query.sentry_key;
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : '';
  return typeof value === 'string' ? value : '';
}

/** The public key of a DSN (`{proto}://{key}@{host}/…`); throws 400 when it is not one. */
export function publicKeyFromDsn(dsn: unknown, where = 'envelope header dsn'): string {
  if (typeof dsn !== 'string') throw new IngestError(400, `${where} must be a string`);
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw new IngestError(400, `${where} is not a URL: ${JSON.stringify(dsn.slice(0, 120))}`);
  }
  if (url.username === '')
    throw new IngestError(400, `${where} has no public key (expected proto://<key>@host/<project>)`);
  return checkKey(decodeURIComponent(url.username), where);
}

export function extractPublicKey(sources: AuthSources): AuthResult {
  const sentryAuth = header(sources.headers, 'x-sentry-auth');
  if (sentryAuth !== undefined) {
    return { publicKey: fromSentryHeader(sentryAuth, 'X-Sentry-Auth header'), source: 'x-sentry-auth' };
  }
  const authorization = header(sources.headers, 'authorization');
  if (authorization !== undefined) {
    const match = /^\s*(\S+)(?:\s+(.*))?$/s.exec(authorization);
    const scheme = match?.[1]?.toLowerCase();
    if (scheme === 'sentry') {
      return { publicKey: fromSentryHeader(authorization, 'Authorization header'), source: 'authorization' };
    }
    if (scheme === 'bearer') {
      const token = (match?.[2] ?? '').trim();
      if (token === '') throw new IngestError(400, 'Authorization header: Bearer without a token');
      return { publicKey: checkKey(token, 'Authorization header'), source: 'bearer' };
    }
  }
  const fromQuery = queryKey(sources.query);
  if (fromQuery !== undefined)
    return { publicKey: checkKey(fromQuery, 'query parameter sentry_key'), source: 'query' };
  const dsn = sources.envelopeHeader?.dsn;
  if (dsn !== undefined && dsn !== null) return { publicKey: publicKeyFromDsn(dsn), source: 'dsn' };
  return {};
}
