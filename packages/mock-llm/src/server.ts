// The HTTP edge: routing, auth, latency, error injection, streaming and billing. Everything a reply
// contains is decided by the pure builders; this file only decides when and whether bytes go out.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { anthropicError, message, messageStream } from './anthropic.js';
import {
  type Conversation,
  embeddingInputs,
  fromAnthropicMessages,
  fromChatCompletion,
  fromResponses,
  parseJsonBody,
  RequestError,
} from './conversation.js';
import { type Billed, Ledger, type Operation, type Provider } from './ledger.js';
import { type Markers, parseMarkers } from './markers.js';
import {
  chatCompletion,
  chatCompletionStream,
  embeddings,
  openaiError,
  response,
  responseStream,
} from './openai.js';
import { decideReply, type Usage, usageFor } from './reply.js';
import { encodeSse, type StreamPlan } from './sse.js';
import { countTokens, seededRandom } from './tokens.js';

export interface MockLlmOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  host?: string;
  /** Delay before every response (for streams: before the first event), in ms. */
  latencyMs?: number;
  /** Delay between stream events, in ms. */
  chunkDelayMs?: number;
  /** Share of calls, 0..1, that fail at random with a 500 or a 429 (seeded, so a run repeats). */
  errorRate?: number;
  seed?: number;
}

