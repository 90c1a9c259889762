/** Running the real `sieve` command as a child process (CLI, restart and kill -9 tests). */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
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
