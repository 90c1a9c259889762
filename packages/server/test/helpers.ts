import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type RunningServer, startServer } from '../src/cli.js';
import type { ServeConfig } from '../src/config.js';

export const PUBLIC_KEY = 'testkey0123456789';

export async function tempDir(prefix = 'sieve-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A real server on a loopback port with a fresh data directory. */
export async function startTestServer(overrides: Partial<ServeConfig> = {}): Promise<RunningServer> {
  const dataDir = await tempDir();
  return startServer({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    storage: 'duckdb',
    clickhouseUrl: undefined,
    publicKey: PUBLIC_KEY,
    retentionDays: 0,
    maxBodyBytes: 20 * 1024 * 1024,
    maxDecompressedBytes: 80 * 1024 * 1024,
    ...overrides,
  });
}

export async function getJson<T = any>(
  server: Pick<RunningServer, 'url'>,
  path: string,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${server.url}${path}`);
  return { status: response.status, body: (await response.json()) as T };
}

/** Polls until `check` passes (ingest is acknowledged after commit, but SDKs send asynchronously). */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for the data to be queryable');
    await sleep(50);
  }
}

/** Runs a program to completion, failing with its output when it exits non-zero. */
export function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

/** The `sieve` bin (runs the built dist/). */
export const bin = fileURLToPath(new URL('../bin/sieve.js', import.meta.url));

export interface Started {
  child: ChildProcess;
  url: string;
  dsn: string;
  output: () => string;
}

/** `sieve serve --port 0 …` as a child process, once it has printed its DSN. */
export async function startCli(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], {
    env: { ...process.env, SIEVE_PORT: '' },
  });
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const deadline = Date.now() + 20_000;
  while (!/DSN: \S+/.test(output)) {
    if (child.exitCode !== null) throw new Error(`sieve exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`sieve did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    child,
    url: /UI: (\S+?)\/?\n/.exec(output)![1]!,
    dsn: /DSN: (\S+)/.exec(output)![1]!,
    output: () => output,
  };
}

function envelopeFor(traceId: string, spans: number): string {
  const now = Date.now() / 1000;
  const items = Array.from({ length: spans }, (_, i) => ({
    trace_id: traceId,
    span_id: (i + 1).toString(16).padStart(16, '0'),
    parent_span_id: i === 0 ? undefined : '0000000000000001',
    name: `span ${i}`,
    start_timestamp: now,
    end_timestamp: now + 0.001,
    is_segment: i === 0,
    status: 'ok',
    attributes: { i: { value: i, type: 'integer' } },
  }));
  return `{}\n{"type":"span","item_count":${spans}}\n${JSON.stringify({ version: 2, items })}\n`;
}

/**
 * Sends 20-span traces from 4 concurrent senders to `sieve serve <args>` (args must include
 * `--public-key PUBLIC_KEY`), kills it with SIGKILL after 150 acknowledgements, restarts it with the
 * same args and checks that every acknowledged trace is there whole.
 */
export async function acknowledgedSurviveKill9(args: string[]): Promise<void> {
  const server = await startCli(args);
  const acknowledged: string[] = [];
  let stop = false;
  const senders = Array.from({ length: 4 }, async (_, worker) => {
    for (let n = 0; !stop && n < 400; n++) {
      const traceId = `${worker.toString(16)}${n.toString(16).padStart(7, '0')}`.padEnd(32, 'a');
      try {
        const response = await fetch(`${server.url}/api/1/envelope/?sentry_key=${PUBLIC_KEY}`, {
          method: 'POST',
          body: envelopeFor(traceId, 20),
        });
        if (response.status === 200) acknowledged.push(traceId);
      } catch {
        return; // the server is gone
      }
    }
  });
  while (acknowledged.length < 150) await new Promise((r) => setTimeout(r, 5));
  const exited = once(server.child, 'exit');
  server.child.kill('SIGKILL');
  stop = true;
  await Promise.all(senders);
  await exited;

  const restarted = await startCli(args);
  try {
    const missing: string[] = [];
    for (const traceId of acknowledged) {
      const response = await fetch(`${restarted.url}/api/v1/traces/${traceId}`);
      const body = (await response.json()) as { spans?: unknown[] };
      if (response.status !== 200 || body.spans?.length !== 20) missing.push(traceId);
    }
    assert.deepEqual(
      missing,
      [],
      `${missing.length} of ${acknowledged.length} acknowledged traces incomplete after kill -9`,
    );
  } finally {
    const restartedExit = once(restarted.child, 'exit');
    restarted.child.kill('SIGTERM');
    await restartedExit;
  }
}
