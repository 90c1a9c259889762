import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServeConfig } from '../config.js';
import { IngestError } from '../ingest/errors.js';
import type { IngestBatch } from '../model.js';
import { InvalidCursorError, type Store } from '../store.js';
import type { TailSampler } from '../tail-sampling/tail-sampler.js';
import { DEFAULT_UI_DIR, homePage, readUiFile } from './home.js';
import { IngestQueue, Overloaded } from './ingest-queue.js';
import { BadParameter } from './params.js';
import { ParsePool } from './parse-pool.js';
import { ingestEnvelope, ingestOtlp, type OtlpSignal } from './pipeline.js';
import { registerQueryRoutes } from './query-routes.js';

export interface AppOptions {
  config: ServeConfig;
  store: Store;
  /** Accept OTLP requests without a key (the server listens on loopback). */
  allowAnonymous: boolean;
  /** Rows waiting for commit before ingest answers 429. */
  maxPendingRows?: number;
  /** The built web UI served at `/` (default: packages/ui/dist); without it `/` shows a short home page. */
  uiDir?: string;
  /** Tail sampling (`--tail-sampling`): spans wait for their trace's decision before the store. */
  tailSampler?: TailSampler;
  /**
   * Threads that parse ingest requests (ParsePool); 0 parses on the main thread. Used only with a
   * store that takes serialized batches (DuckDB) and without tail sampling (its engine needs the
   * spans on the main thread). Default 0.
   */
  parseThreads?: number;
}

function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: message });
}

/**
 * The HTTP surface: Sentry envelope and OTLP ingest, the query API and the UI. Ingest answers 2xx only
 * after its rows are committed; every bad request gets a status and a message, never a crash.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, store } = options;
  const app = Fastify({
    bodyLimit: config.maxBodyBytes,
    // Keep-alive from SDK transports; a slow client cannot hold a request open forever.
    requestTimeout: 60_000,
    logger: false,
  });
  const queue = new IngestQueue(store, options.maxPendingRows);
  const { tailSampler } = options;
  const writeToQueue = (batch: IngestBatch) => queue.write(batch);
  const write =
    tailSampler === undefined ? writeToQueue : (batch: IngestBatch) => tailSampler.write(batch, writeToQueue);
  const auth = { publicKey: config.publicKey, allowAnonymous: options.allowAnonymous };
  const limits = { maxDecompressedBytes: config.maxDecompressedBytes };
  const parseThreads = options.parseThreads ?? 0;
  const pool =
    parseThreads > 0 && tailSampler === undefined && store.writeSerialized !== undefined
      ? new ParsePool(parseThreads, { auth, limits })
      : undefined;
  if (pool) app.addHook('onClose', () => pool.close());

  // Browser SDKs post envelopes cross-origin; the key, not the origin, is what authenticates them.
  await app.register(cors, {
    origin: true,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: [
      'content-type',
      'content-encoding',
      'x-sentry-auth',
      'authorization',
      'sentry-trace',
      'baggage',
    ],
    exposedHeaders: ['x-sentry-rate-limits', 'retry-after'],
    maxAge: 86_400,
  });

  // Ingest bodies are read raw: they may be compressed, and envelopes are not JSON documents.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    if (error instanceof IngestError) return sendError(reply, error.status, error.message);
    if (error instanceof BadParameter) return sendError(reply, 400, error.message);
    if (error instanceof InvalidCursorError)
      return sendError(reply, 400, `parameter "cursor": ${error.message}`);
    if (error instanceof Overloaded) {
      void reply.header('retry-after', String(error.retryAfterSeconds));
      void reply.header('x-sentry-rate-limits', `${error.retryAfterSeconds}::organization`);
      return sendError(reply, 429, error.message);
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, 413, `request body larger than ${config.maxBodyBytes} bytes`);
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, error.statusCode, error.message);
    }
    console.error('[sieve] request failed:', error);
    return sendError(reply, 500, `internal error: ${error.message}`);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, `no route for ${request.method} ${request.url.split('?')[0]}`),
  );

  const envelopeHandler = async (
    request: FastifyRequest<{ Params: { projectId: string }; Querystring: Record<string, string> }>,
    reply: FastifyReply,
  ) => {
    const body = request.body;
    if (!Buffer.isBuffer(body) || body.length === 0)
      throw new IngestError(400, 'empty body: expected a Sentry envelope');
    const legacyStore = request.url.includes('/store');
    if (pool) {
      const parsed = await pool.parse({
        kind: 'envelope',
        body,
        headers: request.headers,
        projectParam: request.params.projectId,
        query: request.query,
        legacyStore,
      });
      await queue.writeSerialized(parsed.bytes, parsed.rows);
      return reply.code(200).send({ id: parsed.eventId ?? null });
    }
    const result = await ingestEnvelope(body, {
      projectParam: request.params.projectId,
      query: request.query,
      headers: request.headers,
      auth,
      limits,
      legacyStore,
    });
    await write(result.batch);
    return reply.code(200).send({ id: result.eventId });
  };
  app.post('/api/:projectId/envelope/', envelopeHandler);
  app.post('/api/:projectId/envelope', envelopeHandler);
  // The legacy endpoint older SDKs (Python 1.x) still use for errors.
  app.post('/api/:projectId/store/', envelopeHandler);
  app.post('/api/:projectId/store', envelopeHandler);

  for (const signal of ['traces', 'logs', 'metrics'] as const satisfies readonly OtlpSignal[]) {
    app.post(`/v1/${signal}`, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (pool) {
        const parsed = await pool.parse({ kind: 'otlp', signal, body, headers: request.headers });
        await queue.writeSerialized(parsed.bytes, parsed.rows);
        return reply
          .code(200)
          .type(parsed.contentType ?? 'application/json')
          .send(parsed.response instanceof Uint8Array ? Buffer.from(parsed.response) : parsed.response);
      }
      const result = await ingestOtlp(signal, body, { headers: request.headers, auth, limits });
      await write(result.batch);
      return reply.code(200).type(result.contentType).send(result.response);
    });
  }

  registerQueryRoutes(app, store);
  // What the UI shows people with no data yet: the DSN and OTLP endpoint as this request reached the server.
  app.get('/api/v1/info', async (request) => {
    const host = request.headers.host ?? `${config.host}:${config.port}`;
    const origin = `${request.protocol}://${host}`;
    return {
      dsn: `${request.protocol}://${config.publicKey}@${host}/1`,
      otlpEndpoint: origin,
      publicKey: config.publicKey,
    };
  });
  app.get('/healthz', async () => ({
    ok: true,
    pending: { ...queue.pending, uncommittedRows: store.backlogRows?.() ?? 0 },
    ...(tailSampler === undefined ? {} : { tailSampling: tailSampler.stats }),
  }));

  // The web UI: static files built by packages/ui (hash routing, so only `/` and its assets exist).
  const uiDir = options.uiDir ?? DEFAULT_UI_DIR;
  app.get('/', async (request, reply) => {
    const index = await readUiFile(uiDir, 'index.html');
    if (index === undefined) {
      return reply.type('text/html; charset=utf-8').send(homePage(config, request.headers.host));
    }
    return reply.header('cache-control', 'no-cache').type(index.contentType).send(index.body);
  });
  app.get('/assets/*', async (request, reply) => {
    const path = (request.params as { '*': string })['*'];
    const file = await readUiFile(uiDir, `assets/${path}`);
    if (file === undefined) return sendError(reply, 404, `no UI file assets/${path}`);
    // Vite puts a content hash in every asset name.
    return reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .type(file.contentType)
      .send(file.body);
  });
  return app;
}
