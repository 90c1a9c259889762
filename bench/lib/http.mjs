// HTTP and process helpers shared by the server benchmarks.

import { readFileSync } from 'node:fs';
import http from 'node:http';

/** utime + stime of a whole process (all threads), in clock ticks (100 a second on Linux). */
export function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** A request function over one keep-alive agent: resolves `{ status, body }` (body a Buffer). */
export function httpClient(agent) {
  return (url, { method = 'GET', headers = {}, body } = {}) =>
    new Promise((resolve, reject) => {
      const req = http.request(url, { method, headers, agent }, (res) => {
        const parts = [];
        res.on('data', (d) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
}
