import type { TracesSampler } from '@sieve/sdk';

/**
 * Both seeds in one sampler: gen_ai roots and AI routes at 1.0 (seed 1), a rate per route for the rest
 * (seed 2), and the upstream decision honoured everywhere else so traces stay whole.
 */
export const demoSampler: TracesSampler = ({ name, attributes, request, inheritOrSampleWith }) => {
  if (attributes?.['gen_ai.operation.name']) return 1.0;
  // HTTP roots carry the request; other roots named like `GET /health` are matched on their name's path.
  const path = request?.path ?? name.slice(name.indexOf(' ') + 1);
  if (path.includes('/api/chat') || path.includes('/api/agent') || path.includes('/api/generate')) return 1.0;
  if (path === '/health') return 0;
  if (path === '/payment') return 0.5;
  if (path === '/search') return 0.01;
  return inheritOrSampleWith(0.2);
};
