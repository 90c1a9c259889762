// Pure decisions: token counts, markers, tool choice and the seeded error rate.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import type { Conversation } from '../src/conversation.js';
import { fromChatCompletion } from '../src/conversation.js';
import { countTokens, parseMarkers, startMockLlm, stripMarkers } from '../src/index.js';
import { chooseTool, decideReply, usageFor } from '../src/reply.js';

describe('countTokens', () => {
  const table: [string, number][] = [
    ['', 0],
    ['hello', 1],
    ['Hello there, mock!', 5],
    ['  spaced   out  ', 2],
    ['order #1234 shipped.', 5],
    ['größe 10€', 3],
  ];
  for (const [text, expected] of table)
    it(JSON.stringify(text), () => assert.equal(countTokens(text), expected));
});

describe('parseMarkers', () => {
  const table: [string, ReturnType<typeof parseMarkers>][] = [
    ['plain', { brokenStream: false, noUsage: false }],
    ['x [[mock:error=429]]', { brokenStream: false, noUsage: false, errorStatus: 429 }],
    ['[[mock:error=abc]]', { brokenStream: false, noUsage: false }],
    ['[[mock:broken-stream]] [[mock:no-usage]]', { brokenStream: true, noUsage: true }],
    ['[[mock:latency=250]]', { brokenStream: false, noUsage: false, latencyMs: 250 }],
  ];
  for (const [text, expected] of table) it(text, () => assert.deepEqual(parseMarkers(text), expected));
  it('stripMarkers removes them', () =>
    assert.equal(stripMarkers('hi [[mock:error=500]] there'), 'hi there'));
});

function conv(userText: string, extra: Partial<Conversation> = {}): Conversation {
  const base = fromChatCompletion({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: userText }],
    tools: ['search_docs', 'get_weather', 'lookup_order'].map((name) => ({
      type: 'function',
      function: { name },
    })),
  });
  return { ...base, ...extra };
}

describe('chooseTool', () => {
  const table: [string, Partial<Conversation>, string | undefined][] = [
    ['lookup_order then get_weather', {}, 'lookup_order'],
    ['lookup_order then get_weather', { calledTools: ['lookup_order'], toolResults: ['r'] }, 'get_weather'],
    [
      'lookup_order then get_weather',
      { calledTools: ['lookup_order', 'get_weather'], toolResults: ['r', 's'] },
      undefined,
    ],
    ['no tool named', { calledTools: ['search_docs'], toolResults: ['r'] }, undefined],
    ['anything', { toolChoice: { kind: 'none' } }, undefined],
    ['anything', { toolChoice: { kind: 'named', name: 'get_weather' } }, 'get_weather'],
  ];
  for (const [text, extra, expected] of table) {
    it(`${text} ${JSON.stringify(extra)}`, () => assert.equal(chooseTool(conv(text, extra))?.name, expected));
  }
  it('with no tool named and no result yet, picks one by a stable hash', () => {
    const a = chooseTool(conv('what now?'));
    assert.ok(a !== undefined);
    assert.equal(chooseTool(conv('what now?'))?.name, a.name);
  });
});

describe('usage', () => {
  it('is the same for the same request and counts the reply it bills', () => {
    const c = conv('lookup_order 5');
    const reply = decideReply(c);
    assert.deepEqual(usageFor(c, reply, 'openai'), usageFor(c, decideReply(c), 'openai'));
    assert.equal(reply.kind, 'tool');
  });
});

describe('seeded error rate', () => {
  async function outcomes(seed: number): Promise<string[]> {
    const mock = await startMockLlm({ errorRate: 0.5, seed });
    const client = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'k', maxRetries: 0 });
    const out: string[] = [];
    for (let i = 0; i < 12; i++) {
      try {
        await client.chat.completions.create({
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'hi' }],
        });
        out.push('ok');
      } catch (error) {
        out.push(String((error as InstanceType<typeof OpenAI.APIError>).status));
      }
    }
    const billed = mock.billed();
    assert.equal(billed.calls, out.filter((o) => o === 'ok').length);
    assert.equal(billed.errors, out.length - billed.calls);
    await mock.close();
    return out;
  }

  it('repeats for a seed, and mixes successes with 500s and 429s', async () => {
    const first = await outcomes(7);
    assert.deepEqual(await outcomes(7), first);
    assert.ok(first.includes('ok'));
    assert.ok(first.some((o) => o === '500' || o === '429'));
  });

  it('rejects a rate outside 0..1', async () => {
    await assert.rejects(startMockLlm({ errorRate: 2 }), RangeError);
  });
});

describe('CLI', () => {
  it('serves until SIGINT, then prints what it billed', async () => {
    const child = spawn(
      process.execPath,
      [new URL('../bin/mock-llm.js', import.meta.url).pathname, '--port', '0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    while (!/listening on (\S+)/.test(out)) await once(child.stdout, 'data');
    const url = /listening on (\S+)/.exec(out)![1]!;
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    assert.match(out, /billed 0 calls/);
  });

  it('rejects a bad option with exit code 2', async () => {
    const child = spawn(
      process.execPath,
      [new URL('../bin/mock-llm.js', import.meta.url).pathname, '--port', 'abc'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(err, /--port needs a non-negative number/);
  });
});
