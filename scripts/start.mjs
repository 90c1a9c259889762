// `npm start`: the sieve server with its embedded DuckDB store, and the demo services sending traffic to
// it, until Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const children = new Set();
let stopping = false;

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 5000).unref();
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

function start(command, args, env, name) {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', (code) => {
    children.delete(child);
    if (!stopping && code !== 0) {
      console.error(`${name} exited with code ${code}`);
      stopAll(code ?? 1);
    }
    if (children.size === 0) process.exit(0);
  });
  return child;
}

const server = start(process.execPath, ['packages/server/bin/sieve.js', 'serve'], {}, 'sieve serve');
let output = '';
server.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  output += chunk;
  const dsn = /DSN: (\S+)/.exec(output)?.[1];
  if (dsn !== undefined && !output.includes('[demo started]')) {
    output += '[demo started]';
    const demo = start(
      process.execPath,
      ['--import', 'tsx', 'examples/propagation-demo/src/main.ts'],
      { SIEVE_DSN: dsn, DEMO_CONTINUOUS: '1' },
      'demo',
    );
    demo.stdout.on('data', (line) => process.stdout.write(`[demo] ${line}`));
    console.log('\nDemo traffic is flowing into the server. Open the UI URL above; Ctrl-C stops everything.');
  }
});