export interface MockLlm {
  /** Base URL, e.g. http://127.0.0.1:4010 */
  url: string;
  /** For `new OpenAI({ baseURL })`: url + '/v1'. */
  openaiBaseURL: string;
  /** For `new Anthropic({ baseURL })`: url. */
  anthropicBaseURL: string;
  /** Exact totals of the usage reported to clients so far. */
  billed(): Billed;
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 20 * 1024 * 1024;

interface Route {
  provider: Provider;
  operation: Operation;
}

const ROUTES: Record<string, Route> = {
  '/v1/chat/completions': { provider: 'openai', operation: 'chat' },
  '/v1/responses': { provider: 'openai', operation: 'responses' },
  '/v1/embeddings': { provider: 'openai', operation: 'embeddings' },
  '/v1/messages': { provider: 'anthropic', operation: 'messages' },
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `Request body larger than ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Resolves once the chunk reached the socket, or the client went away (so a stream never hangs). */
function writeFlushed(res: ServerResponse, chunk: string): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('close', done);
      resolve();
    };
    res.once('close', done);
    res.write(chunk, done);
  });
}

function hasCredentials(req: IncomingMessage, provider: Provider): boolean {
  const bearer = /^Bearer \S+/.test(req.headers.authorization ?? '');
  return provider === 'anthropic' ? bearer || (req.headers['x-api-key'] ?? '') !== '' : bearer;
}

export async function startMockLlm(options: MockLlmOptions = {}): Promise<MockLlm> {
  const ledger = new Ledger();
  const latencyMs = options.latencyMs ?? 0;
  const chunkDelayMs = options.chunkDelayMs ?? 0;
  const errorRate = options.errorRate ?? 0;
  if (!(errorRate >= 0 && errorRate <= 1))
    throw new RangeError(`errorRate must be within 0..1, got ${errorRate}`);
  const random = seededRandom(options.seed ?? 1);
  let sequence = 0;

  function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string>,
  ): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  function sendError(
    res: ServerResponse,
    route: Route | undefined,
    requestId: string,
    error: HttpError,
  ): void {
    ledger.error();
    const anthropic = route?.provider === 'anthropic';
    const body = anthropic
      ? anthropicError(error.status, error.message, requestId)
      : openaiError(error.status, error.message, error.param);
    sendJson(res, error.status, body, requestIdHeader(route, requestId));
  }

  function requestIdHeader(route: Route | undefined, requestId: string): Record<string, string> {
    return route?.provider === 'anthropic' ? { 'request-id': requestId } : { 'x-request-id': requestId };
  }

  /** Writes a stream plan, cut half-way if asked; then bills the last usage the client was sent. */
  async function sendStream(
    res: ServerResponse,
    plan: StreamPlan,
    headers: Record<string, string>,
    cut: boolean,
    bill: (usage: Usage) => void,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      ...headers,
    });
    res.flushHeaders();
    const end = cut ? Math.max(1, Math.floor(plan.events.length / 2)) : plan.events.length;
    let reported: Usage | undefined;
    for (let i = 0; i < end; i++) {
      if (i > 0 && chunkDelayMs > 0) await sleep(chunkDelayMs);
      if (res.destroyed) break;
      // Waiting for each write to reach the socket keeps the order of events and the cut point real.
      await writeFlushed(res, encodeSse(plan.events[i]!));
      reported = plan.usageReports.find((r) => r.at === i)?.usage ?? reported;
    }
    if (reported === undefined) ledger.unreported();
    else bill(reported);
    if (cut) res.destroy();
    else res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = ROUTES[path];
    const requestId = `req_mock_${(++sequence).toString(36).padStart(6, '0')}`;
    if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' }, {});
    // The ledger over HTTP, for a mock running in another process (spawnMockLlm, the CLI).
    if (req.method === 'GET' && path === '/mock/billed') return sendJson(res, 200, ledger.snapshot(), {});
    if (req.method === 'POST' && path === '/mock/reset') {
      ledger.reset();
      return sendJson(res, 200, { status: 'reset' }, {});
    }
    try {
      if (route === undefined) throw new HttpError(404, `Unknown request URL: ${req.method} ${path}.`);
      if (req.method !== 'POST')
        throw new HttpError(405, `Method ${req.method} is not allowed on ${path}; use POST.`);
      const raw = await readBody(req);
      if (!hasCredentials(req, route.provider)) {
        throw new HttpError(
          401,
          route.provider === 'anthropic' ? 'x-api-key header is required' : "You didn't provide an API key.",
        );
      }
      const body = parseJsonBody(raw);
      await answer(req, res, route, body, requestId);
    } catch (error) {
      if (error instanceof RequestError)
        return sendError(res, route, requestId, new HttpError(400, error.message, error.param));
      if (error instanceof HttpError) return sendError(res, route, requestId, error);
      if (!res.headersSent)
        return sendError(res, route, requestId, new HttpError(500, `Mock server error: ${String(error)}`));
      res.destroy();
    }
  }

  async function answer(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    body: Record<string, unknown>,
    requestId: string,
  ) {
    const ids = { id: requestId.slice(4), created: Math.floor(Date.now() / 1000) };
    const headers = requestIdHeader(route, requestId);
    let conv: Conversation | undefined;
    let markerText: string;
    if (route.operation === 'embeddings') {
      markerText = embeddingInputs(body).texts.join('\n');
    } else {
      conv =
        route.operation === 'chat'
          ? fromChatCompletion(body)
          : route.operation === 'responses'
            ? fromResponses(body)
            : fromAnthropicMessages(body);
      markerText = conv.lastUserText;
    }
    const markers: Markers = parseMarkers(markerText);
    const delay = latencyMs + (markers.latencyMs ?? 0);
    if (delay > 0) await sleep(delay);
    if (req.socket.destroyed) return;
    const injected =
      markers.errorStatus ??
      (errorRate > 0 && random() < errorRate ? (random() < 0.5 ? 500 : 429) : undefined);
    if (injected !== undefined) {
      const text =
        injected === 429
          ? 'Rate limit reached for requests (mock).'
          : injected >= 500
            ? 'The server had an error while processing your request (mock).'
            : `Mock error ${injected} requested by marker.`;
      throw new HttpError(injected, text);
    }
    const stream = body.stream === true;
    if (markers.brokenStream && !stream) {
      // A connection reset before any response: the client sees a connection error.
      ledger.unreported();
      req.socket.destroy();
      return;
    }

    if (route.operation === 'embeddings') {
      const { model, texts, tokenCounts } = embeddingInputs(body);
      const input =
        tokenCounts?.reduce((a, b) => a + b, 0) ?? texts.reduce((sum, t) => sum + countTokens(t), 0);
      const dims =
        typeof body.dimensions === 'number' && body.dimensions > 0
          ? Math.floor(body.dimensions)
          : /large/.test(model)
            ? 3072
            : 1536;
      const base64 = body.encoding_format === 'base64';
      sendJson(res, 200, embeddings(model, texts, input, dims, base64, !markers.noUsage), headers);
      if (markers.noUsage) ledger.unreported();
      else ledger.bill('openai', 'embeddings', model, { input, cached: 0, output: 0, reasoning: 0 });
      return;
    }

    const c = conv!;
    const reply = decideReply(c);
    const usage = markers.noUsage ? undefined : usageFor(c, reply, route.provider);
    const bill = (billed: Usage) => ledger.bill(route.provider, route.operation, c.model, billed);
    if (stream) {
      const plan =
        route.operation === 'chat'
          ? chatCompletionStream(
              c,
              reply,
              usage,
              ids,
              (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true,
            )
          : route.operation === 'responses'
            ? responseStream(body, c, reply, usage, ids)
            : messageStream(c, reply, usage, ids.id);
      await sendStream(res, plan, headers, markers.brokenStream, bill);
      return;
    }
    const payload =
      route.operation === 'chat'
        ? chatCompletion(c, reply, usage, ids)
        : route.operation === 'responses'
          ? response(body, c, reply, usage, ids)
          : message(c, reply, usage, ids.id);
    sendJson(res, 200, payload, headers);
    if (usage === undefined) ledger.unreported();
    else bill(usage);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    billed: () => ledger.snapshot(),
    reset: () => ledger.reset(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets and open streams would hold close() open forever.
        server.closeAllConnections();
      }),
  };
}
