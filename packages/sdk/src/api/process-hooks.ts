import { getClient } from '../client.js';
import { buildErrorEvent } from './errors.js';

const EXIT_FLUSH_MS = 2000;
let installed = false;
let exiting = false;
let flushedBeforeExit = false;

/**
 * Captures uncaught exceptions (and unhandled rejections, which Node turns into them by default) while
 * keeping Node's behaviour: when no other listener exists, Node would have printed the error and exited
 * with code 1, so the SDK does that too, after a bounded flush.
 */
function onUncaughtException(error: unknown, origin: string): void {
  const client = getClient();
  const alone = process.listenerCount('uncaughtException') === 1;
  if (exiting) {
    // A second fatal error while flushing: stop at once, as Node would have.
    if (alone) process.exit(7);
    return;
  }
  if (client !== undefined && client.options.captureUncaught) {
    try {
      const mechanism = {
        type: origin === 'unhandledRejection' ? 'onunhandledrejection' : 'onuncaughtexception',
        handled: false,
      };
      client.captureEvent(buildErrorEvent(client, error, { level: 'fatal' }, mechanism), undefined);
    } catch {
      // Capturing must never hide the original error.
    }
  }
  if (!alone) return;
  exiting = true;
  const text = error instanceof Error && typeof error.stack === 'string' ? error.stack : String(error);
  process.stderr.write(`${text}\n\nNode.js ${process.version}\n`);
  const done = () => process.exit(1);
  if (client === undefined) done();
  else client.close(EXIT_FLUSH_MS).then(done, done);
}

/** The event loop is about to empty: deliver what is buffered once, so short scripts lose nothing. */
function onBeforeExit(): void {
  const client = getClient();
  if (client === undefined || !client.options.flushOnExit || flushedBeforeExit) return;
  flushedBeforeExit = true;
  void client.flush(EXIT_FLUSH_MS);
}

/** SIGTERM: flush, then terminate as Node would have unless the app handles SIGTERM itself. */
function onSigterm(): void {
  const client = getClient();
  const alone = process.listenerCount('SIGTERM') === 1;
  const terminate = () => {
    if (!alone) return;
    process.removeListener('SIGTERM', onSigterm);
    process.kill(process.pid, 'SIGTERM');
  };
  if (client === undefined || !client.options.flushOnExit) terminate();
  else client.close(EXIT_FLUSH_MS).then(terminate, terminate);
}

export function installProcessHooks(): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtException', onUncaughtException);
  process.on('beforeExit', onBeforeExit);
  process.on('SIGTERM', onSigterm);
}
