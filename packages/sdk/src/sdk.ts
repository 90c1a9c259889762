import { type Client, createClient, getClient, setClient } from './client.js';
import { instrumentFetch, instrumentHttpClient } from './integrations/http-client.js';
import { instrumentHttpServer } from './integrations/http-server.js';
import type { SieveOptions } from './options.js';

/**
 * Configures the SDK. Call once, as early as possible. Tracing is enabled when `tracesSampleRate` (0
 * included) or `tracesSampler` is set. Invalid options are reported once on the console and replaced by
 * safe defaults; init never throws.
 */
export function init(options?: SieveOptions): Client {
  const client = createClient(options);
  const previous = getClient();
  setClient(client);
  if (previous !== undefined) void previous.close(0);
  try {
    if (client.options.httpServer) instrumentHttpServer();
    if (client.options.httpClient) instrumentHttpClient();
    if (client.options.fetch) instrumentFetch();
  } catch (error) {
    console.warn(`[sieve] could not instrument node:http/fetch: ${String(error)}`);
  }
  return client;
}

/** Waits until every span processor has delivered what it holds; resolves false on timeout. */
export async function flush(timeoutMs?: number): Promise<boolean> {
  return (await getClient()?.flush(timeoutMs)) ?? true;
}

/** Flushes, shuts the span processors down and disables the SDK. Resolves false on timeout. */
export async function close(timeoutMs?: number): Promise<boolean> {
  const client = getClient();
  if (client === undefined) return true;
  setClient(undefined);
  return client.close(timeoutMs);
}
