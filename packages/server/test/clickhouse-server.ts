/**
 * A throw-away clickhouse-server for tests: a child process on loopback with free ports, a temp
 * data dir and a generated minimal config; stopped (and its dir removed) by `stop()`.
 *
 * The binary is Debian's `clickhouse-server` (18.16; .ci/run installs it), or SIEVE_CLICKHOUSE_BIN.
 * When it is missing the tests fail, unless SIEVE_SKIP_CLICKHOUSE=1, which skips them with a
 * message. 18.16 runs as root when its data dir belongs to root, as a fresh temp dir does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server'];

export function clickhouseBinary(): string | null {
  const fromEnv = process.env.SIEVE_CLICKHOUSE_BIN;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/**
 * `false` when the tests should run; a skip message when SIEVE_SKIP_CLICKHOUSE=1. Without that
 * variable a missing binary is not a reason to skip: startClickHouse() then fails the tests.
 */
export function clickhouseSkip(): string | false {
  if (process.env.SIEVE_SKIP_CLICKHOUSE === '1') {
    return 'SIEVE_SKIP_CLICKHOUSE=1: ClickHouse store tests skipped';
  }
  return false;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningClickHouse {
  /** `http://127.0.0.1:<port>` (the default user, no password). */
  httpUrl: string;
  /** A store URL for a database of its own (each call: a new name). */
  databaseUrl(prefix?: string): string;
  stop(): Promise<void>;
}

function config(dir: string, httpPort: number, tcpPort: number): string {
  // <yandex> is the root tag 18.16 requires; current releases still accept it.
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>0</uncompressed_cache_size>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <profiles><default></default></profiles>
  <quotas><default></default></quotas>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
</yandex>
`;
}

let databases = 0;

export async function startClickHouse(): Promise<RunningClickHouse> {
  const binary = clickhouseBinary();
  if (!binary) {
    throw new Error(
      'clickhouse-server not found (apt-get install clickhouse-server, or set SIEVE_CLICKHOUSE_BIN); ' +
        'set SIEVE_SKIP_CLICKHOUSE=1 to skip the ClickHouse tests',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'sieve-clickhouse-'));
  const httpPort = await freePort();
  const tcpPort = await freePort();
  const configPath = join(dir, 'config.xml');
  await writeFile(configPath, config(dir, httpPort, tcpPort));
  const child: ChildProcess = spawn(binary, [`--config-file=${configPath}`], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const stop = async (): Promise<void> => {
    if (exited === null) {
      const done = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  // Ready when the HTTP interface answers a query (30 s: a cold start on a busy 2-core machine).
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== null) {
      await stop();
      throw new Error(`clickhouse-server exited with ${exited} before answering: ${stderr}`);
    }
    try {
      const res = await fetch(`${httpUrl}/?query=SELECT%201`);
      if (res.ok && (await res.text()).trim() === '1') break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`clickhouse-server did not answer within 30 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    httpUrl,
    databaseUrl: (prefix = 'sieve_test') => `${httpUrl}/${prefix}_${process.pid}_${++databases}`,
    stop,
  };
}
