// The demo's HTTP service: AI routes (/api/chat, /api/agent), an AI route the sampler does not know
// (/recommendations), and plain ones (/search, /payment, /health). Incoming requests get their
// `http.server` root span from @sieve/sdk.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type Anthropic from '@anthropic-ai/sdk';
import { getActiveSpan, startSpan } from '@sieve/sdk';
import type OpenAI from 'openai';
import { SupportDesk } from './agents.js';
import { CHAT_VARIANTS, type ChatVariant, chatOnce } from './chat.js';
import { searchDocs } from './tools.js';

export interface ServiceOptions {
  openai: OpenAI;
  anthropic: Anthropic;
  /** Share of /payment requests that fail with a 500 (default 0.05). */
  paymentFailureRate?: number;
  port?: number;
}

export interface Service {
  url: string;
  close(): Promise<void>;
}

const PRODUCTS = ['rain jacket', 'travel mug', 'running shoes', 'desk lamp', 'backpack'];
export const EMBEDDING_MODEL = 'text-embedding-3-small';
const MAX_BODY = 64 * 1024;

class BadRequest extends Error {}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  let raw = '';
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > MAX_BODY) throw new BadRequest(`body larger than ${MAX_BODY} bytes`);
  }
  if (raw === '') return {};
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // falls through to the error below
  }
  throw new BadRequest('body must be a JSON object');
}

function requireText(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '')
    throw new BadRequest(`"${field}" must be a non-empty string`);
  return value;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function traceId(): string | undefined {
  return getActiveSpan()?.spanContext().traceId;
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot; // both are unit vectors
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const { openai, anthropic } = options;
  const desk = new SupportDesk(openai, anthropic);
  const paymentFailureRate = options.paymentFailureRate ?? 0.05;

  const routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>> = {
    'GET /health': async (_req, res) => sendJson(res, 200, { status: 'ok' }),

    'POST /api/chat': async (req, res) => {
      const body = await readJson(req);
      const message = requireText(body, 'message');
      const variant = (body.variant ?? 'openai-chat') as ChatVariant;
      if (!CHAT_VARIANTS.includes(variant))
        throw new BadRequest(`"variant" must be one of ${CHAT_VARIANTS.join(', ')}`);
      // Headers go out with the first text, so a call that fails before answering still gets a 502.
      const write = (text: string) => {
        if (!res.headersSent)
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-trace-id': traceId() ?? '' });
        res.write(text);
      };
      await chatOnce({ openai, anthropic }, variant, message, write);
      if (!res.headersSent) write('');
      res.end();
    },

    'POST /api/agent': async (req, res) => {
      const body = await readJson(req);
      const question = requireText(body, 'question');
      const conversationId =
        body.conversationId === undefined ? undefined : requireText(body, 'conversationId');
      const result = await desk.run(question, conversationId);
      sendJson(res, 200, { ...result, traceId: traceId() });
    },

    'POST /recommendations': async (req, res) => {
      const query = requireText(await readJson(req), 'query');
      const embedded = await openai.embeddings.create({
        model: EMBEDDING_MODEL,
        input: [query, ...PRODUCTS],
        dimensions: 64,
      });
      const [q, ...products] = embedded.data.map((d) => d.embedding);
      const ranked = PRODUCTS.map((name, i) => ({ name, score: cosine(q!, products[i]!) })).sort(
        (a, b) => b.score - a.score,
      );
      sendJson(res, 200, { recommendations: ranked.slice(0, 3) });
    },

    'GET /search': async (req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams.get('q') ?? '';
      const results = await startSpan({ name: 'SELECT articles', op: 'db.query' }, async () => {
        await sleep(2 + Math.random() * 8);
        return searchDocs(q);
      });
      sendJson(res, 200, { results });
    },

    'POST /payment': async (_req, res) => {
      await startSpan({ name: 'charge card', op: 'payment.charge' }, async () => {
        await sleep(5 + Math.random() * 20);
        if (Math.random() < paymentFailureRate) throw new Error('card processor timed out');
      });
      sendJson(res, 200, { status: 'paid' });
    },
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const handler = routes[`${req.method} ${path}`];
    if (handler === undefined) {
      sendJson(res, 404, { error: `no route ${req.method} ${path}` });
      return;
    }
    handler(req, res).catch((error: unknown) => {
      // A stream that breaks after its first bytes can only be cut: the client sees the failure.
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status =
        error instanceof BadRequest ? 400 : error instanceof Error && 'status' in error ? 502 : 500;
      sendJson(res, status, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
