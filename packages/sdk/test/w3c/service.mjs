// The service under test for the W3C Trace Context harness (https://github.com/w3c/trace-context, test/).
//
// The harness POSTs a JSON array `[{ "url": ..., "arguments": [...] }, ...]` to /test. For each item, in
// order, this service POSTs `arguments` (as JSON) to `url` and waits for the answer; then it replies 200.
// It never touches trace headers itself: the SDK continues the incoming traceparent/tracestate on the
// server span and injects them into the callbacks, which is what the harness checks.
//
// Environment:
//   W3C_SERVICE_PORT    port to listen on (default: an ephemeral port)
//   W3C_SERVICE_CLIENT  `fetch` (default, global fetch/undici) or `http` (node:http request)
//
// Prints `listening on http://127.0.0.1:<port>/test` once ready.
import http from 'node:http';
import { init } from '@sieve/sdk';

init({ tracesSampleRate: 1 });

const CLIENT = process.env.W3C_SERVICE_CLIENT ?? 'fetch';
if (CLIENT !== 'fetch' && CLIENT !== 'http') {
  console.error(`W3C_SERVICE_CLIENT must be "fetch" or "http", got ${JSON.stringify(CLIENT)}`);
  process.exit(2);
}

async function postWithFetch(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

function postWithHttp(url, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    });
    request.once('error', reject);
    request.once('response', (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode));
      response.once('error', reject);
    });
    request.end(body);
  });
}

const post = CLIENT === 'http' ? postWithHttp : postWithFetch;

async function readBody(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(request, response) {
  if (request.method !== 'POST' || request.url !== '/test') {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  let actions;
  try {
    const text = await readBody(request);
    actions = text === '' ? [] : JSON.parse(text);
  } catch (error) {
    response.writeHead(400, { 'Content-Type': 'text/plain' }).end(`bad request: ${String(error)}\n`);
    return;
  }
  if (!Array.isArray(actions)) actions = [actions];
  for (const action of actions) {
    if (action === null || typeof action !== 'object' || typeof action.url !== 'string') continue;
    try {
      await post(action.url, JSON.stringify(action.arguments ?? []));
    } catch (error) {
      // The harness reports a missing callback itself; keep going with the next one.
      console.error(`callback to ${action.url} failed: ${String(error)}`);
    }
  }
  response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
}

const server = http.createServer((request, response) => {
  handle(request, response).catch((error) => {
    console.error(`request failed: ${String(error)}`);
    if (!response.headersSent) response.writeHead(500);
    response.end();
  });
});

const requested = process.env.W3C_SERVICE_PORT;
const port = requested === undefined || requested === '' ? 0 : Number(requested);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`W3C_SERVICE_PORT must be a port number, got ${JSON.stringify(requested)}`);
  process.exit(2);
}

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${address.port}/test (callbacks via ${CLIENT})`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
