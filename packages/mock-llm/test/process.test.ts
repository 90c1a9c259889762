// spawnMockLlm: the mock in a child process, its ledger over HTTP.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import OpenAI from 'openai';
import { spawnMockLlm } from '../src/index.js';

it('runs in a child process; billed() and reset() reach its ledger; close() stops it', async () => {
  const mock = await spawnMockLlm({ seed: 3 });
  try {
    assert.notEqual(mock.pid, process.pid);
    const client = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'k', maxRetries: 0 });
    const res = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
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
