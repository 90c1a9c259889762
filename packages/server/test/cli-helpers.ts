/** Running the real `sieve` command as a child process (CLI, restart and kill -9 tests). */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

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

/** A Sentry envelope with one span v2 item of `spans` spans (the first one the segment). */
export function envelopeFor(traceId: string, spans: number): string {
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

/** Runs `sieve <args>` to its exit. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/**
 * Sends 20-span traces from 4 concurrent senders until `minAcknowledged` were answered 200, runs
 * `beforeKill`, then kills the server with SIGKILL mid-traffic. Returns the acknowledged trace ids.
 */
export async function sendThenKill9(
  server: Started,
  publicKey: string,
  options: { minAcknowledged: number; idSuffix: string; beforeKill?: () => Promise<void> },
): Promise<string[]> {
  const acknowledged: string[] = [];
  let stop = false;
  const senders = Array.from({ length: 4 }, async (_, worker) => {
    for (let n = 0; !stop && n < 400; n++) {
      const traceId = `${worker.toString(16)}${n.toString(16).padStart(7, '0')}`.padEnd(32, options.idSuffix);
      try {
        const response = await fetch(`${server.url}/api/1/envelope/?sentry_key=${publicKey}`, {
          method: 'POST',
          body: envelopeFor(traceId, 20),
        });
        if (response.status === 200) acknowledged.push(traceId);
      } catch {
        return; // the server is gone
      }
    }
  });
  while (acknowledged.length < options.minAcknowledged) await new Promise((r) => setTimeout(r, 5));
  const exited = once(server.child, 'exit');
  try {
    await options.beforeKill?.();
  } finally {
    // Killed even when a check before the kill fails, so a failing test never leaves a server behind.
    server.child.kill('SIGKILL');
    stop = true;
    await Promise.all(senders);
    await exited;
  }
  return acknowledged;
}

/** The traces (of `sendThenKill9`) that are not stored with all 20 spans. */
export async function incompleteTraces(url: string, traceIds: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const traceId of traceIds) {
    const response = await fetch(`${url}/api/v1/traces/${traceId}`);
    const body = (await response.json()) as { spans?: unknown[] };
    if (response.status !== 200 || body.spans?.length !== 20) missing.push(traceId);
  }
  return missing;
}

/** SIGTERM, and wait for the exit. */
export async function stopCli(server: Started): Promise<void> {
  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  await exited;
}
