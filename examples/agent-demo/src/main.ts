/**
 * The agent demo: mock LLM server + the support-desk service + mixed traffic, traced into SIEVE_DSN.
 * A burst of DEMO_REQUESTS requests (default 300) and a report, or with DEMO_CONTINUOUS=1 a steady flow
 * until Ctrl-C. DEMO_FALLBACK_RATE (default 0.2) samples the non-AI routes.
 */
import { flush } from '@sieve/sdk';
import { initTracing, startDemo } from './demo.js';
import { formatReport, runTraffic } from './traffic.js';

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

const continuous = process.env.DEMO_CONTINUOUS === '1';
const fallbackRate = numberFromEnv('DEMO_FALLBACK_RATE', 0.2);
if (fallbackRate > 1) {
  console.error('DEMO_FALLBACK_RATE must be within 0..1');
  process.exit(2);
}

// DEMO_RESCUE=0 shows plain head sampling: dropped traces stay dropped even when they call an LLM or fail.
initTracing({ fallbackRate, ...(process.env.DEMO_RESCUE === '0' ? { rescue: false } : {}) });
const demo = await startDemo({
  mock: { latencyMs: 120, chunkDelayMs: 8, errorRate: 0.02, seed: 42 },
  port: numberFromEnv('DEMO_PORT', 0),
});
console.log(`agent demo: service ${demo.service.url}, mock LLM ${demo.mock.url}`);
console.log(
  `sampling: /api/chat and /api/agent 1.0, /health 0, the rest ${fallbackRate}` +
    `${process.env.DEMO_RESCUE === '0' ? '' : ' (rescued when they call an LLM or fail)'}; ` +
    `data to ${process.env.SIEVE_DSN ?? process.env.SENTRY_DSN ?? '(no DSN set: nowhere)'}`,
);

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

// In continuous mode, a line every 30 s shows that traffic flows.
let done = 0;
const progress = continuous
  ? setInterval(async () => {
      const billed = await demo.mock.billed().catch(() => undefined);
      if (billed === undefined) return;
      console.log(
        `${new Date().toISOString().slice(11, 19)} ${done} requests so far; mock LLM billed ${billed.calls} calls, ` +
          `${billed.inputTokens + billed.outputTokens} tokens`,
      );
    }, 30_000)
  : undefined;

const report = await runTraffic({
  baseUrl: demo.service.url,
  signal: stop.signal,
  onResult: () => {
    done++;
  },
  seed: 7,
  faultRate: 0.03,
  ...(continuous
    ? { concurrency: numberFromEnv('DEMO_CONCURRENCY', 3), thinkTimeMs: 250 }
    : { concurrency: numberFromEnv('DEMO_CONCURRENCY', 6), requests: numberFromEnv('DEMO_REQUESTS', 300) }),
});
clearInterval(progress);
console.log(`\nrequests by route (sent, statuses):\n${formatReport(report)}`);
// Ctrl-C in a terminal reaches the mock's process too, so it may be gone already.
const billed = await demo.mock.billed().catch(() => undefined);
if (billed !== undefined) {
  console.log(
    `mock LLM billed ${billed.calls} calls: ${billed.inputTokens} input (${billed.cachedTokens} cached), ` +
      `${billed.outputTokens} output tokens; ${billed.errors} errors`,
  );
}
await flush(5000);
await demo.close();
