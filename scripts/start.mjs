// `npm start`: `sieve serve` with its embedded DuckDB store, the agent demo (mock LLM server, support-desk
// service, continuous traffic) and the propagation demo sending to it, until Ctrl-C stops everything.
//
// Each child runs in a process group of its own, so Ctrl-C reaches only this script, which then stops
// things in order: the demos first (they flush what they hold to the server), then the server (it commits
// and closes the database). Anything still running after a grace period is killed with its group.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const GRACE_MS = 8000;
const demos = new Set();
let server;
let stopping = false;

function start(name, args, env) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const prefix = name === 'sieve' ? '' : `[${name}] `;
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines)
        (stream === child.stdout ? process.stdout : process.stderr).write(`${prefix}${line}\n`);
    });
  }
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} stopped unexpectedly (${code ?? signal}); stopping everything`);
      stopAll(1);
    }
  });
  return child;
}

/** Signals a child's whole process group; a group already gone is fine. */
function signal(child, sig) {
  try {
    process.kill(-child.pid, sig);
  } catch {
    // already exited
  }
}

async function stopGroup(children) {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const child of running) signal(child, 'SIGTERM');
  const timer = setTimeout(() => {
    for (const child of running) signal(child, 'SIGKILL');
  }, GRACE_MS);
  await Promise.all(running.map((c) => c.exited));
  clearTimeout(timer);
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping the demos, then the server…');
  await stopGroup([...demos]);
  if (server !== undefined) await stopGroup([server]);
  process.exit(code);
}

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
process.on('SIGHUP', () => stopAll(0));
// Last resort if this script dies of an error: take the children down with it.
process.on('exit', () => {
  for (const child of [...demos, server]) if (child !== undefined) signal(child, 'SIGKILL');
});

server = start('sieve', ['packages/server/bin/sieve.js', 'serve'], {});
let output = '';
server.stdout.on('data', function onData(chunk) {
  output += chunk;
  const dsn = /DSN: (\S+)/.exec(output)?.[1];
  const ui = /UI: (\S+)/.exec(output)?.[1];
  if (dsn === undefined || stopping) return;
  server.stdout.off('data', onData);
  const env = { SIEVE_DSN: dsn, DEMO_CONTINUOUS: '1' };
  demos.add(start('agent-demo', ['--import', 'tsx', 'examples/agent-demo/src/main.ts'], env));
  // A short opening burst keeps the propagation demo cheap beside the agent demo.
  demos.add(
    start('propagation-demo', ['--import', 'tsx', 'examples/propagation-demo/src/main.ts'], {
      ...env,
      DEMO_REQUESTS: '200',
    }),
  );
  console.log(
    `\nAgent and propagation demo traffic is flowing into Sieve.\nOpen the UI: ${ui ?? 'see above'}\nCtrl-C stops everything.\n`,
  );
});
