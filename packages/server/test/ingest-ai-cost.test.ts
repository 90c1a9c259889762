import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { estimateCost } from '@sieve/sdk';
import { ingestOtlp } from '../src/server/pipeline.js';

const context = {
  headers: { 'content-type': 'application/json' },
  auth: { publicKey: 'k', allowAnonymous: true },
  limits: { maxDecompressedBytes: 1 << 20 },
};

function str(key: string, value: string) {
  return { key, value: { stringValue: value } };
}
function int(key: string, value: number) {
  return { key, value: { intValue: String(value) } };
}

function span(name: string, attributes: unknown[], spanId: string) {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId,
    name,
    kind: 3,
    startTimeUnixNano: '1795292833000000000',
    endTimeUnixNano: '1795292834000000000',
    attributes,
  };
}

async function ingest(spans: unknown[]) {
  const body = Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }));
  const { batch } = await ingestOtlp('traces', body, context);
  costUsd = new Map(batch.spans.map((s) => [s.name, s.costUsd]));
  return new Map(batch.spans.map((s) => [s.name, s.attributes]));
}

/** The normalised cost of each span of the last ingest, by name. */
let costUsd = new Map<string, number | null>();

describe('gen_ai.cost.* at ingest', () => {
  test("AI spans with model and tokens get the price table's cost; others and priced ones are left alone", async () => {
    const spans = await ingest([
      span(
        'chat claude-sonnet-4-6',
        [
          str('gen_ai.operation.name', 'chat'),
          str('gen_ai.request.model', 'claude-sonnet-4-6'),
          int('gen_ai.usage.input_tokens', 1000),
          int('gen_ai.usage.output_tokens', 200),
          int('gen_ai.usage.cache_read.input_tokens', 400),
        ],
        '00f067aa0ba902b1',
      ),
      span(
        'chat priced',
        [
          str('gen_ai.request.model', 'gpt-4o'),
          int('gen_ai.usage.input_tokens', 10),
          { key: 'gen_ai.cost.total_usd', value: { doubleValue: 9 } },
        ],
        '00f067aa0ba902b2',
      ),
      span(
        'chat unknown-model',
        [str('gen_ai.request.model', 'house-llm'), int('gen_ai.usage.input_tokens', 10)],
        '00f067aa0ba902b3',
      ),
      span(
        'ai.generateText',
        [
          str('ai.operationId', 'ai.generateText'),
          str('ai.model.id', 'gpt-4o-mini'),
          int('ai.usage.inputTokens', 10),
          int('ai.usage.outputTokens', 5),
        ],
        '00f067aa0ba902b4',
      ),
      span('GET /health', [str('http.request.method', 'GET')], '00f067aa0ba902b5'),
    ]);
    const expected = estimateCost(
      { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 400 },
      'claude-sonnet-4-6',
    )!;
    const claude = spans.get('chat claude-sonnet-4-6')!;
    assert.equal(claude['gen_ai.cost.input_usd'], expected.inputUsd);
    assert.equal(claude['gen_ai.cost.output_usd'], expected.outputUsd);
    assert.equal(claude['gen_ai.cost.total_usd'], expected.totalUsd);
    assert.ok(Math.abs(expected.totalUsd - (600 * 3 + 400 * 0.3 + 200 * 15) / 1e6) < 1e-12);
    assert.equal(spans.get('chat priced')!['gen_ai.cost.total_usd'], 9);
    assert.equal(spans.get('chat priced')!['gen_ai.cost.input_usd'], undefined);
    assert.equal(spans.get('chat unknown-model')!['gen_ai.cost.total_usd'], undefined);
    // The AI SDK's outer span sums its steps; its tokens are not counted, so it is not priced.
    assert.equal(spans.get('ai.generateText')!['gen_ai.cost.total_usd'], undefined);
    assert.equal(spans.get('GET /health')!['gen_ai.cost.total_usd'], undefined);
    // The normalised field follows the attribute, whether the server or the SDK priced the span.
    assert.deepEqual(Object.fromEntries(costUsd), {
      'chat claude-sonnet-4-6': expected.totalUsd,
      'chat priced': 9,
      'chat unknown-model': null,
      'ai.generateText': null,
      'GET /health': null,
    });
  });
});
