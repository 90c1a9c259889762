// Mixed, realistic load on the demo service: weighted routes, N concurrent users, for a number of
// requests or a duration, or until aborted. Seeded, so a run's mix repeats.
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '@sieve/mock-llm';
import { CHAT_VARIANTS } from './chat.js';

export const ROUTE_NAMES = ['chat', 'agent', 'recommendations', 'search', 'payment', 'health'] as const;
export type RouteName = (typeof ROUTE_NAMES)[number];

export const DEFAULT_WEIGHTS: Record<RouteName, number> = {
  chat: 20,
  agent: 15,
  recommendations: 10,
  search: 30,
  payment: 10,
  health: 15,
};

export interface TrafficOptions {
  baseUrl: string;
  weights?: Partial<Record<RouteName, number>>;
  /** Concurrent simulated users (default 4). */
  concurrency?: number;
  /** Stop after this many requests in all. */
  requests?: number;
  /** Stop after this long. */
  durationMs?: number;
  /** Pause of each user between requests (default 0). */
  thinkTimeMs?: number;
  /** Share of LLM requests that ask the mock for a fault ([[mock:error=429]], a cut stream…); default 0. */
  faultRate?: number;
  seed?: number;
  signal?: AbortSignal;
  /** Called after each request with its route and status (for progress lines). */
  onResult?: (route: RouteName, status: string) => void;
}

export interface AgentRun {
  traceId: string | undefined;
  agents: string[];
  llmCalls: number;
  toolCalls: number;
  handoffs: number;
}

export interface TrafficReport {
  sent: Record<RouteName, number>;
  /** HTTP status (or 'network') → count, per route. */
  statuses: Record<RouteName, Record<string, number>>;
  /** Every /api/agent run that answered 200. */
  agentRuns: AgentRun[];
  elapsedMs: number;
}

const QUESTIONS = [
  'My parcel to Berlin is late, is the weather the reason?',
  'I was charged twice for order 1234, can I get a refund?',
  'How long does express shipping take?',
  'Can I still change the size on my order?',
  'Where do I download the invoice for my last order?',
  'Is it raining in Lisbon today? My delivery is due.',
  'Please get_weather for Oslo and search_docs about weather delays.',
  'lookup_order 88 and search_docs for the refund policy, then tell me when my money arrives.',
  'The payment failed but my card was debited. What now?',
  'Do you ship to Tokyo, and how long does it take?',
];
const CHAT_MESSAGES = [
  'Suggest a gift for a friend who runs marathons.',
  'What should I pack for a rainy weekend in London?',
  'Write a two-line product blurb for a travel mug.',
  'Which backpack size fits a 15 inch laptop?',
  'Explain the difference between standard and express shipping.',
];
const QUERIES = ['refund', 'shipping times', 'invoice', 'change order', 'weather delay', 'double charge'];
const FAULTS = ['[[mock:error=429]]', '[[mock:error=500]]', '[[mock:error=400]]', '[[mock:broken-stream]]'];

/** Picks a route for a uniform draw `u` in [0, 1) by weight. Pure, for the unit table. */
export function pickRoute(weights: Record<RouteName, number>, u: number): RouteName {
  const total = ROUTE_NAMES.reduce((sum, r) => sum + Math.max(0, weights[r]), 0);
  if (!(total > 0)) throw new RangeError('traffic weights must have a positive sum');
  let x = u * total;
  for (const route of ROUTE_NAMES) {
    x -= Math.max(0, weights[route]);
    if (x < 0) return route;
  }
  return ROUTE_NAMES.findLast((r) => weights[r] > 0)!;
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

interface Request {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

function requestFor(route: RouteName, random: () => number, faultRate: number): Request {
  const fault = () => (random() < faultRate ? ` ${pick(FAULTS, random)}` : '');
  switch (route) {
    case 'chat':
      return {
        method: 'POST',
        path: '/api/chat',
        body: { message: pick(CHAT_MESSAGES, random) + fault(), variant: pick(CHAT_VARIANTS, random) },
      };
    case 'agent':
      return {
        method: 'POST',
        path: '/api/agent',
        // A few customers, each in a few conversations.
        body: {
          question: pick(QUESTIONS, random) + fault(),
          conversationId: `conv-${Math.floor(random() * 40)}`,
        },
      };
    case 'recommendations':
      return { method: 'POST', path: '/recommendations', body: { query: pick(CHAT_MESSAGES, random) } };
    case 'search':
      return { method: 'GET', path: `/search?q=${encodeURIComponent(pick(QUERIES, random))}` };
    case 'payment':
      return { method: 'POST', path: '/payment', body: { amount: 10 + Math.floor(random() * 200) } };
    case 'health':
      return { method: 'GET', path: '/health' };
  }
}

export async function runTraffic(options: TrafficOptions): Promise<TrafficReport> {
  const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
  const random = seededRandom(options.seed ?? 1);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const faultRate = options.faultRate ?? 0;
  const started = performance.now();
  const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : started + options.durationMs;
  const report: TrafficReport = {
    sent: Object.fromEntries(ROUTE_NAMES.map((r) => [r, 0])) as Record<RouteName, number>,
    statuses: Object.fromEntries(ROUTE_NAMES.map((r) => [r, {}])) as TrafficReport['statuses'],
    agentRuns: [],
    elapsedMs: 0,
  };
  let issued = 0;
  const more = () =>
    !options.signal?.aborted &&
    performance.now() < deadline &&
    (options.requests === undefined || issued < options.requests);

  async function user(): Promise<void> {
    while (more()) {
      issued++;
      const route = pickRoute(weights, random());
      const request = requestFor(route, random, faultRate);
      report.sent[route]++;
      let status: string;
      try {
        const response = await fetch(options.baseUrl + request.path, {
          method: request.method,
          headers: request.body === undefined ? {} : { 'content-type': 'application/json' },
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          signal: options.signal,
        });
        status = String(response.status);
        const text = await response.text();
        if (route === 'agent' && response.status === 200) {
          const run = JSON.parse(text) as AgentRun;
          report.agentRuns.push({
            traceId: run.traceId,
            agents: run.agents,
            llmCalls: run.llmCalls,
            toolCalls: run.toolCalls,
            handoffs: run.handoffs,
          });
        }
      } catch {
        status = options.signal?.aborted ? 'aborted' : 'network';
      }
      const counts = report.statuses[route];
      counts[status] = (counts[status] ?? 0) + 1;
      options.onResult?.(route, status);
      if (options.thinkTimeMs)
        await sleep(options.thinkTimeMs, undefined, { signal: options.signal }).catch(() => {});
    }
  }

  await Promise.all(Array.from({ length: concurrency }, user));
  report.elapsedMs = performance.now() - started;
  return report;
}

/** One line per route: sent, and the statuses seen. */
export function formatReport(report: TrafficReport): string {
  const lines = ROUTE_NAMES.map((route) => {
    const statuses = Object.entries(report.statuses[route])
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    return `  ${route.padEnd(16)} ${String(report.sent[route]).padStart(5)}  ${statuses}`;
  });
  return `${lines.join('\n')}\n  agent runs answered: ${report.agentRuns.length} in ${(report.elapsedMs / 1000).toFixed(1)} s`;
}
