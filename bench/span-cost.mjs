// Nanoseconds per span: Sieve against @sentry/node and the OpenTelemetry SDK.
//
// Every library patches process-wide state (the async context, the OpenTelemetry API globals, Sentry's
// carrier) and takes its sampling setup at init, so each (library, row) pair runs in a child process of
// its own, one after another so they never compete for the two cores. This script is both the parent,
// which runs them and prints one table, and the child (`--peer X --scenario Y`), which can also be run
// by hand to profile one cell:
//
//   node --expose-gc --cpu-prof span-cost.mjs --peer sieve --scenario sampled

import { execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measure, median, SCENARIOS } from './lib/harness.mjs';

const PEERS = {
  sieve: {
    label: 'Sieve',
    pkg: '@sieve/sdk',
    setup: async (scenario) => (await import('./peers/sieve.mjs')).setup(scenario),
  },
  sentry: {
    label: '@sentry/node',
    pkg: '@sentry/node',
    setup: async (scenario) => (await import('./peers/sentry.mjs')).setup(scenario, { defaults: false }),
  },
  'sentry-defaults': {
    label: '@sentry/node (defaults)',
    pkg: '@sentry/node',
    setup: async (scenario) => (await import('./peers/sentry.mjs')).setup(scenario, { defaults: true }),
  },
  otel: {
    label: 'OpenTelemetry',
    pkg: '@opentelemetry/sdk-trace-base',
    setup: async (scenario) => (await import('./peers/otel.mjs')).setup(scenario),
  },
};

// Each target reads its figure from the medians (ns per span, by peer and row) and judges it.
const TARGETS = [
  {
    what: 'Sieve sampled child ≤ 1000 ns/span',
    value: (t) => t.sieve?.sampled,
    ok: (ns) => ns <= 1000,
    show: (ns) => `${fmt(ns)} ns`,
  },
  {
    what: 'Sieve unsampled child ≤ 200 ns/span',
    value: (t) => t.sieve?.unsampled,
    ok: (ns) => ns <= 200,
    show: (ns) => `${fmt(ns)} ns`,
  },
  {
    what: 'Sieve ≥ 40× cheaper than @sentry/node (sampled child)',
    value: (t) => t.sentry?.sampled / t.sieve?.sampled,
    ok: (r) => r >= 40,
    show: (r) => `${r.toFixed(1)}×`,
  },
  {
    what: 'Sieve ≥ 4× cheaper than OpenTelemetry (sampled child)',
    value: (t) => t.otel?.sampled / t.sieve?.sampled,
    ok: (r) => r >= 4,
    show: (r) => `${r.toFixed(1)}×`,
  },
];

const { values: args } = parseArgs({
  options: {
    peer: { type: 'string' },
    scenario: { type: 'string' },
    // Comma-separated subsets, for a quicker look at one library or one row.
    peers: { type: 'string', default: Object.keys(PEERS).join(',') },
    scenarios: { type: 'string', default: Object.keys(SCENARIOS).join(',') },
    // Each pass runs every (library, row) pair once, in a fresh process. The VM this runs on has
    // slow and fast minutes; two passes put each pair in two of them, and the median is taken over
    // the samples of both.
    passes: { type: 'string', default: '2' },
    samples: { type: 'string', default: '5' },
    'sample-ms': { type: 'string', default: '400' },
    'warmup-ms': { type: 'string', default: '700' },
  },
});

const settings = {
  passes: Number(args.passes),
  samples: Number(args.samples),
  sampleMs: Number(args['sample-ms']),
  warmupMs: Number(args['warmup-ms']),
};

if (args.peer !== undefined) {
  await runChild(args.peer, args.scenario);
} else {
  await runAll();
}

async function runChild(peerId, scenario) {
  const peer = PEERS[peerId];
  if (peer === undefined || SCENARIOS[scenario] === undefined) {
    throw new Error(`unknown peer or scenario: ${peerId} ${scenario}`);
  }
  const result = await measure(await peer.setup(scenario), scenario, settings);
  if (process.send !== undefined) {
    // Exit once the parent has the result: some SDKs keep (unref'd) timers and hooks around.
    process.send(result, () => process.exit(0));
  } else {
    const summary = { peer: peerId, scenario, medianNs: median(result.samples), ...result };
    console.log(JSON.stringify(summary, null, 2));
    process.exit(0);
  }
}

