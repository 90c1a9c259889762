import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServeConfig } from '../config.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What `/` shows when the web UI is not built: how to connect, and where the API is. */
export function homePage(config: ServeConfig, hostHeader: string | undefined): string {
  const host = hostHeader ?? `${config.host}:${config.port}`;
  const dsn = escapeHtml(`http://${config.publicKey}@${host}/1`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sieve</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem}code,pre{background:#f3f3f3;padding:.1rem .3rem}pre{padding:.8rem;overflow:auto}</style>
</head><body>
<h1>Sieve</h1>
<p>The server is running. The web UI is not built (<code>npm run build</code> builds it). Point any Sentry SDK at this DSN:</p>
<pre>${dsn}</pre>
<p>OpenTelemetry exporters: <code>OTEL_EXPORTER_OTLP_ENDPOINT=http://${escapeHtml(host)}</code> with
<code>OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer ${escapeHtml(config.publicKey)}</code>.</p>
<p>Query API: <a href="/api/v1/traces">/api/v1/traces</a>, <a href="/api/v1/logs">/api/v1/logs</a>,
<a href="/api/v1/sampling">/api/v1/sampling</a>, <a href="/api/v1/errors">/api/v1/errors</a>,
<code>/api/v1/traces/:traceId</code>, <code>/api/v1/metrics?name=…</code>.</p>
</body></html>`;
}

/** Where `npm run build -w @sieve/ui` puts the web UI (the same relative path from src/ and dist/). */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../../ui/dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * A file of the built UI by its path relative to the UI directory (already URL-decoded), or undefined when
 * there is no such file, the type is not one the UI ships, or the path tries to leave the directory
 * (`..`, absolute paths, backslashes, hidden files).
 */
export async function readUiFile(
  uiDir: string,
  relativePath: string,
): Promise<{ body: Buffer; contentType: string } | undefined> {
  if (relativePath.includes('\0') || relativePath.includes('\\')) return undefined;
  const segments = relativePath.split('/');
  if (segments.some((s) => s === '' || s.startsWith('.'))) return undefined;
  const root = resolve(uiDir);
  const full = resolve(root, ...segments);
  if (!full.startsWith(root + sep)) return undefined;
  const contentType = CONTENT_TYPES[extname(full).toLowerCase()];
  if (contentType === undefined) return undefined;
  try {
    return { body: await readFile(full), contentType };
  } catch {
    return undefined;
  }
}
