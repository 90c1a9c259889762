import { isGenAiStart } from '../rescue/triggers.js';
import type { SamplingContext, TracesSampler } from '../types.js';

export interface AiFirstOptions {
  /** Paths of HTTP routes that serve AI features; a root whose name or path contains one is kept. */
  routes?: ReadonlyArray<string | RegExp>;
  /** Rate for everything else without an upstream decision. Default 0.1. */
  fallback?: number;
  /** Honour an upstream decision (inheritOrSampleWith) for non-AI roots. Default true. */
  inherit?: boolean;
}

function isAiRoot(context: SamplingContext): boolean {
  return isGenAiStart(context.op, context.attributes);
}

function matches(candidate: unknown, route: string | RegExp): boolean {
  if (typeof candidate !== 'string') return false;
  return typeof route === 'string' ? candidate.includes(route) : route.test(candidate);
}

function matchesRoute(context: SamplingContext, routes: ReadonlyArray<string | RegExp>): boolean {
  const request = context.request;
  for (const route of routes) {
    if (matches(context.name, route) || matches(request?.path, route) || matches(request?.route, route))
      return true;
  }
  return false;
}

/**
 * The seeds' sampler, ready-made: keep every `gen_ai` root (agent runs started by crons, queues, CLIs)
 * and every root on an AI route at 1.0; sample the rest at `fallback`, inheriting an upstream decision.
 */
export function aiFirst(options: AiFirstOptions = {}): TracesSampler {
  const routes = options.routes ?? [];
  const fallback = options.fallback ?? 0.1;
  const inherit = options.inherit ?? true;
  return (context) => {
    if (isAiRoot(context)) return 1;
    if (routes.length > 0 && matchesRoute(context, routes)) return 1;
    return inherit ? context.inheritOrSampleWith(fallback) : fallback;
  };
}

export interface RouteRatesOptions {
  /** Path (exact, or a RegExp) → rate, first match wins; e.g. { '/payment': 0.5, '/health': 0 }. */
  rates: ReadonlyArray<readonly [string | RegExp, number]>;
  /** Rate for roots no entry matches. */
  fallback: number;
  /** Honour an upstream decision for roots no entry matches. Default true. */
  inherit?: boolean;
}

/** The Java seed's sampler: a rate per request path, a default for the rest. */
export function routeRates(options: RouteRatesOptions): TracesSampler {
  const inherit = options.inherit ?? true;
  return (context) => {
    const path = context.request?.path ?? pathOfName(context.name);
    if (path !== undefined) {
      for (const [route, rate] of options.rates) {
        if (typeof route === 'string' ? path === route : route.test(path)) return rate;
      }
    }
    return inherit ? context.inheritOrSampleWith(options.fallback) : options.fallback;
  };
}

/** `GET /search` → `/search`; names that are not `METHOD /path` have no path. */
function pathOfName(name: string): string | undefined {
  const space = name.indexOf(' ');
  const path = space < 0 ? name : name.slice(space + 1);
  return path.startsWith('/') ? path : undefined;
}
