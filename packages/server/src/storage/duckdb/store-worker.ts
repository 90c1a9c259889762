/**
 * The worker side of ThreadedDuckDbStore (thread.ts): owns a DuckDbStore and serves the calls the
 * main thread posts, one reply per call. The worker's event loop does nothing else, so the group-
 * commit writer's round trips to DuckDB are answered at once instead of waiting behind request
 * parsing on the main thread.
 */
import { deserialize } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { Request, Response } from './rpc.js';
import { DuckDbStore, type DuckDbStoreOptions } from './store.js';
import type { EncodedBatch } from './writer.js';

const port = parentPort;
if (!port) throw new Error('store-worker.ts runs as a worker thread');

const options = workerData as DuckDbStoreOptions & { journaled: boolean };
const store = new DuckDbStore(options);

/**
 * With the ingest journal, writes are acknowledged before they commit: a query first waits for the
 * writes posted before it (one message queue, so "before" is the order the main thread sent them),
 * so what a client was told is stored, it finds.
 */
const beforeRead: () => Promise<void> = options.journaled ? () => store.barrier() : () => Promise.resolve();

function reply(message: Response): void {
  port!.postMessage(message);
}

function failure(id: number, error: unknown): Response {
  const e = error instanceof Error ? error : new Error(String(error));
  return { id, ok: false, error: { name: e.name, message: e.message } };
}

async function serve(request: Request): Promise<void> {
  const { id } = request;
  try {
    let value: unknown;
    switch (request.op) {
      case 'open':
        await store.open();
        break;
      case 'write':
        await store.writeEncoded(request.batch);
        break;
      case 'writeBytes':
        await store.writeEncoded(deserialize(request.bytes) as EncodedBatch, request.seq);
        break;
      case 'committedJournalSeqs':
        value = await store.committedJournalSeqs();
        break;
      case 'forgetJournalSeqs':
        await store.forgetJournalSeqs(request.seq);
        break;
      case 'listTraces':
        await beforeRead();
        value = await store.listTraces(request.query);
        break;
      case 'getTrace':
        await beforeRead();
        value = await store.getTrace(request.projectId, request.traceId);
        break;
      case 'queryLogs':
        await beforeRead();
        value = await store.queryLogs(request.query);
        break;
      case 'queryMetrics':
        await beforeRead();
        value = await store.queryMetrics(request.query);
        break;
      case 'samplingStats':
        await beforeRead();
        value = await store.samplingStats(request.query);
        break;
      case 'listErrors':
        await beforeRead();
        value = await store.listErrors(request.query);
        break;
      case 'listAgentRuns':
        await beforeRead();
        value = await store.listAgentRuns(request.query);
        break;
      case 'deleteOlderThan':
        value = await store.deleteOlderThan(request.time);
        break;
      case 'checkpoint':
        await store.checkpoint();
        break;
      case 'stats':
        await beforeRead();
        value = { ...store.stats };
        break;
      case 'close':
        await store.close();
        break;
    }
    reply({ id, ok: true, value });
  } catch (error) {
    reply(failure(id, error));
  }
}

port.on('message', (request: Request) => {
  void serve(request);
});
