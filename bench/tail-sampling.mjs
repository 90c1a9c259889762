// What `sieve serve --tail-sampling` costs: the same Sentry envelopes sent to a plain server and to
// one with a tail-sampling policy (keep errors and 10 % of the rest: the generated traces are all AI
// runs, so a gen_ai policy would keep everything), reported as ratios of
// the two measured in the same run.
//
//   npm run build && node bench/tail-sampling.mjs [--spans 100000] [--in-flight 16]
//
// - Each server is a child process (packages/server/bin/sieve.js) with a fresh data directory.
// - Acknowledged spans/s: with tail sampling a request is answered once its held spans are in the
//   fsynced journal (not yet in DuckDB), so this compares "journal append" with "DuckDB commit".
// - Server CPU per span: utime + stime of the server process from the first request until every
//   trace is decided and committed (held traces 0), so the decision work and the commits of kept
//   spans are included.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuTicks, httpClient } from './lib/http.mjs';
import { makeChunk, SPAN_GAP_MS } from './lib/traces.mjs';

const { values: args } = parseArgs({
  options: {
    spans: { type: 'string', default: '100000' },
    'in-flight': { type: 'string', default: '16' },
  },
});
const TOTAL = Number(args.spans);
const IN_FLIGHT = Number(args['in-flight']);
const KEY = 'benchkey0123456789';
const root = fileURLToPath(new URL('..', import.meta.url));
const POLICY = {
  decisionWaitMs: 500,
  policies: [{ type: 'error' }, { type: 'probabilistic', rate: 0.1 }],
};

async function startServer(dataDir, extra) {
  const child = spawn(
    process.execPath,
    [
      join(root, 'packages/server/bin/sieve.js'),
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--public-key',
      KEY,
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /UI: (http:\/\/[^/\s]+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  child.stdout.resume();
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const stop = () => {
    child.kill('SIGTERM');
    return exited;
  };
  return { url, pid: child.pid, stop };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
const request = httpClient(agent);

const HEADERS = {
  'content-type': 'application/x-sentry-envelope',
  'x-sentry-auth': `Sentry sentry_version=7, sentry_key=${KEY}`,
};

async function run(label, extra, chunk) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sieve-bench-tail-'));
  const server = await startServer(dataDir, extra);
  try {
    const cpu0 = cpuTicks(server.pid);
    const t0 = performance.now();
    let next = 0;
    let spans = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < chunk.requests.length) {
          const q = chunk.requests[next++];
          for (;;) {
            const res = await request(`${server.url}/api/1/envelope/`, {
              method: 'POST',
              headers: { ...HEADERS, 'content-length': q.body.length },
              body: q.body,
            });
            if (res.status === 200) break;
            if (res.status !== 429) throw new Error(`${res.status}: ${res.body}`);
            await new Promise((r) => setTimeout(r, 50));
          }
          spans += q.spans;
        }
      }),
    );
    const ackMs = performance.now() - t0;
    // Until every trace is decided and its kept spans committed.
    for (;;) {
      const health = JSON.parse((await request(`${server.url}/healthz`)).body.toString());
      const t = health.tailSampling;
      if (t === undefined || (t.heldTraces === 0 && t.committing === 0)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const cpuMs = (cpuTicks(server.pid) - cpu0) * 10;
    const sampling = JSON.parse((await request(`${server.url}/api/v1/sampling`)).body.toString());
    const result = {
      label,
      spansPerSecond: Math.round(spans / (ackMs / 1000)),
      cpuMicrosPerSpan: (cpuMs * 1000) / spans,
      storedSpans: sampling.stored.spans,
      weightedTraces: Math.round(sampling.stored.weightedTraces),
      storedTraces: sampling.stored.traces,
    };
    console.log(
      `${label.padEnd(16)} ${String(result.spansPerSecond).padStart(8)} spans/s acknowledged  ` +
        `${result.cpuMicrosPerSpan.toFixed(1).padStart(6)} µs server CPU/span  stored ${result.storedSpans} spans, ` +
        `${result.storedTraces} traces (extrapolated ${result.weightedTraces})`,
    );
    return result;
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const chunk = makeChunk({
  seed: 7,
  format: 'sentry',
  firstSpan: 0,
  spans: TOTAL,
  t0: Date.now() - TOTAL * SPAN_GAP_MS - 60_000,
  publicKey: KEY,
});
chunk.requests = chunk.requests.filter((q) => q.spans > 0); // spans only: metrics bypass tail sampling
const policyDir = mkdtempSync(join(tmpdir(), 'sieve-bench-policy-'));
const policyFile = join(policyDir, 'policy.json');
writeFileSync(policyFile, JSON.stringify(POLICY));
console.log(
  `${TOTAL} spans in ${chunk.requests.length} Sentry envelopes, ${IN_FLIGHT} in flight; policy ${JSON.stringify(POLICY.policies)}`,
);
const plain = await run('plain', [], chunk);
const tail = await run('tail sampling', ['--tail-sampling', policyFile], chunk);
console.log(
  `ratio tail/plain: ${(tail.spansPerSecond / plain.spansPerSecond).toFixed(2)}× acknowledged spans/s, ` +
    `${(tail.cpuMicrosPerSpan / plain.cpuMicrosPerSpan).toFixed(2)}× server CPU per received span, ` +
    `${(tail.storedSpans / plain.storedSpans).toFixed(3)}× stored spans`,
);
rmSync(policyDir, { recursive: true, force: true });
agent.destroy();
