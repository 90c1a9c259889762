// spawnMockLlm: the mock in a child process, its ledger over HTTP.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { spawnMockLlm } from '../src/index.js';

it('runs in a child process; billed() and reset() reach its ledger; close() stops it', async () => {
  const mock = await spawnMockLlm({ seed: 3 });
  try {
    assert.notEqual(mock.pid, process.pid);
    const client = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'k', maxRetries: 0 });
    const res = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const billed = await mock.billed();
    assert.equal(billed.calls, 1);
    assert.equal(billed.inputTokens, res.usage!.prompt_tokens);
    assert.equal(billed.byModel['gpt-4o']?.outputTokens, res.usage!.completion_tokens);
    await mock.reset();
    assert.equal((await mock.billed()).calls, 0);
  } finally {
    await mock.close();
  }
  assert.throws(() => process.kill(mock.pid, 0), { code: 'ESRCH' });
});

it('fails with the reason when the child cannot start', async () => {
  await assert.rejects(spawnMockLlm({ port: 70_000 }), /mock-llm exited with 1 before listening/);
});

it('exits when its parent dies without closing it (no orphan)', async () => {
  const script = `
    import { spawnMockLlm } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)};
    const mock = await spawnMockLlm();
    console.log('child ' + mock.pid);
    setInterval(() => {}, 1000);
  `;
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  parent.stdout.on('data', (chunk) => {
    out += chunk;
  });
  while (!/child (\d+)/.test(out)) await once(parent.stdout, 'data');
  const childPid = Number(/child (\d+)/.exec(out)![1]);
  parent.kill('SIGKILL');
  await once(parent, 'exit');
  for (let i = 0; ; i++) {
    try {
      process.kill(childPid, 0);
    } catch {
      break; // gone
    }
    assert.ok(i < 200, 'the mock outlived its parent by 20 s');
    await sleep(100);
  }
});
