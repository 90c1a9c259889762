// Runs the official W3C Trace Context test harness against test/w3c/service.mjs (`npm run test:w3c`).
//
// The harness is not part of this repository. Point W3C_TRACE_CONTEXT_DIR at a checkout of
// https://github.com/w3c/trace-context (or at its test/ folder), see docs/w3c-trace-context.md.
//
// Environment:
//   W3C_TRACE_CONTEXT_DIR  the folder holding test.py, or its parent holding test/test.py (required)
//   W3C_PYTHON             python to run the harness with (default: /usr/bin/python3 when it can import
//                          aiohttp, else python3)
//   SPEC_LEVEL             trace context level to test (default 2)
//   STRICT_LEVEL           harness strictness (default 2)
//   W3C_SERVICE_CLIENT     how the service makes its callbacks: `fetch` (default) or `http`
//   W3C_SERVICE_PORT       port for the service (default: ephemeral)
//   HARNESS_*              passed through to the harness (HARNESS_PORT defaults to 7777, HARNESS_DEBUG, ...)
// Extra arguments are passed to test.py as test name patterns, e.g. `-- TraceContext2Test`.
//
// Exit code: the harness's (failures + errors), or 2 when the harness cannot be run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const sdkDir = path.resolve(here, '..', '..');

function fail(message) {
  console.error(message);
  process.exit(2);
}

const HOW_TO_GET = `
To get the harness (it is not vendored in this repository):

  git clone --depth 1 https://github.com/w3c/trace-context.git /tmp/w3c-trace-context
  sudo apt-get install python3-aiohttp      # or: python3 -m pip install aiohttp

then run:

  W3C_TRACE_CONTEXT_DIR=/tmp/w3c-trace-context npm run test:w3c

W3C_TRACE_CONTEXT_DIR may name the repository or its test/ folder (the one with test.py).
See docs/w3c-trace-context.md.`;

function harnessDir() {
  const dir = process.env.W3C_TRACE_CONTEXT_DIR;
  if (dir === undefined || dir === '') fail(`W3C_TRACE_CONTEXT_DIR is not set.\n${HOW_TO_GET}`);
  const resolved = path.resolve(dir);
  for (const candidate of [resolved, path.join(resolved, 'test')]) {
    if (existsSync(path.join(candidate, 'test.py'))) return candidate;
  }
  return fail(`W3C_TRACE_CONTEXT_DIR=${dir}: no test.py there nor in its test/ folder.\n${HOW_TO_GET}`);
}

function hasAiohttp(python) {
  const result = spawnSync(python, ['-c', 'import aiohttp'], { stdio: 'ignore' });
  return result.status === 0;
}

function pickPython() {
  const wanted = process.env.W3C_PYTHON;
  if (wanted !== undefined && wanted !== '') {
    if (!hasAiohttp(wanted)) fail(`W3C_PYTHON=${wanted} cannot import aiohttp.\n${HOW_TO_GET}`);
    return wanted;
  }
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (hasAiohttp(python)) return python;
  }
  return fail(`No python3 with aiohttp found (tried /usr/bin/python3 and python3 on PATH).\n${HOW_TO_GET}`);
}

/** Fails early with a clear message when the harness's own port is taken. */
function checkHarnessPort() {
  const host = process.env.HARNESS_BIND_HOST || process.env.HARNESS_HOST || '127.0.0.1';
  const port = Number(process.env.HARNESS_BIND_PORT || process.env.HARNESS_PORT || 7777);
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (error) => {
      fail(`The harness listens on ${host}:${port}, which is not available (${error.code ?? error.message}).
Stop whatever uses it, or set HARNESS_PORT to another port.`);
    });
    probe.listen(port, host, () => probe.close(resolve));
  });
}

/** Starts the service and resolves with its endpoint once it printed its port. */
function startService() {
  const child = spawn(process.execPath, [path.join(here, 'service.mjs')], {
    cwd: sdkDir,
    // No DSN: the service must not send anything anywhere.
    env: { ...process.env, SIEVE_DSN: '', SENTRY_DSN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = (chunk) =>
    chunk
      .toString()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => `[service] ${line}\n`)
      .join('');
  child.stderr.on('data', (chunk) => process.stderr.write(prefix(chunk)));
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('the service did not start within 10 s')), 10_000);
    const onData = (chunk) => {
      process.stderr.write(prefix(chunk));
      buffered += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(buffered);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, endpoint: match[1] });
      }
    };
    child.stdout.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the service exited before listening (${signal ?? `code ${code}`})`));
    });
  });
}

function stopService(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function main() {
  const dir = harnessDir();
  const python = pickPython();
  if (!existsSync(path.join(sdkDir, 'dist', 'index.js'))) {
    fail('packages/sdk/dist is missing: run `npm run build` at the repository root first.');
  }
  await checkHarnessPort();

  let service;
  try {
    service = await startService();
  } catch (error) {
    fail(`Could not start the service: ${error.message}`);
  }
  const { child, endpoint } = service;
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`[service] exited unexpectedly (${signal ?? `code ${code}`})`);
  });

  const env = {
    ...process.env,
    SPEC_LEVEL: process.env.SPEC_LEVEL || '2',
    STRICT_LEVEL: process.env.STRICT_LEVEL || '2',
    PYTHONUNBUFFERED: '1',
  };
  const patterns = process.argv.slice(2);
  console.log(`W3C Trace Context harness: ${path.join(dir, 'test.py')} (${python})`);
  console.log(`service: ${endpoint}, SPEC_LEVEL=${env.SPEC_LEVEL}, STRICT_LEVEL=${env.STRICT_LEVEL}`);
  const harness = spawn(python, ['test.py', endpoint, ...patterns], { cwd: dir, env, stdio: 'inherit' });

  const interrupt = (signal) => {
    harness.kill(signal);
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);

  const code = await new Promise((resolve) => {
    harness.once('error', (error) => {
      console.error(`Could not run ${python}: ${error.message}`);
      resolve(2);
    });
    harness.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal !== null ? 1 : 2)));
  });
  stopping = true;
  await stopService(child);
  process.exit(code);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
