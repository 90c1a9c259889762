// Cost of Sieve's OpenAI instrumentation per LLM call, against the raw client call in the same process:
// the real `openai` client calling the mock LLM server (@sieve/mock-llm, no added latency) on loopback.
// Rows: a plain chat completion and a streamed one (read to the end). Columns: the uninstrumented call
// (the original `create`, which the wrapper keeps), the instrumented call in a dropped trace (no span:
// only the per-call metrics and log), and in a sampled trace (span, metrics, log, delivered through the
// SDK's envelope exporter to a transport that serialises and drops the bytes). Rounds alternate the
// three so drift on a shared machine hits them alike; the figure is the ratio of medians of this
// process's CPU time per call (user + system: what other processes on the machine do is not counted;
// the in-process mock server's work is). The `replayed` rows isolate the instrumentation: the client's
// `fetch` replays the mock server's recorded reply from memory, so only the client's own work is left
// to compare with.
//
//   node --import tsx ai-overhead.mjs [--calls 1000 --rounds 5]

import { parseArgs } from 'node:util';
import { startMockLlm } from '@sieve/mock-llm';
import { aiInstrumentationReady, close, init, serializeEnvelope, startNewTrace, startSpan } from '@sieve/sdk';
import OpenAI from 'openai';
import { median } from './lib/harness.mjs';

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '5' } },
});
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);

const mock = await startMockLlm({ latencyMs: 0, chunkDelayMs: 0 });
const client = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'bench', maxRetries: 0 });

/** The mock server's replies, recorded once, replayed from memory by the `replayed` rows' client. */
const recorded = new Map();
const recorder = new OpenAI({
  baseURL: mock.openaiBaseURL,
  apiKey: 'bench',
  maxRetries: 0,
  fetch: async (url, init) => {
    const response = await fetch(url, init);
    const body = new Uint8Array(await response.arrayBuffer());
    recorded.set(JSON.parse(init.body).stream === true, { body, headers: [...response.headers] });
    return new Response(body, { status: response.status, headers: response.headers });
  },
});
const replay = new OpenAI({
  baseURL: mock.openaiBaseURL,
  apiKey: 'bench',
  maxRetries: 0,
  fetch: async (_url, init) => {
    const { body, headers } = recorded.get(JSON.parse(init.body).stream === true);
    return new Response(body, { status: 200, headers });
  },
});
let bytes = 0;
function configure(rate) {
  init({
    dsn: 'http://bench@127.0.0.1:9/1',
    tracesSampleRate: rate,
    httpServer: false,
    httpClient: false,
    fetch: false,
    transport: () => ({
      send: async (envelope) => {
        bytes += serializeEnvelope(envelope).byteLength;
        return { statusCode: 200 };
      },
      flush: async () => true,
    }),
  });
}
configure(1);
await aiInstrumentationReady();
const resource = client.chat.completions;
const replayResource = replay.chat.completions;
const wrapped = Object.getPrototypeOf(resource).create;
const original = wrapped[Symbol.for('sieve.ai.wrapped')];
if (typeof original !== 'function') throw new Error('the openai client was not instrumented');

const params = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
};
const streamed = { ...params, stream: true, stream_options: { include_usage: true } };

await recorder.chat.completions.create(params);
for await (const _ of await recorder.chat.completions.create(streamed));

const ROWS = {
  chat: (create) => create.call(resource, params),
  stream: async (create) => {
    for await (const _ of await create.call(resource, streamed));
  },
  'chat, replayed': (create) => create.call(replayResource, params),
  'stream, replayed': async (create) => {
    for await (const _ of await create.call(replayResource, streamed));
  },
};

async function timeCalls(row, create, rate) {
  const run = async () => {
    for (let i = 0; i < CALLS; i++) await ROWS[row](create);
  };
  const start = process.cpuUsage();
  if (rate === undefined) await run();
  else await startNewTrace(() => startSpan({ name: 'bench job', sampled: rate === 1 }, run));
  const used = process.cpuUsage(start);
  return (used.user + used.system) / CALLS; // µs of CPU per call
}

const results = {};
for (const row of Object.keys(ROWS)) {
  const samples = { raw: [], unsampled: [], sampled: [] };
  await timeCalls(row, wrapped, 1); // warm-up of every path
  for (let round = 0; round < ROUNDS; round++) {
    samples.raw.push(await timeCalls(row, original, undefined));
    configure(0);
    samples.unsampled.push(await timeCalls(row, wrapped, 0));
    configure(1);
    samples.sampled.push(await timeCalls(row, wrapped, 1));
  }
  results[row] = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}
await close(1000);
await mock.close();

const fmt = (n) => n.toFixed(1);
console.log(
  `\nOpenAI instrumentation overhead per call (${CALLS} calls × ${ROUNDS} rounds, medians, µs of CPU per call, the in-process mock server included)\n`,
);
console.log('| call | raw client | instrumented, unsampled | ratio | instrumented, sampled | ratio |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [row, r] of Object.entries(results)) {
  console.log(
    `| ${row} | ${fmt(r.raw)} | ${fmt(r.unsampled)} | ${(r.unsampled / r.raw).toFixed(3)} | ${fmt(r.sampled)} | ${(r.sampled / r.raw).toFixed(3)} |`,
  );
}
console.log(`\n(${(bytes / 1024).toFixed(0)} KiB of envelopes serialised by the sampled rows)`);
