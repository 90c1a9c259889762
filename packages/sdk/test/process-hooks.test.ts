/** How a process using the SDK ends: errors captured, buffered data delivered, Node's exit behaviour kept. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Receiver } from './receiver.js';

const script = fileURLToPath(new URL('./fixtures/exit-behaviour.mjs', import.meta.url));
let receiver: Receiver;
before(async () => {
  receiver = await new Receiver().start();
});
after(() => receiver.stop());

async function runMode(mode: string, drive?: (child: ChildProcess, stdout: () => string) => Promise<void>) {
  receiver.envelopes.length = 0;
  const child = spawn(process.execPath, [script, mode], {
    env: { ...process.env, EXIT_DSN: receiver.dsn() },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  if (drive !== undefined) await drive(child, () => stdout);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code, signal] = await exited;
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

test('an uncaught exception is captured, printed, and the process still exits with code 1', async () => {
  const { code, stderr } = await runMode('uncaught');
  assert.equal(code, 1);
  assert.match(stderr, /Error: uncaught boom/);
  const event = receiver.items('event')[0]?.payload as Record<string, any> | undefined;
  assert.ok(event, 'the event arrived before exit');
  assert.equal(event.level, 'fatal');
  assert.deepEqual(event.exception.values[0].mechanism, { type: 'onuncaughtexception', handled: false });
  assert.equal(receiver.records('span').length, 1, 'the span ended before the crash was delivered too');
});

test('an unhandled rejection is captured and the process exits with code 1, as Node does by default', async () => {
  const { code, stderr } = await runMode('rejection');
  assert.equal(code, 1);
  assert.match(stderr, /TypeError: unhandled boom/);
  const event = receiver.items('event')[0]?.payload as Record<string, any> | undefined;
  assert.equal(event?.exception.values[0].mechanism.type, 'onunhandledrejection');
});

test('a short script that never calls flush() still delivers its spans and logs', async () => {
  const { code } = await runMode('short-script');
  assert.equal(code, 0);
  assert.deepEqual(
    receiver.records<{ name: string }>('span').map((s) => s.name),
    ['cli run'],
  );
  assert.equal(receiver.records('log').length, 1);
});

test('SIGTERM flushes, then the process ends by the signal as it would have', async () => {
  const { signal } = await runMode('sigterm', async (child, stdout) => {
    while (!stdout().includes('ready')) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGTERM');
  });
  assert.equal(signal, 'SIGTERM');
  assert.deepEqual(
    receiver.records<{ name: string }>('span').map((s) => s.name),
    ['before sigterm'],
  );
});

test('an app with its own uncaughtException handler keeps running; the error is still captured', async () => {
  const { code, stdout } = await runMode('own-handler');
  assert.equal(code, 0);
  assert.match(stdout, /still alive/);
  assert.equal(receiver.items('event').length, 1);
});
