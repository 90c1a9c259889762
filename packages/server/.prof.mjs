import { DuckDBConnection } from '@duckdb/node-api';
const times = [];
const orig = DuckDBConnection.prototype.run;
DuckDBConnection.prototype.run = async function (sql, ...rest) {
  const t = performance.now();
  try { return await orig.call(this, sql, ...rest); } finally { if (sql === 'COMMIT') times.push(performance.now() - t); }
};
process.on('exit', () => { const s = [...times].sort((a, b) => a - b); console.log('commits', s.length, 'p50', s[s.length >> 1].toFixed(1), 'p90', s[Math.floor(s.length * 0.9)].toFixed(1), 'max', s.at(-1).toFixed(0), 'top5', s.slice(-5).map(x => x.toFixed(0)).join(',')); });