function runInChild(peerId, scenario) {
  return new Promise((resolve, reject) => {
    const childArgs = ['--peer', peerId, '--scenario', scenario];
    childArgs.push('--samples', String(settings.samples), '--sample-ms', String(settings.sampleMs));
    childArgs.push('--warmup-ms', String(settings.warmupMs));
    const child = fork(fileURLToPath(import.meta.url), childArgs, { execArgv: ['--expose-gc'] });
    let result;
    child.on('message', (message) => {
      result = message;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`${peerId} / ${scenario} exited with code ${code} and no result`));
    });
  });
}

async function runAll() {
  const peerIds = args.peers.split(',').filter((id) => PEERS[id] !== undefined);
  const scenarios = args.scenarios.split(',').filter((id) => SCENARIOS[id] !== undefined);
  const started = Date.now();
  const results = {};
  for (const id of peerIds) {
    results[id] = {};
    for (const scenario of scenarios) {
      if (runs(id, scenario)) results[id][scenario] = { samples: [], spansPerSample: Infinity };
    }
  }
  for (let pass = 1; pass <= settings.passes; pass++) {
    for (const id of peerIds) {
      for (const scenario of scenarios) {
        if (!runs(id, scenario)) continue;
        const cell = results[id][scenario];
        const where = `pass ${pass}/${settings.passes}  ${PEERS[id].label.padEnd(24)} ${SCENARIOS[scenario].title.padEnd(25)}`;
        process.stderr.write(`  ${where} `);
        const result = await runInChild(id, scenario);
        cell.samples.push(...result.samples);
        cell.spansPerSample = Math.min(cell.spansPerSample, result.spansPerSample);
        if (result.bytesPerSpan !== undefined) cell.bytesPerSpan = result.bytesPerSpan;
        const bytes = result.bytesPerSpan === undefined ? '' : `, ${Math.round(result.bytesPerSpan)} B/span`;
        process.stderr.write(
          `${fmt(median(result.samples))} ns/span (${fmt(Math.min(...result.samples))}–` +
            `${fmt(Math.max(...result.samples))}, ${result.spansPerSample.toLocaleString('en-US')}+ spans a sample${bytes})\n`,
        );
      }
    }
  }
  for (const rows of Object.values(results)) {
    for (const cell of Object.values(rows)) {
      cell.medianNs = median(cell.samples);
      cell.minNs = Math.min(...cell.samples);
      cell.maxNs = Math.max(...cell.samples);
    }
  }
  const seconds = Math.round((Date.now() - started) / 1000);

  const table = renderTable(results, peerIds, scenarios);
  const bytes = renderBytes(results, peerIds, scenarios);
  const targets = renderTargets(results);
  const rescue = renderRescue(results);
  console.log(
    `\n${table}\n${bytes === '' ? '' : `\n${bytes}\n`}${rescue === '' ? '' : `\n${rescue}\n`}\n${targets}\n`,
  );

  const machine = machineInfo();
  const versions = peerIds
    .map((id) => PEERS[id].pkg)
    .filter((pkg, i, all) => all.indexOf(pkg) === i)
    .map((pkg) => `${pkg} ${packageVersion(pkg)}`)
    .join(', ');
  const md = [
    '# Span cost: latest run',
    '',
    `- date: ${machine.date}`,
    `- node: ${process.version} (${os.platform()} ${os.arch()})`,
    `- cpu: ${machine.cpu} × ${os.cpus().length}`,
    `- commit: ${machine.commit}`,
    `- packages: ${versions}`,
    `- settings: ${settings.passes} passes × ${settings.samples} samples of ≥ ${settings.sampleMs} ms (after ${settings.warmupMs} ms warm-up), one process per library, row and pass; median of all samples shown; ${seconds} s in all`,
    '',
    table,
    '',
    ...(bytes === '' ? [] : [bytes, '']),
    ...(rescue === '' ? [] : [rescue, '']),
    targets,
    '',
    '## Spread (min–max of the samples, ns/span)',
    '',
    renderSpread(results, peerIds, scenarios),
    '',
  ].join('\n');
  const out = new URL('./results/', import.meta.url);
  await mkdir(out, { recursive: true });
  await writeFile(new URL('latest.md', out), md);
  console.log(`Written to bench/results/latest.md (${seconds} s).`);
}

/** Rows marked `only: <peer>` run for that peer alone. */
function runs(peerId, scenario) {
  const only = SCENARIOS[scenario].only;
  return only === undefined || only === peerId;
}

