import { estimateCost, type PriceTable } from '@sieve/sdk';
import type { SpanRow } from '../model.js';

/**
 * Puts the estimated cost (`gen_ai.cost.input_usd`, `gen_ai.cost.output_usd`, `gen_ai.cost.total_usd`)
 * on AI spans that have a model and token counts but no cost yet, with the SDK's price table (the same
 * arithmetic as the SDK's cost metric). Spans a Sieve SDK already priced keep their figures. Tokens are
 * the normalised ones, so a Vercel AI SDK outer span (whose tokens are left out to avoid double counting)
 * gets no cost either. The normalised `costUsd` follows the attribute (AI normalisation read the SDK's).
 */
export function addAiCosts(spans: SpanRow[], prices?: PriceTable): void {
  for (const span of spans) {
    if (span.model === null || (span.inputTokens === null && span.outputTokens === null)) continue;
    const attributes = span.attributes;
    if (attributes['gen_ai.cost.total_usd'] !== undefined) continue;
    const cost = estimateCost(
      {
        inputTokens: span.inputTokens ?? undefined,
        outputTokens: span.outputTokens ?? undefined,
        cachedInputTokens: span.cachedInputTokens ?? undefined,
      },
      span.model,
      prices,
    );
    if (cost === undefined) continue;
    attributes['gen_ai.cost.input_usd'] = cost.inputUsd;
    attributes['gen_ai.cost.output_usd'] = cost.outputUsd;
    attributes['gen_ai.cost.total_usd'] = cost.totalUsd;
    span.costUsd = cost.totalUsd;
  }
}
