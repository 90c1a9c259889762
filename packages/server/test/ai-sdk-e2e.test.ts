/**
 * The AI instrumentation end to end: the real `openai` and `@anthropic-ai/sdk` clients, instrumented by
 * `@sieve/sdk`, call `@sieve/mock-llm`; head sampling keeps about half the traces; everything goes to a real
 * `sieve serve`. The stored token metrics total exactly what the mock server billed, for sampled and
 * unsampled calls alike, and stored LLM spans carry their cost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { type MockLlm, startMockLlm } from '@sieve/mock-llm';
import * as Sieve from '@sieve/sdk';
import OpenAI from 'openai';
import type { RunningServer } from '../src/cli.js';
import { eventually, getJson, startTestServer } from './helpers.js';

let server: RunningServer;
let mock: MockLlm;

before(async () => {
  server = await startTestServer();
  mock = await startMockLlm({ seed: 3 });
});
after(async () => {
  await mock.close();
  await server.stop();
});

/** A small deterministic PRNG (mulberry32): the same traces are kept on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Series {
  group: string | null;
  points: Array<{ sum?: number; count?: number }>;
}

async function metricSums(
  name: string,
  groupBy: string,
): Promise<Map<string | null, { sum: number; count: number }>> {
  const { body } = await getJson<{ series: Series[] }>(
    server,
    `/api/v1/metrics?name=${name}&aggregates=sum,count&groupBy=${encodeURIComponent(groupBy)}&from=0`,
  );
  const out = new Map<string | null, { sum: number; count: number }>();
  for (const s of body.series) {
    const total = { sum: 0, count: 0 };
    for (const p of s.points) {
      total.sum += p.sum ?? 0;
      total.count += p.count ?? 0;
    }
    out.set(s.group, total);
  }
  return out;
}

describe('@sieve/sdk AI instrumentation → sieve serve', () => {
  test('stored token metrics equal what the mock billed, sampled or not; LLM spans carry cost', async () => {
    Sieve.init({
      dsn: server.dsn,
      tracesSampleRate: 0.5,
      random: seeded(11),
      // Plain head sampling, so about half the calls are unsampled (trace rescue would keep every trace
      // holding an LLM call, docs/rescue.md).
      rescue: false,
      httpServer: false,
      httpClient: false,
      fetch: false,
    });
    await Sieve.aiInstrumentationReady();
    const openai = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: 'test', maxRetries: 0 });
    const CALLS = 24;
    let failures = 0;
    for (let i = 0; i < CALLS; i++) {
      const marker = i % 8 === 5 ? '[[mock:error=500]] ' : i % 8 === 6 ? '[[mock:no-usage]] ' : '';
      await Sieve.startSpan({ name: `job ${i}`, op: 'queue.process' }, async () => {
        try {
          switch (i % 4) {
            case 0:
              await openai.chat.completions.create({
                model: 'gpt-4o-mini',
                messages: [{ role: 'user', content: `${marker}Weather ${i}?` }],
              });
              break;
            case 1:
              for await (const _ of await openai.chat.completions.create({
                model: 'gpt-4o-mini',
                messages: [{ role: 'user', content: `${marker}Stream ${i}` }],
                stream: true,
                stream_options: { include_usage: true },
              }));
              break;
            case 2:
              await anthropic.messages.create({
                model: 'claude-sonnet-4-6',
                max_tokens: 200,
                messages: [{ role: 'user', content: `${marker}Weather ${i}?` }],
              });
              break;
            default:
              await anthropic.messages
                .stream({
                  model: 'claude-haiku-4-5',
                  max_tokens: 200,
                  messages: [{ role: 'user', content: `${marker}Stream ${i}` }],
                })
                .finalMessage();
          }
        } catch {
          failures++;
        }
      });
    }
    assert.equal(await Sieve.flush(5000), true);
    await Sieve.close(2000);
    const billed = mock.billed();
    assert.ok(
      failures > 0 && billed.calls > 0 && billed.calls < CALLS,
      `${failures} failures, ${billed.calls} billed`,
    );

    const tokens = await eventually(async () => {
      const sums = await metricSums('gen_ai.client.token.usage', 'gen_ai.token.type');
      const count = (sums.get('input')?.count ?? 0) + (sums.get('output')?.count ?? 0);
      return count >= 2 * billed.calls ? sums : undefined;
    });
    assert.equal(tokens.get('input')?.sum, billed.inputTokens);
    assert.equal(tokens.get('output')?.sum, billed.outputTokens);
    const seed = await metricSums('gen_ai.token_usage', 'model');
    let total = 0;
    for (const [model, { sum }] of seed) {
      total += sum;
      assert.equal(
        sum,
        billed.byModel[model!]!.inputTokens + billed.byModel[model!]!.outputTokens,
        String(model),
      );
    }
    assert.equal(total, billed.inputTokens + billed.outputTokens);
    const logs = await getJson<{ logs: Array<{ body: string }> }>(
      server,
      '/api/v1/logs?q=LLM%20call%20completed&limit=100',
    );
    assert.equal(logs.body.logs.length, CALLS);

    // About half the traces were kept: their LLM spans are stored with tokens and cost.
    const { body } = await getJson<{ traces: Array<{ traceId: string }> }>(
      server,
      '/api/v1/traces?hasAi=true&from=0&limit=100',
    );
    assert.ok(body.traces.length > 0 && body.traces.length < CALLS, `${body.traces.length} traces kept`);
    const detail = await getJson<{ spans: Array<{ op: string; attributes: Record<string, unknown> }> }>(
      server,
      `/api/v1/traces/${body.traces[0]!.traceId}`,
    );
    const call = detail.body.spans.find((s) => s.op === 'gen_ai.chat')!;
    assert.ok(call, 'the kept trace has its LLM span');
    if (call.attributes['gen_ai.usage.output_tokens'] !== undefined)
      assert.equal(typeof call.attributes['gen_ai.cost.total_usd'], 'number');
  });
});
