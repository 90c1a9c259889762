// The DuckDB and ClickHouse stores side by side: bench/server-store.mjs once per backend, same
// span count, same machine, same run; ClickHouse is a clickhouse-server started here (Debian's
// 18.16, as in the tests). Prints each run's figures and the ClickHouse/DuckDB ratio of each line.
//
//   node --import tsx bench/store-backends.mjs [spans=200000]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startClickHouse } from '../packages/server/test/clickhouse-server.ts';

const spans = process.argv[2] ?? '200000';
const script = fileURLToPath(new URL('./server-store.mjs', import.meta.url));

function run(extra) {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, spans, ...extra], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0)
    throw new Error(`server-store.mjs ${extra.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** `label … p50 X ms` lines → label → p50; the ingest line → spans/s. */
function figures(out) {
  const map = new Map();
  for (const line of out.split('\n')) {
    const p50 = /^(.+?)\s+p50 ([\d.]+) ms/.exec(line);
    if (p50) map.set(p50[1].trim(), Number(p50[2]));
    const ingest = / = (\d+) spans\/s/.exec(line);
    if (ingest) map.set('ingest spans/s', Number(ingest[1]));
    const del = /^deleteOlderThan .*in (\d+) ms/.exec(line);
    if (del) map.set('deleteOlderThan ms', Number(del[1]));
  }
  return map;
}

const duck = run([]);
console.log(`--- DuckDB\n${duck}`);
const ch = await startClickHouse();
let click;
try {
  click = run([`--clickhouse=${ch.databaseUrl('sieve_bench')}`]);
} finally {
  await ch.stop();
}
console.log(`--- ClickHouse 18.16 (local clickhouse-server)\n${click}`);
const d = figures(duck);
const c = figures(click);
console.log(`${'figure'.padEnd(48)} ${'DuckDB'.padStart(10)} ${'ClickHouse'.padStart(10)}  ratio CH/DuckDB`);
for (const [label, dv] of d) {
  const cv = c.get(label);
  if (cv === undefined) continue;
  console.log(
    `${label.padEnd(48)} ${String(dv).padStart(10)} ${String(cv).padStart(10)}  ${(cv / dv).toFixed(2)}`,
  );
}
