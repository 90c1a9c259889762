import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSpan } from '@sieve/sdk';

export interface Service {
  url: string;
  close(): Promise<void>;
}

async function listen(server: http.Server): Promise<Service> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
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

/** The model backend: one LLM call per /llm request, a database query per /db request. */
export function startBackend(): Promise<Service> {
  return listen(
    http.createServer(async (req, res) => {
      if (req.url?.startsWith('/llm')) {
        const tokens = await startSpan(
          {
            name: 'chat claude-sonnet-4-6',
            op: 'gen_ai.chat',
            attributes: {
              'gen_ai.operation.name': 'chat',
              'gen_ai.provider.name': 'anthropic',
              'gen_ai.request.model': 'claude-sonnet-4-6',
            },
          },
          async (span) => {
            await sleep(5 + Math.random() * 10);
            const usage = {
              input: 200 + Math.floor(Math.random() * 300),
              output: 50 + Math.floor(Math.random() * 150),
            };
            span.setAttributes({
              'gen_ai.usage.input_tokens': usage.input,
              'gen_ai.usage.output_tokens': usage.output,
            });
            return usage;
          },
        );
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(tokens));
        return;
      }
      await startSpan({ name: 'SELECT products', op: 'db.query' }, () => sleep(1 + Math.random() * 3));
      res.end('[]');
    }),
  );
}

/** The public edge: AI, search, payment and health routes; AI and search call the backend. */
export function startEdge(backend: string): Promise<Service> {
  return listen(
    http.createServer(async (req, res) => {
      const path = req.url ?? '/';
      if (path.startsWith('/api/chat')) {
        await startSpan({ name: 'invoke_agent support', op: 'gen_ai.invoke_agent' }, async () => {
          await (await fetch(`${backend}/llm`)).text();
          await startSpan({ name: 'execute_tool lookup_order', op: 'gen_ai.execute_tool' }, () => sleep(2));
          await (await fetch(`${backend}/llm`)).text();
        });
      } else if (path.startsWith('/search')) {
        await (await fetch(`${backend}/db`)).text();
      } else if (path.startsWith('/payment')) {
        await startSpan({ name: 'charge card', op: 'payment' }, () => sleep(3));
      }
      res.end('ok');
    }),
  );
}
