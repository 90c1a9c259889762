import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseClickHouseUrl } from './storage/clickhouse/url.js';
import { loadPolicyFile, PolicyFileError, type TailSamplingSettings } from './tail-sampling/policy-file.js';

export interface ServeConfig {
  port: number;
  host: string;
  dataDir: string;
  storage: 'duckdb' | 'clickhouse';
  clickhouseUrl: string | undefined;
  /** The default project's DSN key. */
  publicKey: string;
  /** 0 keeps data forever. */
  retentionDays: number;
  /** Largest request body accepted (compressed, as sent). */
  maxBodyBytes: number;
  /** Largest body after decompression. */
  maxDecompressedBytes: number;
  /** Tail sampling from a policy file (`--tail-sampling`); off when absent. */
  tailSampling?: TailSamplingSettings;
  /** Threads that parse ingest requests (`--ingest-threads`); 0 parses on the main thread. */
  ingestThreads: number;
}

/** A bad flag or environment value: the CLI prints the message and exits with code 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const HELP = `Usage: sieve serve [options]

Runs the Sieve server: ingests Sentry envelopes (POST /api/<project>/envelope/) and OTLP/HTTP
(POST /v1/traces, /v1/logs, /v1/metrics; protobuf or JSON), stores them in embedded DuckDB (or in
ClickHouse with --storage clickhouse), and serves the query API under /api/v1/ and the web UI at /.

Options (each also read from the environment variable shown):
  --port <n>              port to listen on (SIEVE_PORT, default 4318, the OTLP/HTTP port)
  --host <addr>           address to listen on (SIEVE_HOST, default 127.0.0.1). Requests without a
                          key are accepted into the default project only on a loopback address.
  --data-dir <dir>        where the database and the generated key live (SIEVE_DATA_DIR, default ./.sieve)
  --storage <kind>        duckdb | clickhouse (SIEVE_STORAGE, default duckdb)
  --clickhouse-url <url>  ClickHouse HTTP interface for --storage clickhouse, as
                          http://user:password@host:8123/database (SIEVE_CLICKHOUSE_URL; the database,
                          default "sieve", and its tables are created when missing; ClickHouse 18.16+)
  --public-key <key>      the default project's DSN key (SIEVE_PUBLIC_KEY; generated and kept in
                          <data-dir>/config.json when absent)
  --retention-days <n>    delete data older than n days; 0 keeps everything (SIEVE_RETENTION_DAYS, default 30)
  --max-body-mb <n>       largest request body in MiB (SIEVE_MAX_BODY_MB, default 20)
  --ingest-threads <n>    threads that decode and parse ingest requests beside the HTTP thread;
                          0 parses on the HTTP thread (SIEVE_INGEST_THREADS, default: the core
                          count - 1, at least 1, at most 8). DuckDB storage without tail sampling.
  --tail-sampling <file>  decide which traces to keep after they end, with the policies of a JSON
                          policy file (SIEVE_TAIL_SAMPLING; see docs/tail-sampling.md). Spans wait
                          for their trace's decision in memory, bounded by the file's limits, and in
                          a journal under <data-dir>/tail-sampling/ that is fsynced before a request
                          is answered, so kill -9 loses no acknowledged span: undecided traces are
                          held again on restart. Spans of one trace must reach the same server.
                          A bad policy file stops the start with its file, line and field (exit 2).
  -h, --help              show this help

On start it prints the UI URL and a line "DSN: http://<key>@<host>:<port>/1" to give to any Sentry
SDK; OpenTelemetry exporters use http://<host>:<port> with "Authorization: Bearer <key>".
SIGINT or SIGTERM stops accepting requests, finishes pending commits and closes the database.
`;

function integer(value: string, name: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim())) throw new ConfigError(`${name} must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

const KEY = /^[A-Za-z0-9_-]{8,128}$/;

/** Reads flags (winning) and environment variables; generates and persists the public key when absent. */
export async function resolveConfig(
  argv: string[],
  env: Record<string, string | undefined>,
): Promise<ServeConfig> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        storage: { type: 'string' },
        'clickhouse-url': { type: 'string' },
        'public-key': { type: 'string' },
        'retention-days': { type: 'string' },
        'max-body-mb': { type: 'string' },
        'tail-sampling': { type: 'string' },
        'ingest-threads': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\nRun "sieve --help" for the options.`);
  }
  const pick = (flag: string, variable: string): string | undefined =>
    (values[flag] as string | undefined) ?? (env[variable] === '' ? undefined : env[variable]);

  const port = integer(pick('port', 'SIEVE_PORT') ?? '4318', '--port', 0, 65535);
  const host = pick('host', 'SIEVE_HOST') ?? '127.0.0.1';
  const dataDir = resolve(pick('data-dir', 'SIEVE_DATA_DIR') ?? './.sieve');
  const storage = pick('storage', 'SIEVE_STORAGE') ?? 'duckdb';
  if (storage !== 'duckdb' && storage !== 'clickhouse') {
    throw new ConfigError(`--storage must be duckdb or clickhouse, got "${storage}"`);
  }
  const clickhouseUrl = pick('clickhouse-url', 'SIEVE_CLICKHOUSE_URL');
  if (storage === 'clickhouse') {
    if (clickhouseUrl === undefined) {
      throw new ConfigError('--storage clickhouse needs --clickhouse-url (or SIEVE_CLICKHOUSE_URL)');
    }
    try {
      parseClickHouseUrl(clickhouseUrl);
    } catch (error) {
      throw new ConfigError(`--clickhouse-url: ${(error as Error).message}`);
    }
  }
  const retentionDays = integer(
    pick('retention-days', 'SIEVE_RETENTION_DAYS') ?? '30',
    '--retention-days',
    0,
    36500,
  );
  const maxBodyMb = integer(pick('max-body-mb', 'SIEVE_MAX_BODY_MB') ?? '20', '--max-body-mb', 1, 200);
  const threadsValue = pick('ingest-threads', 'SIEVE_INGEST_THREADS');
  const ingestThreads =
    threadsValue === undefined
      ? Math.max(1, Math.min(8, availableParallelism() - 1))
      : integer(threadsValue, '--ingest-threads', 0, 64);

  const policyFile = pick('tail-sampling', 'SIEVE_TAIL_SAMPLING');
  let tailSampling: TailSamplingSettings | undefined;
  if (policyFile !== undefined) {
    try {
      tailSampling = await loadPolicyFile(resolve(policyFile));
    } catch (error) {
      if (error instanceof PolicyFileError) throw new ConfigError(error.message);
      throw error;
    }
  }

  await mkdir(dataDir, { recursive: true });
  let publicKey = pick('public-key', 'SIEVE_PUBLIC_KEY');
  if (publicKey !== undefined && !KEY.test(publicKey)) {
    throw new ConfigError('--public-key must be 8–128 characters of letters, digits, "_" or "-"');
  }
  publicKey ??= await persistedKey(dataDir);
  return {
    port,
    host,
    dataDir,
    storage,
    clickhouseUrl,
    publicKey,
    retentionDays,
    maxBodyBytes: maxBodyMb * 1024 * 1024,
    maxDecompressedBytes: maxBodyMb * 4 * 1024 * 1024,
    ingestThreads,
    ...(tailSampling === undefined ? {} : { tailSampling }),
  };
}

/** The key kept in <dataDir>/config.json, made on first start so the DSN stays the same across restarts. */
async function persistedKey(dataDir: string): Promise<string> {
  const file = join(dataDir, 'config.json');
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as { publicKey?: unknown };
    if (typeof saved.publicKey === 'string' && KEY.test(saved.publicKey)) return saved.publicKey;
  } catch {
    // No file yet, or unreadable: make a new key.
  }
  const publicKey = randomBytes(16).toString('hex');
  await writeFile(file, `${JSON.stringify({ publicKey }, null, 2)}\n`, { mode: 0o600 });
  return publicKey;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
