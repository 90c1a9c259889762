import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ServeConfig } from '../src/config.js';
import { buildApp } from '../src/server/app.js';
import type { Store } from '../src/store.js';
import { PUBLIC_KEY, tempDir } from './helpers.js';

const config: ServeConfig = {
  port: 4318,
  host: '127.0.0.1',
  dataDir: '/nonexistent',
  storage: 'duckdb',
  clickhouseUrl: undefined,
  publicKey: PUBLIC_KEY,
  retentionDays: 0,
  maxBodyBytes: 1024,
  maxDecompressedBytes: 1024,
  ingestThreads: 0,
};

// The UI routes never touch the store.
const app = (uiDir: string) => buildApp({ config, store: {} as Store, allowAnonymous: true, uiDir });

describe('the web UI at /', () => {
  test('serves the built files with their types; nothing outside the UI directory', async () => {
    const root = await tempDir();
    const ui = join(root, 'dist');
    await mkdir(join(ui, 'assets'), { recursive: true });
    await writeFile(join(ui, 'index.html'), '<!doctype html><title>UI</title>');
    await writeFile(join(ui, 'assets', 'index-abc.js'), 'console.log(1)');
    await writeFile(join(ui, 'assets', 'index-abc.css'), 'body{}');
    await writeFile(join(ui, 'assets', '.hidden.js'), 'secret');
    await writeFile(join(root, 'secret.js'), 'secret');
    const server = await app(ui);
    try {
      const index = await server.inject('/');
      assert.equal(index.statusCode, 200);
      assert.match(index.headers['content-type'] as string, /^text\/html/);
      assert.equal(index.body, '<!doctype html><title>UI</title>');
      const js = await server.inject('/assets/index-abc.js');
      assert.equal(js.statusCode, 200);
      assert.match(js.headers['content-type'] as string, /^text\/javascript/);
      assert.match(js.headers['cache-control'] as string, /immutable/);
      const css = await server.inject('/assets/index-abc.css');
      assert.match(css.headers['content-type'] as string, /^text\/css/);
      for (const path of [
        '/assets/../../secret.js',
        '/assets/%2e%2e/%2e%2e/secret.js',
        '/assets/..%2f..%2fsecret.js',
        '/assets/.hidden.js',
        '/assets/%5c..%5csecret.js',
        '/assets/missing.js',
        '/assets/',
      ]) {
        const response = await server.inject(path);
        assert.equal(response.statusCode, 404, path);
        assert.ok(!response.body.includes('secret') || response.body.includes('no '), path);
      }
      assert.equal((await server.inject('/healthz')).statusCode, 200);
    } finally {
      await server.close();
    }
  });

  test('falls back to the home page when the UI is not built', async () => {
    const server = await app(join(await tempDir(), 'missing'));
    try {
      const response = await server.inject({ url: '/', headers: { host: 'sieve.test:9000' } });
      assert.equal(response.statusCode, 200);
      assert.match(response.body, /http:\/\/testkey0123456789@sieve\.test:9000\/1/);
    } finally {
      await server.close();
    }
  });

  test('GET /api/v1/info gives the DSN and OTLP endpoint as the request reached the server', async () => {
    const server = await app(join(await tempDir(), 'missing'));
    try {
      const response = await server.inject({ url: '/api/v1/info', headers: { host: 'sieve.test:9000' } });
      assert.deepEqual(response.json(), {
        dsn: `http://${PUBLIC_KEY}@sieve.test:9000/1`,
        otlpEndpoint: 'http://sieve.test:9000',
        publicKey: PUBLIC_KEY,
      });
    } finally {
      await server.close();
    }
  });
});
