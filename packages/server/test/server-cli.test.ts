/** The `sieve` command: help, flags, the printed DSN, clean shutdown, and no acknowledged loss on kill -9. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { incompleteTraces, runCli, sendThenKill9, startCli, stopCli } from './cli-helpers.js';
import { PUBLIC_KEY, tempDir } from './helpers.js';

test('sieve --help documents every flag; a bad flag exits 2 with a message', async () => {
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  for (const flag of [
    '--port',
    '--host',
    '--data-dir',
    '--storage',
    '--clickhouse-url',
    '--public-key',
    '--retention-days',
  ]) {
    assert.ok(help.stdout.includes(flag), `help mentions ${flag}`);
  }
  const bad = await runCli(['serve', '--port', 'eighty']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--port must be a whole number/);
});

test('prints the DSN with a generated key that survives restarts; SIGTERM closes cleanly', async () => {
  const dataDir = await tempDir();
  const first = await startCli(['--data-dir', dataDir]);
  const saved = JSON.parse(await readFile(join(dataDir, 'config.json'), 'utf8')) as { publicKey: string };
  assert.match(first.dsn, new RegExp(`^http://${saved.publicKey}@127\\.0\\.0\\.1:\\d+/1$`));
  const firstExit = once(first.child, 'exit');
  first.child.kill('SIGTERM');
  const [code, signal] = await firstExit;
  assert.equal(code, 0, `exit code ${code}, signal ${signal}\n${first.output()}`);
  const second = await startCli(['--data-dir', dataDir]);
  assert.ok(second.dsn.startsWith(`http://${saved.publicKey}@`));
  const secondExit = once(second.child, 'exit');
  second.child.kill('SIGTERM');
  await secondExit;
});

test('kill -9 right after acknowledgements loses nothing that was acknowledged', async () => {
  const dataDir = await tempDir();
  const server = await startCli(['--data-dir', dataDir, '--public-key', PUBLIC_KEY]);
  const acknowledged = await sendThenKill9(server, PUBLIC_KEY, { minAcknowledged: 150, idSuffix: 'a' });

  // The killed server left its ingest journal behind: the restart read it back (every batch
  // either stored then or found committed already).
  assert.ok((await readdir(join(dataDir, 'ingest-journal'))).some((f) => f.endsWith('.journal')));
  const restarted = await startCli(['--data-dir', dataDir, '--public-key', PUBLIC_KEY]);
  try {
    const recovery =
      /ingest journal: (\d+) acknowledged batches the database lacked were stored, (\d+) were committed already/.exec(
        restarted.output(),
      );
    assert.ok(recovery, `no recovery line in:\n${restarted.output()}`);
    assert.ok(Number(recovery[1]) + Number(recovery[2]) > 0);
    const missing = await incompleteTraces(restarted.url, acknowledged);
    assert.deepEqual(
      missing,
      [],
      `${missing.length} of ${acknowledged.length} acknowledged traces incomplete after kill -9`,
    );
  } finally {
    await stopCli(restarted);
  }
});
