/**
 * The Vercel AI SDK (`ai`) with a mock provider: gen_ai spans through the OpenTelemetry bridge, kept at
 * 100 % by samplers.aiFirst, and per-call metrics and log for its provider calls, sampled or not.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { embed, generateText, streamText } from 'ai';
import { MockEmbeddingModelV3, MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import { samplers, startSpan, uninstallOpenTelemetryBridge } from '../src/index.js';
import { capture, tokensOf } from './ai-helpers.js';
import { teardown } from './helpers.js';

const USAGE = {
  inputTokens: { total: 120, noCache: 100, cacheRead: 20, cacheWrite: undefined },
  outputTokens: { total: 30, text: 30, reasoning: undefined },
};

function model(): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    provider: 'openai.chat',
    modelId: 'gpt-4o-mini',
    doGenerate: async () => ({
      content: [{ type: 'text', text: 'Sunny in Paris' }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: USAGE,
      warnings: [],
    }),
    doStream: async () => ({
      stream: simulateReadableStream({
        chunks: [
          { type: 'text-start', id: '1' },
          { type: 'text-delta', id: '1', delta: 'Sunny' },
          { type: 'text-end', id: '1' },
          { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: USAGE },
        ],
      }),
    }),
  });
}

const telemetry = { isEnabled: true, functionId: 'weather' };

beforeEach(() => uninstallOpenTelemetryBridge());
afterEach(async () => {
  await teardown();
  uninstallOpenTelemetryBridge();
});

describe('Vercel AI SDK through the OpenTelemetry bridge', () => {
  test('samplers.aiFirst keeps generateText and streamText roots at 100 % with fallback 0', async () => {
    const c = capture({ tracesSampler: samplers.aiFirst({ fallback: 0 }) });
    for (let i = 0; i < 20; i++) {
      await generateText({ model: model(), prompt: 'Weather?', experimental_telemetry: telemetry });
      await streamText({
        model: model(),
        prompt: 'Weather?',
        experimental_telemetry: telemetry,
      }).consumeStream();
    }
    await startSpan({ name: 'GET /health' }, () => undefined);
    const spans = c.spans();
    assert.equal(spans.filter((s) => s.name === 'ai.generateText').length, 20);
    assert.equal(spans.filter((s) => s.name === 'ai.streamText.doStream').length, 20);
    assert.equal(spans.filter((s) => s.name === 'GET /health').length, 0);
    const call = spans.find((s) => s.name === 'ai.generateText.doGenerate')!;
    assert.equal(call.attributes['gen_ai.request.model'], 'gpt-4o-mini');
    assert.equal(call.attributes['gen_ai.usage.input_tokens'], 120);
    assert.equal(
      call.parentSpanId,
      spans.find((s) => s.name === 'ai.generateText' && s.traceId === call.traceId)?.spanId,
    );
  });

  test('each provider call gets the per-call metrics and log, sampled', async () => {
    const c = capture({ tracesSampleRate: 1 });
    await generateText({ model: model(), prompt: 'Weather?', experimental_telemetry: telemetry });
    await streamText({
      model: model(),
      prompt: 'Weather?',
      experimental_telemetry: telemetry,
    }).consumeStream();
    // Inner calls only: the outer spans' sums are not counted again.
    assert.equal(tokensOf(c, 'input'), 240);
    assert.equal(tokensOf(c, 'output'), 60);
    const usage = c.metrics.find((m) => m.name === 'gen_ai.client.token.usage')!;
    assert.equal(usage.attributes['gen_ai.provider.name'], 'openai');
    assert.equal(usage.attributes['gen_ai.request.model'], 'gpt-4o-mini');
    assert.equal(usage.attributes['gen_ai.operation.name'], 'generate_content');
    const inner = c.spans().find((s) => s.name === 'ai.generateText.doGenerate')!;
    assert.equal(usage.spanId, inner.spanId);
    assert.equal(c.metrics.filter((m) => m.name === 'gen_ai.client.token.cached_input').length, 2);
    assert.equal(c.metrics.filter((m) => m.name === 'gen_ai.client.operation.time_to_first_chunk').length, 1);
    assert.ok(c.metrics.some((m) => m.name === 'gen_ai.client.cost' && m.value > 0));
    assert.deepEqual(
      c.logs.map((l) => [
        l.body,
        l.attributes.model,
        l.attributes.input_tokens,
        l.attributes.output_tokens,
        l.attributes.status,
      ]),
      [
        ['LLM call completed', 'gpt-4o-mini', 120, 30, 'success'],
        ['LLM call completed', 'gpt-4o-mini', 120, 30, 'success'],
      ],
    );
  });

  test('unsampled calls are measured the same, without spans', async () => {
    const c = capture({ tracesSampleRate: 0 });
    await startSpan({ name: 'POST /api/chat' }, async () => {
      await generateText({ model: model(), prompt: 'Weather?', experimental_telemetry: telemetry });
      await streamText({
        model: model(),
        prompt: 'Weather?',
        experimental_telemetry: telemetry,
      }).consumeStream();
    });
    assert.equal(c.spans().length, 0);
    assert.equal(tokensOf(c, 'input'), 240);
    assert.equal(tokensOf(c, 'output'), 60);
    assert.equal(c.logs.length, 2);
    for (const m of c.metrics.filter((x) => x.name === 'gen_ai.client.token.usage'))
      assert.equal(m.attributes['http.route'], '/api/chat');
  });

  test('embeddings count input tokens; a failing call is measured as an error', async () => {
    const c = capture({ tracesSampleRate: 0.5 });
    const embedder = new MockEmbeddingModelV3({
      provider: 'openai.embedding',
      modelId: 'text-embedding-3-small',
      doEmbed: async () => ({ embeddings: [[0.1, 0.2]], usage: { tokens: 7 }, warnings: [] }),
    });
    await embed({ model: embedder, value: 'hello', experimental_telemetry: telemetry });
    const failing = new MockLanguageModelV3({
      doGenerate: async () => {
        throw new TypeError('model exploded');
      },
    });
    await assert.rejects(
      generateText({ model: failing, prompt: 'Hi', maxRetries: 0, experimental_telemetry: telemetry }),
      TypeError,
    );
    assert.equal(tokensOf(c, 'input'), 7);
    assert.deepEqual(
      c.logs.map((l) => [l.attributes.operation, l.attributes.status]),
      [
        ['embeddings', 'success'],
        ['generate_content', 'error'],
      ],
    );
  });
});