/** Trace rescue's cost per dropped child, as ratios against plain head sampling and a sampled child. */
function renderRescue(results) {
  const sieve = results.sieve;
  const on = sieve?.rescued?.medianNs;
  if (on === undefined) return '';
  const parts = [`Trace rescue on, per dropped child (buffered, then freed): ${fmt(on)} ns`];
  if (sieve.unsampled !== undefined)
    parts.push(`${ratio(on, sieve.unsampled.medianNs)} plain head sampling (rescue off)`);
  if (sieve.sampled !== undefined) parts.push(`${ratio(on, sieve.sampled.medianNs)} a sampled child`);
  return `${parts.join(', ')}.`;
}

function fmt(ns) {
  if (ns === undefined) return '–';
  return ns >= 100 ? Math.round(ns).toLocaleString('en-US') : ns.toFixed(1);
}

function ratio(a, b) {
  return a === undefined || b === undefined ? '–' : `${(a / b).toFixed(1)}×`;
}

function renderTable(results, peerIds, scenarios) {
  const head = ['ns per span (median)', ...peerIds.map((id) => PEERS[id].label)];
  const withRatios = results.sieve !== undefined;
  if (withRatios) head.push('Sentry/Sieve', 'OTel/Sieve');
  const rows = scenarios.map((scenario) => {
    const cells = [SCENARIOS[scenario].title, ...peerIds.map((id) => fmt(results[id][scenario]?.medianNs))];
    if (withRatios) {
      const sieve = results.sieve[scenario]?.medianNs;
      cells.push(
        ratio(results.sentry?.[scenario]?.medianNs, sieve),
        ratio(results.otel?.[scenario]?.medianNs, sieve),
      );
    }
    return cells;
  });
  return markdownTable(head, rows);
}

/** Wire bytes per span of each serialised row, as the check before timing parsed them back. */
function renderBytes(results, peerIds, scenarios) {
  return scenarios
    .filter((scenario) => SCENARIOS[scenario].serialised)
    .map((scenario) => {
      const each = peerIds.map(
        (id) =>
          `${PEERS[id].label} ${Math.round(results[id][scenario].bytesPerSpan).toLocaleString('en-US')}`,
      );
      return `Bytes per span, ${SCENARIOS[scenario].title} (uncompressed): ${each.join(', ')}.`;
    })
    .join('\n');
}

function renderSpread(results, peerIds, scenarios) {
  const head = ['row', ...peerIds.map((id) => PEERS[id].label)];
  const rows = scenarios.map((scenario) => [
    SCENARIOS[scenario].title,
    ...peerIds.map((id) =>
      results[id][scenario] === undefined
        ? '–'
        : `${fmt(results[id][scenario].minNs)}–${fmt(results[id][scenario].maxNs)}`,
    ),
  ]);
  return markdownTable(head, rows);
}

/** A table with padded columns (first left-aligned, the rest right-aligned): readable as plain text. */
function markdownTable(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const pad = (cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]));
  const line = (cells) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`));
  return [line(head), `| ${rule.join(' | ')} |`, ...rows.map(line)].join('\n');
}

function renderTargets(results) {
  const medians = {};
  for (const [id, rows] of Object.entries(results)) {
    medians[id] = Object.fromEntries(Object.entries(rows).map(([s, r]) => [s, r.medianNs]));
  }
  const lines = ['Targets:', ''];
  for (const target of TARGETS) {
    const value = target.value(medians);
    // A subset run (--peers / --scenarios) leaves some targets without their figures.
    if (!Number.isFinite(value)) lines.push(`- n/a ${target.what}`);
    else lines.push(`- ${target.ok(value) ? 'PASS' : 'MISS'} ${target.what}: ${target.show(value)}`);
  }
  return lines.join('\n');
}

function machineInfo() {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '../packages/sdk/src'], {
      encoding: 'utf8',
      cwd: dirname(fileURLToPath(import.meta.url)),
    });
    if (dirty.trim() !== '') commit += ' (packages/sdk/src modified)';
  } catch {
    // Not a git checkout: the commit is just unknown.
  }
  return { cpu: os.cpus()[0]?.model ?? 'unknown', date: new Date().toISOString(), commit };
}

/** Version of an installed package, found from its entry point (not every package exports package.json). */
function packageVersion(name) {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name === name) return pkg.version;
    } catch {
      // No package.json at this level: keep climbing.
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
