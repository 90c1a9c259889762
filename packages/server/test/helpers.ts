import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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
    // One parse thread, as `sieve serve` has on 2 cores; server-protection.test.ts also runs with 0.
    ingestThreads: 1,
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
