import { samplers, type TracesSampler } from '@sieve/sdk';

/** Routes that serve AI features: every request there is traced (the seed's "keep every agent run"). */
export const AI_ROUTES = ['/api/chat', '/api/agent'] as const;

/**
 * The seeds' samplers combined: `gen_ai` roots and AI routes at 1.0 (`samplers.aiFirst`), `/health`
 * never (`samplers.routeRates`), everything else at `fallback`, an upstream decision honoured.
 */
export function demoSampler(fallback = 0.2): TracesSampler {
  // With fallback 0 and no inheritance, aiFirst says 1 exactly for AI roots and AI routes.
  const ai = samplers.aiFirst({ routes: AI_ROUTES, fallback: 0, inherit: false });
  const rest = samplers.routeRates({ rates: [['/health', 0]], fallback });
  return (context) => (ai(context) === 1 ? 1 : rest(context));
}
