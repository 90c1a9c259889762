/** The `sieve` command: help, flags, the printed DSN, clean shutdown, and no acknowledged loss on kill -9. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { bin, PUBLIC_KEY, startCli, tempDir } from './helpers.js';

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

test('sieve --help documents every flag; a bad flag exits 2 with a message', async () => {
  const help = spawn(process.execPath, [bin, '--help']);
  let text = '';
  help.stdout.on('data', (d) => {
    text += d;
  });
  const [code] = await once(help, 'exit');
  assert.equal(code, 0);
  for (const flag of [
    '--port',
    '--host',
    '--data-dir',
    '--storage',
    '--clickhouse-url',
    '--public-key',
    '--retention-days',
  ]) {
    assert.ok(text.includes(flag), `help mentions ${flag}`);
  }
  const bad = spawn(process.execPath, [bin, 'serve', '--port', 'eighty']);
  let err = '';
  bad.stderr.on('data', (d) => {
    err += d;
  });
  const [badCode] = await once(bad, 'exit');
  assert.equal(badCode, 2);
  assert.match(err, /--port must be a whole number/);
});

test('prints the DSN with a generated key that survives restarts; SIGTERM closes cleanly', async () => {
  const dataDir = await tempDir();
  const first = await startCli(['--data-dir', dataDir]);
  const saved = JSON.parse(await readFile(join(dataDir, 'config.json'), 'utf8')) as { publicKey: string };
  assert.match(first.dsn, new RegExp(`^http://${saved.publicKey}@127\\.0\\.0\\.1:\\d+/1$`));
  const firstExit = once(first.child, 'exit');
  first.child.kill('SIGTERM');
  const [code] = await firstExit;
  assert.equal(code, 0, first.output());
  const second = await startCli(['--data-dir', dataDir]);
  assert.ok(second.dsn.startsWith(`http://${saved.publicKey}@`));
  const secondExit = once(second.child, 'exit');
  second.child.kill('SIGTERM');
  await secondExit;
});

test('kill -9 right after acknowledgements loses nothing that was acknowledged', async () => {
  const dataDir = await tempDir();
  const server = await startCli(['--data-dir', dataDir, '--public-key', PUBLIC_KEY]);
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

  const restarted = await startCli(['--data-dir', dataDir, '--public-key', PUBLIC_KEY]);
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
});
