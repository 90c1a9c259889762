import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `name` (without extension) that sits beside the module `from`
 * (its `import.meta.url`). Built (dist/*.js): the compiled file. From the TypeScript sources (tests
 * and `tsx`), the worker loads the .ts file through tsx's API: a worker does not inherit the loader
 * hooks that `node --import tsx` registered on the main thread.
 */
export function startWorker(from: string, name: string, workerData: unknown): Worker {
  if (from.endsWith('.ts')) {
    const url = JSON.stringify(new URL(`./${name}.ts`, from).href);
    return new Worker(`import('tsx/esm/api').then((tsx) => tsx.tsImport(${url}, ${url}))`, {
      eval: true,
      workerData,
    });
  }
  return new Worker(new URL(`./${name}.js`, from), { workerData });
}
