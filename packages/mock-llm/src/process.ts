// The mock in a child process of its own. An app traced in-process would trace the mock's HTTP server
// too (its requests would show up as spans of the app's traces); a real provider is another machine.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Billed } from './ledger.js';
import type { MockLlmOptions } from './server.js';

export interface MockLlmProcess {
  url: string;
  openaiBaseURL: string;
  anthropicBaseURL: string;
  pid: number;
  /** The child's ledger, over HTTP. */
  billed(): Promise<Billed>;
  reset(): Promise<void>;
  /** Stops the child (SIGTERM) and waits for it to exit. */
  close(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../bin/mock-llm.js', import.meta.url));
const START_TIMEOUT_MS = 15_000;

function flags(options: MockLlmOptions): string[] {
  const out = ['--exit-with-stdin', '--port', String(options.port ?? 0)];
  if (options.host !== undefined) out.push('--host', options.host);
  if (options.latencyMs !== undefined) out.push('--latency-ms', String(options.latencyMs));
  if (options.chunkDelayMs !== undefined) out.push('--chunk-delay-ms', String(options.chunkDelayMs));
  if (options.errorRate !== undefined) out.push('--error-rate', String(options.errorRate));
  if (options.seed !== undefined) out.push('--seed', String(options.seed));
  return out;
}

function waitForUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`mock-llm did not start in ${START_TIMEOUT_MS} ms:\n${output}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk;
      const url = /listening on (\S+)/.exec(output)?.[1];
      if (url !== undefined) {
        cleanup();
        resolve(url);
      }
    };
    const onExit = (code: number | null) =>
      fail(new Error(`mock-llm exited with ${code} before listening:\n${output}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    function fail(error: Error) {
      cleanup();
      child.kill('SIGKILL');
      reject(error);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Starts the mock in a child process and resolves once it listens. */
export async function spawnMockLlm(options: MockLlmOptions = {}): Promise<MockLlmProcess> {
  // stdin is a lifeline: when this process dies, however it dies, the pipe closes and the child exits.
  // A process group of its own: Ctrl-C reaches the parent only, which can still read the ledger.
  const child = spawn(process.execPath, [BIN, ...flags(options)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const url = await waitForUrl(child);
  // Keep draining its output so a chatty child never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  // This process ending takes the child with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    pid: child.pid!,
    billed: async () => (await (await fetch(`${url}/mock/billed`)).json()) as Billed,
    reset: async () => {
      await (await fetch(`${url}/mock/reset`, { method: 'POST' })).text();
    },
    close: async () => {
      process.off('exit', killOnExit);
      child.kill('SIGTERM');
      await exited;
    },
  };
}
