import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { boundedJson, MAX_PART_CHARS, partOf } from '../src/ai/content.js';
import { type CallMeasurement, logAttributes, measurementPoints } from '../src/index.js';

const base: CallMeasurement = {
  operation: 'chat',
  provider: 'openai',
  requestModel: 'gpt-4o-mini',
  responseModel: 'gpt-4o-mini-2024-07-18',
  route: '/api/chat',
  usage: { inputTokens: 100, outputTokens: 20, cachedInputTokens: 40 },
  durationMs: 1500,
  timeToFirstChunkMs: undefined,
  costUsd: 0.0001,
  status: 'success',
  errorType: undefined,
  usageMissing: false,
};

function points(m: CallMeasurement): string[] {
  return measurementPoints(m).map(
    (p) =>
      `${p.name}${p.attributes['gen_ai.token.type'] ? `[${p.attributes['gen_ai.token.type']}]` : ''}=${p.value} ${p.unit}`,
  );
}

describe('measurementPoints: the metrics of one call', () => {
  const cases: Array<[string, CallMeasurement, string[]]> = [
    [
      'a complete call',
      base,
      [
        'gen_ai.client.token.usage[input]=100 {token}',
        'gen_ai.client.token.usage[output]=20 {token}',
        'gen_ai.client.token.cached_input=40 {token}',
        'gen_ai.client.operation.duration=1.5 s',
        'gen_ai.token_usage=120 none',
        'gen_ai.latency=1500 millisecond',
        'gen_ai.client.cost=0.0001 usd',
      ],
    ],
    [
      'a stream: time to first chunk',
      { ...base, usage: { inputTokens: 5, outputTokens: 1 }, timeToFirstChunkMs: 250, costUsd: undefined },
      [
        'gen_ai.client.token.usage[input]=5 {token}',
        'gen_ai.client.token.usage[output]=1 {token}',
        'gen_ai.client.operation.duration=1.5 s',
        'gen_ai.client.operation.time_to_first_chunk=0.25 s',
        'gen_ai.token_usage=6 none',
        'gen_ai.latency=1500 millisecond',
      ],
    ],
    [
      'an error: duration and latency only',
      { ...base, usage: undefined, costUsd: undefined, status: 'error', errorType: 'RateLimitError' },
      ['gen_ai.client.operation.duration=1.5 s', 'gen_ai.latency=1500 millisecond'],
    ],
    [
      'embeddings: input only',
      { ...base, operation: 'embeddings', usage: { inputTokens: 8 }, costUsd: undefined },
      [
        'gen_ai.client.token.usage[input]=8 {token}',
        'gen_ai.client.operation.duration=1.5 s',
        'gen_ai.token_usage=8 none',
        'gen_ai.latency=1500 millisecond',
      ],
    ],
  ];
  for (const [name, m, expected] of cases) test(name, () => assert.deepEqual(points(m), expected));

  test("OpenTelemetry names carry OpenTelemetry attributes; the seed names carry the seed's", () => {
    const all = measurementPoints({ ...base, status: 'error', errorType: 'APIError' });
    const usage = all.find((p) => p.name === 'gen_ai.client.token.usage')!;
    assert.deepEqual(usage.attributes, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'http.route': '/api/chat',
      'error.type': 'APIError',
      'gen_ai.token.type': 'input',
    });
    const seed = all.find((p) => p.name === 'gen_ai.token_usage')!;
    assert.deepEqual(seed.attributes, {
      model: 'gpt-4o-mini-2024-07-18',
      provider: 'openai',
      endpoint: '/api/chat',
      status: 'error',
    });
  });

  test('the log', () => {
    assert.deepEqual(logAttributes({ ...base, conversationId: 'c1' }), {
      model: 'gpt-4o-mini-2024-07-18',
      provider: 'openai',
      operation: 'chat',
      endpoint: '/api/chat',
      input_tokens: 100,
      output_tokens: 20,
      cached_input_tokens: 40,
      total_tokens: 120,
      latency_ms: 1500,
      cost_usd: 0.0001,
      status: 'success',
      'gen_ai.conversation.id': 'c1',
    });
    assert.equal(logAttributes({ ...base, usage: undefined, usageMissing: true }).usage_missing, true);
  });
});

describe('content bounds', () => {
  test('a long part is cut with a marker', () => {
    const part = partOf('x'.repeat(MAX_PART_CHARS + 10));
    assert.equal(part.content?.length, MAX_PART_CHARS + '…[10 more characters]'.length);
  });

  test('binary parts are never copied', () => {
    assert.deepEqual(partOf({ type: 'image', source: { data: 'AAAA' } }), {
      type: 'blob',
      content: '[image]',
    });
  });

  test('too many messages: the oldest go first, the JSON stays valid', () => {
    const messages = Array.from({ length: 50 }, (_, i) => ({
      role: 'user',
      parts: [{ type: 'text', content: `${i} ${'y'.repeat(1000)}` }],
    }));
    const json = boundedJson(messages, 10_000);
    assert.ok(json.length <= 10_000);
    const kept = JSON.parse(json);
    assert.equal(kept.at(-1).parts[0].content, messages.at(-1)!.parts[0]!.content);
    assert.ok(kept.length < 50);
  });
});
