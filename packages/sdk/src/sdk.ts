import { instrumentInstalledClients } from './ai/instrument.js';
import { installProcessHooks } from './api/process-hooks.js';
import { type Client, createClient, getClient, setClient, warn } from './client.js';
import { Delivery } from './delivery/delivery.js';
import { EnvelopeExporter } from './delivery/envelope-exporter.js';
import { makeHttpTransport } from './delivery/http-transport.js';
import type { Transport } from './delivery/transport.js';
import { envelopeEndpoint } from './dsn.js';
import { instrumentFetch, instrumentHttpClient } from './integrations/http-client.js';
import { instrumentHttpServer } from './integrations/http-server.js';
import type { SieveOptions } from './options.js';
import { installOpenTelemetryBridge } from './otel/install.js';
import { SDK_NAME, SDK_VERSION } from './version.js';

/** Wires the envelope exporter when there is somewhere to send: a DSN or a custom transport. */
function setUpDelivery(client: Client): void {
  const { dsn, transport: factory } = client.options;
  if (dsn === undefined && factory === undefined) return;
  const client_ = `${SDK_NAME}/${SDK_VERSION}`;
  const url =
    dsn === undefined
      ? ''
      : `${envelopeEndpoint(dsn)}?sentry_version=7&sentry_key=${encodeURIComponent(dsn.publicKey)}&sentry_client=${encodeURIComponent(client_)}`;
  const transportOptions = { url, dsn, headers: { 'user-agent': client_ } };
  let transport: Transport;
  try {
    transport = factory !== undefined ? factory(transportOptions) : makeHttpTransport(transportOptions);
  } catch (error) {
    warn(`the transport could not be created (${String(error)}); nothing will be sent`);
    return;
  }
  const delivery = new Delivery(transport, client, { maxQueued: client.options.maxPendingEnvelopes });
  const exporter = new EnvelopeExporter(delivery, client, {
    environment: client.options.environment,
    release: client.options.release,
    sendClientReports: client.options.sendClientReports,
    takeDiscardedEvents: () => client.takeDiscardedEvents(),
  });
  client.addProcessor(exporter);
  client.setEventSink(exporter);
}

/**
 * Configures the SDK. Call once, as early as possible. Tracing is enabled when `tracesSampleRate` (0
 * included) or `tracesSampler` is set. Invalid options are reported once on the console and replaced by
 * safe defaults; init never throws.
 */
export function init(options?: SieveOptions): Client {
  const client = createClient(options);
  const previous = getClient();
  setUpDelivery(client);
  setClient(client);
  if (previous !== undefined) void previous.close(0);
  try {
    if (client.options.httpServer) instrumentHttpServer();
    if (client.options.httpClient) instrumentHttpClient();
    if (client.options.fetch) instrumentFetch();
    if (client.options.captureUncaught || client.options.flushOnExit) installProcessHooks();
    // Libraries instrumented with @opentelemetry/api (the Vercel AI SDK, for one) then make Sieve spans.
    if (client.options.openTelemetry) installOpenTelemetryBridge();
    if (client.options.instrumentAiClients) void instrumentInstalledClients();
  } catch (error) {
    warn(`could not install instrumentation: ${String(error)}`);
  }
  return client;
}

/** Waits until everything buffered has been delivered; resolves false on timeout. */
export async function flush(timeoutMs?: number): Promise<boolean> {
  return (await getClient()?.flush(timeoutMs)) ?? true;
}

/** Flushes, shuts the processors down and disables the SDK. Resolves false on timeout. */
export async function close(timeoutMs?: number): Promise<boolean> {
  const client = getClient();
  if (client === undefined) return true;
  setClient(undefined);
  return client.close(timeoutMs);
}
