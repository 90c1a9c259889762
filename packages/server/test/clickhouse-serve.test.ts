/**
 * `sieve serve --storage clickhouse` end to end: the real CLI (bin/sieve.js) against a real
 * clickhouse-server (clickhouse-server.ts); the official @sentry/node, changing only its DSN,
 * sends an agent trace with logs and metrics, which are then found through the query API; kill -9
 * right after acknowledgements loses nothing. Also the flag errors that need no server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { incompleteTraces, runCli, type Started, sendThenKill9, startCli, stopCli } from './cli-helpers.js';
import { clickhouseSkip, type RunningClickHouse, startClickHouse } from './clickhouse-server.js';
import { eventually, getJson, PUBLIC_KEY, run, tempDir } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** `sieve serve` arguments for a ClickHouse database and a fresh data dir (for the DSN key). */
async function serveArgs(clickhouseUrl: string): Promise<string[]> {
  const dataDir = await tempDir();
  return [
    '--data-dir',
    dataDir,
    '--public-key',
    PUBLIC_KEY,
    '--storage',
    'clickhouse',
    '--clickhouse-url',
    clickhouseUrl,
  ];
}

/** Runs `sieve serve` expecting it to exit (no storage settings inherited from the environment). */
function failedStart(args: string[]) {
  return runCli(['serve', '--port', '0', ...args], { SIEVE_STORAGE: '', SIEVE_CLICKHOUSE_URL: '' });
}

test('--storage clickhouse without a URL, or with a bad one, exits 2 naming the flag', async () => {
  const dataDir = await tempDir();
  const missing = await failedStart(['--data-dir', dataDir, '--storage', 'clickhouse']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--storage clickhouse needs --clickhouse-url/);
  const bad = await failedStart([
    '--data-dir',
    dataDir,
    '--storage',
    'clickhouse',
    '--clickhouse-url',
    'tcp://h/db',
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--clickhouse-url: .*not http: or https:/);
});

test('an unreachable ClickHouse exits 1 with the address and without the password', async () => {
  const dataDir = await tempDir();
  const down = await failedStart([
    '--data-dir',
    dataDir,
    '--storage',
    'clickhouse',
    '--clickhouse-url',
    'http://u:hunter2@127.0.0.1:1/sieve',
  ]);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /could not start: ClickHouse at http:\/\/127\.0\.0\.1:1 \(database sieve\)/);
  assert.doesNotMatch(down.stderr, /hunter2/);
});

describe('sieve serve --storage clickhouse', { skip: clickhouseSkip() }, () => {
  let ch: RunningClickHouse;
  let server: Started;
  before(async () => {
    ch = await startClickHouse();
    // Credentials in the URL, as users give them (the default user has an empty password).
    server = await startCli(
      await serveArgs(`${ch.httpUrl.replace('http://', 'http://default:@')}/sieve_serve`),
    );
  });
  after(async () => {
    if (server) {
      await stopCli(server);
      assert.equal(server.child.exitCode, 0, server.output());
    }
    await ch?.stop();
  });

  test('prints where the data goes, without credentials', () => {
    assert.match(server.output(), /Data: ClickHouse http:\/\/127\.0\.0\.1:\d+\/sieve_serve\n/);
  });

  test('@sentry/node sends an agent trace; spans, logs and metrics are found through the query API', async () => {
    const out = await run(process.execPath, [fixture('sentry-node-client.mjs')], {
      SIEVE_TEST_DSN: server.dsn,
    });
    const { traceIds } = JSON.parse(out.slice(out.lastIndexOf('{"traceIds"'))) as { traceIds: string[] };
    const traceId = traceIds[0]!;
    const { spans } = await eventually(async () => {
      const { status, body } = await getJson(server, `/api/v1/traces/${traceId}`);
      return status === 200 ? (body as { spans: Array<Record<string, any>> }) : undefined;
    });
    const root = spans.find((s) => s.parentSpanId === null)!;
    assert.equal(root.name, 'invoke_agent weather');
    const chat = spans.find((s) => s.op === 'gen_ai.chat')!;
    assert.equal(chat.parentSpanId, root.spanId);
    assert.equal(chat.attributes['gen_ai.usage.input_tokens'], 120);
    assert.equal(chat.ai?.model, 'claude-sonnet-4-6');
    assert.equal(spans.find((s) => s.op === 'gen_ai.execute_tool')?.ai?.toolName, 'get_weather');

    const list = await getJson(server, `/api/v1/traces?hasAi=true&model=claude-sonnet-4-6&from=0`);
    const summary = list.body.traces.find((t: { traceId: string }) => t.traceId === traceId);
    assert.ok(summary, JSON.stringify(list.body));
    assert.equal(summary.name, 'invoke_agent weather');
    assert.equal(summary.spanCount, spans.length);

    const logs = await eventually(async () => {
      const { body } = await getJson(server, `/api/v1/logs?traceId=${traceId}`);
      return body.logs.length > 0 ? body.logs : undefined;
    });
    assert.equal(logs[0].attributes.input_tokens, 120);
    const metrics = await getJson(
      server,
      '/api/v1/metrics?name=gen_ai.token_usage&aggregates=sum&groupBy=model&from=0',
    );
    const series = metrics.body.series.find((s: { group: string | null }) => s.group === 'claude-sonnet-4-6');
    assert.ok(series, JSON.stringify(metrics.body));
    assert.equal(
      series.points.reduce((n: number, p: { sum?: number }) => n + (p.sum ?? 0), 0),
      150,
    );
    const sampling = await getJson(server, '/api/v1/sampling?from=0');
    assert.ok(sampling.body.stored.traces >= 1, JSON.stringify(sampling.body));
  });

  test('kill -9 right after acknowledgements loses nothing that was acknowledged', async () => {
    const args = await serveArgs(ch.databaseUrl('sieve_kill'));
    const acknowledged = await sendThenKill9(await startCli(args), PUBLIC_KEY, {
      minAcknowledged: 150,
      idSuffix: 'c',
    });
    const restarted = await startCli(args);
    try {
      const missing = await incompleteTraces(restarted.url, acknowledged);
      assert.deepEqual(
        missing,
        [],
        `${missing.length} of ${acknowledged.length} acknowledged traces incomplete`,
      );
    } finally {
      await stopCli(restarted);
    }
  });
});
