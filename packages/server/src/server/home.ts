import type { ServeConfig } from '../config.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What `/` shows until the web UI is served there: how to connect, and where the API is. */
export function homePage(config: ServeConfig, hostHeader: string | undefined): string {
  const host = hostHeader ?? `${config.host}:${config.port}`;
  const dsn = escapeHtml(`http://${config.publicKey}@${host}/1`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sieve</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem}code,pre{background:#f3f3f3;padding:.1rem .3rem}pre{padding:.8rem;overflow:auto}</style>
</head><body>
<h1>Sieve</h1>
<p>The server is running. Point any Sentry SDK at this DSN:</p>
<pre>${dsn}</pre>
<p>OpenTelemetry exporters: <code>OTEL_EXPORTER_OTLP_ENDPOINT=http://${escapeHtml(host)}</code> with
<code>OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer ${escapeHtml(config.publicKey)}</code>.</p>
<p>Query API: <a href="/api/v1/traces">/api/v1/traces</a>, <a href="/api/v1/logs">/api/v1/logs</a>,
<a href="/api/v1/sampling">/api/v1/sampling</a>, <a href="/api/v1/errors">/api/v1/errors</a>,
<code>/api/v1/traces/:traceId</code>, <code>/api/v1/metrics?name=…</code>.</p>
</body></html>`;
}
