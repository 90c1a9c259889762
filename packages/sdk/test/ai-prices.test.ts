import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import {
  DEFAULT_PRICES,
  estimateCost,
  findPrice,
  getClient,
  type ModelPrice,
  PRICES_AS_OF,
  validatePriceTable,
} from '../src/index.js';
import { captureWarnings, setup, teardown } from './helpers.js';

afterEach(teardown);

describe('findPrice: which entry prices a model', () => {
  const cases: Array<[string, string | undefined]> = [
    ['gpt-4o', 'gpt-4o*'],
    ['gpt-4o-2024-08-06', 'gpt-4o*'],
    ['gpt-4o-mini', 'gpt-4o-mini*'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini*'],
    ['gpt-4.1', 'gpt-4.1'],
    ['gpt-4.1-2025-04-14', 'gpt-4.1'],
    ['gpt-4.1-mini', 'gpt-4.1-mini'],
    ['gpt-4.1-turbo-preview', undefined],
    ['o3', 'o3'],
    ['o3-mini-2025-01-31', 'o3-mini'],
    ['o3-pro', undefined],
    ['gpt-5-mini', 'gpt-5-mini'],
    ['gpt-5', 'gpt-5*'],
    ['text-embedding-3-small', 'text-embedding-3-small'],
    ['claude-sonnet-4-6', 'claude-sonnet-4*'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4*'],
    ['claude-opus-4-5-20251101', 'claude-opus-4-5*'],
    ['claude-opus-4-1', 'claude-opus-4*'],
    ['claude-haiku-4-5', 'claude-haiku-4*'],
    ['claude-3-5-haiku-latest', 'claude-3-5-haiku*'],
    ['openai/gpt-4o-mini', 'gpt-4o-mini*'],
    ['GPT-4O', 'gpt-4o*'],
    ['llama-3-70b', undefined],
    ['', undefined],
  ];
  for (const [model, pattern] of cases) {
    test(`${model || '(empty)'} → ${pattern ?? 'no price'}`, () => {
      assert.equal(findPrice(model)?.pattern, pattern);
    });
  }

  test('a plain name matches dated variants only, not longer names', () => {
    const table: ModelPrice[] = [{ pattern: 'my-model', input: 1, output: 2 }];
    assert.ok(findPrice('my-model-2025-01-02', table));
    assert.ok(findPrice('my-model-20250102', table));
    assert.ok(findPrice('my-model-latest', table));
    assert.equal(findPrice('my-model-large', table), undefined);
  });

  test('a RegExp pattern is used as it is', () => {
    const table: ModelPrice[] = [{ pattern: /^ft:gpt-4o-mini:/, input: 0.3, output: 1.2 }];
    assert.equal(findPrice('ft:gpt-4o-mini:acme::abc123', table)?.input, 0.3);
  });

  test('the built-in table is dated and valid', () => {
    assert.match(PRICES_AS_OF, /^\d{4}-\d{2}-\d{2}$/);
    assert.deepEqual(validatePriceTable([...DEFAULT_PRICES]), []);
  });
});

describe('estimateCost', () => {
  const table: ModelPrice[] = [
    { pattern: 'm', input: 2, output: 10, cachedInput: 0.5, cacheWrite: 2.5 },
    { pattern: 'plain', input: 1, output: 4 },
  ];
  const cases: Array<
    [string, Parameters<typeof estimateCost>[0], string, number | undefined, number | undefined]
  > = [
    ['input and output', { inputTokens: 1_000_000, outputTokens: 1_000_000 }, 'm', 2, 10],
    [
      'cached input is charged at the cached price',
      { inputTokens: 1_000_000, cachedInputTokens: 400_000 },
      'm',
      1.2 + 0.2,
      0,
    ],
    [
      'cache writes at their own price',
      { inputTokens: 1_000_000, cacheWriteInputTokens: 1_000_000 },
      'm',
      2.5,
      0,
    ],
    ['no cached price: input price', { inputTokens: 1_000_000, cachedInputTokens: 500_000 }, 'plain', 1, 0],
    ['cached beyond input is capped', { inputTokens: 100, cachedInputTokens: 1_000 }, 'm', 0.00005, 0],
    ['output only', { outputTokens: 500 }, 'm', 0, 0.005],
    ['negative counts count as zero', { inputTokens: -5, outputTokens: 1_000_000 }, 'm', 0, 10],
    ['no tokens: no estimate', {}, 'm', undefined, undefined],
    ['unknown model: no estimate', { inputTokens: 10 }, 'other', undefined, undefined],
  ];
  for (const [name, usage, model, input, output] of cases) {
    test(name, () => {
      const cost = estimateCost(usage, model, table);
      if (input === undefined) {
        assert.equal(cost, undefined);
        return;
      }
      assert.ok(cost);
      assert.ok(Math.abs(cost.inputUsd - input) < 1e-12, `input ${cost.inputUsd} vs ${input}`);
      assert.ok(Math.abs(cost.outputUsd - (output ?? 0)) < 1e-12, `output ${cost.outputUsd} vs ${output}`);
      assert.ok(Math.abs(cost.totalUsd - cost.inputUsd - cost.outputUsd) < 1e-15);
    });
  }

  test('the default table prices a real call', () => {
    const cost = estimateCost({ inputTokens: 1000, outputTokens: 500 }, 'claude-sonnet-4-6');
    assert.ok(cost);
    assert.ok(Math.abs(cost.totalUsd - (1000 * 3 + 500 * 15) / 1e6) < 1e-12);
  });
});

describe('validatePriceTable: every problem names its entry', () => {
  const cases: Array<[string, unknown, RegExp | undefined]> = [
    ['valid', [{ pattern: 'x*', input: 1, output: 2, cachedInput: 0.1, cacheWrite: 1.5 }], undefined],
    ['valid RegExp', [{ pattern: /^x/, input: 0, output: 0 }], undefined],
    ['not an array', { pattern: 'x' }, /must be an array/],
    [
      'negative price',
      [
        { pattern: 'a', input: 1, output: 1 },
        { pattern: 'gpt-x', input: -1, output: 2 },
      ],
      /entry 1 \("gpt-x"\): input must be a non-negative number/,
    ],
    ['missing output', [{ pattern: 'a', input: 1 }], /entry 0 \("a"\): output must be/],
    ['NaN price', [{ pattern: 'a', input: Number.NaN, output: 1 }], /entry 0 \("a"\): input/],
    ['string price', [{ pattern: 'a', input: '1', output: 1 }], /entry 0 \("a"\): input/],
    [
      'unknown field',
      [{ pattern: 'a', input: 1, output: 1, cached: 0.5 }],
      /entry 0 \("a"\): unknown field "cached"/,
    ],
    [
      'bad pattern text',
      [{ pattern: 'gpt 4o', input: 1, output: 1 }],
      /entry 0 \("gpt 4o"\): pattern must be a model name/,
    ],
    ['only wildcards', [{ pattern: '**', input: 1, output: 1 }], /entry 0 \("\*\*"\): pattern/],
    [
      'pattern missing',
      [{ input: 1, output: 1 }],
      /entry 0 \(undefined\): pattern must be a string or a RegExp/,
    ],
    ['entry not an object', ['gpt-4o'], /entry 0 must be an object/],
  ];
  for (const [name, table, expected] of cases) {
    test(name, () => {
      const problems = validatePriceTable(table);
      if (expected === undefined) assert.deepEqual(problems, []);
      else
        assert.ok(
          problems.some((p) => expected.test(p)),
          problems.join(' | '),
        );
    });
  }
});

describe('init({ ai: { prices } })', () => {
  test('user prices come first and extend the built-in table', () => {
    setup({
      ai: {
        prices: [
          { pattern: 'gpt-4o', input: 100, output: 100 },
          { pattern: 'house-model*', input: 1, output: 1 },
        ],
      },
    });
    const prices = getClient()!.options.prices;
    assert.equal(findPrice('gpt-4o', prices)?.input, 100);
    assert.equal(findPrice('house-model-7b', prices)?.input, 1);
    assert.equal(findPrice('gpt-4o-mini', prices)?.input, 0.15);
  });

  test('a bad table is rejected at init with a warning naming the entry; the built-in prices stay', () => {
    const warnings = captureWarnings(() =>
      setup({
        ai: {
          prices: [
            { pattern: 'ok', input: 1, output: 1 },
            { pattern: 'bad-model', input: -3, output: 1 },
          ],
        },
      }),
    );
    assert.ok(
      warnings.some((w) => /ai\.prices rejected/.test(w) && /entry 1 \("bad-model"\): input/.test(w)),
      warnings.join('\n'),
    );
    assert.equal(getClient()!.options.prices, DEFAULT_PRICES);
  });
});
