import type { FastifyInstance } from 'fastify';
import { ConfigError, HELP, isLoopback, resolveConfig, type ServeConfig } from './config.js';
import { buildApp } from './server/app.js';
import { ClickHouseStore } from './storage/clickhouse/store.js';
import { redactedClickHouseUrl } from './storage/clickhouse/url.js';
import { ThreadedDuckDbStore } from './storage/duckdb/thread.js';
import type { Store } from './store.js';
import { storeLeftoverJournal, TailSampler } from './tail-sampling/tail-sampler.js';

const HOUR = 3_600_000;

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  config: ServeConfig;
  /** Base URL, e.g. http://127.0.0.1:4318 */
  url: string;
  dsn: string;
  /** Stops accepting, lets in-flight requests finish their commits, closes the database. */
  stop(): Promise<void>;
}

function createStore(config: ServeConfig): Store {
  if (config.storage === 'clickhouse' && config.clickhouseUrl !== undefined) {
    return new ClickHouseStore({ url: config.clickhouseUrl });
  }
  // The store runs on a thread of its own, so commits do not wait behind request parsing.
  return new ThreadedDuckDbStore({ dataDir: config.dataDir });
}

/** Starts the server with a resolved configuration (used by the CLI and by tests). */
export async function startServer(config: ServeConfig): Promise<RunningServer> {
  const store = createStore(config);
  await store.open();
  if (store instanceof ThreadedDuckDbStore) reportRecovery(store);
  let tailSampler: TailSampler | undefined;
  if (config.tailSampling === undefined) await storeLeftoverJournal(config.dataDir, store);
  else
    tailSampler = await TailSampler.start({ settings: config.tailSampling, store, dataDir: config.dataDir });
  const app = await buildApp({
    config,
    store,
    allowAnonymous: isLoopback(config.host),
    tailSampler,
    parseThreads: config.ingestThreads,
  });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;

  let retention: NodeJS.Timeout | undefined;
  if (config.retentionDays > 0) {
    const prune = () => {
      store.deleteOlderThan(Date.now() - config.retentionDays * 24 * HOUR).catch((error: unknown) => {
        console.error(`[sieve] retention failed: ${String(error)}`);
      });
    };
    prune();
    retention = setInterval(prune, HOUR);
    retention.unref();
  }
  let stopping: Promise<void> | undefined;
  return {
    app,
    store,
    config,
    url,
    dsn: `http://${config.publicKey}@${host}:${port}/1`,
    stop() {
      stopping ??= (async () => {
        clearInterval(retention);
        await app.close();
        await tailSampler?.stop();
        await store.close();
      })();
      return stopping;
    },
  };
}

/** What the ingest journal held after a crash, on stderr (nothing after a clean stop). */
function reportRecovery(store: ThreadedDuckDbStore): void {
  const r = store.recovery;
  if (r === null || r.stored + r.alreadyCommitted + r.tornSegments === 0) return;
  console.error(
    `[sieve] ingest journal: ${r.stored} acknowledged batches the database lacked were stored, ` +
      `${r.alreadyCommitted} were committed already` +
      (r.tornSegments > 0
        ? `; ${r.tornSegments} segment(s) ended in a torn record (never acknowledged)`
        : ''),
  );
}

/** Where the data goes, for the start banner (never the ClickHouse password). */
function dataLocation(config: ServeConfig): string {
  return config.storage === 'clickhouse' && config.clickhouseUrl !== undefined
    ? `ClickHouse ${redactedClickHouseUrl(config.clickhouseUrl)}`
    : config.dataDir;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'serve') {
    process.stderr.write(`sieve: unknown command "${command}"\n\n${HELP}`);
    return 2;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    process.stdout.write(HELP);
    return 0;
  }
  let server: RunningServer;
  try {
    server = await startServer(await resolveConfig(rest, process.env));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`sieve: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(
      `sieve: could not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
  const tail = server.config.tailSampling;
  const n = tail?.policies.length ?? 0;
  const tailLine =
    tail === undefined
      ? ''
      : `Tail sampling: ${tail.file} (${n} ${n === 1 ? 'policy' : 'policies'}, decided ${tail.decisionWaitMs} ms after the root)\n`;
  // One write: whoever waits for the DSN line gets the whole banner.
  process.stdout.write(
    `Sieve is running.\nUI: ${server.url}/\nDSN: ${server.dsn}\nOTLP: ${server.url} (Authorization: Bearer ${server.config.publicKey})\nData: ${dataLocation(server.config)}\n${tailLine}`,
  );
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      process.stdout.write(`\n${signal}: finishing commits and closing the database…\n`);
      server.stop().then(
        () => resolve(0),
        (error: unknown) => {
          process.stderr.write(`sieve: shutdown failed: ${String(error)}\n`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}
