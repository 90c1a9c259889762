/** The `sieve` command: help, flags, the printed DSN, clean shutdown, and no acknowledged loss on kill -9. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { acknowledgedSurviveKill9, bin, PUBLIC_KEY, startCli, tempDir } from './helpers.js';

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
  await acknowledgedSurviveKill9(['--data-dir', await tempDir(), '--public-key', PUBLIC_KEY]);
});
