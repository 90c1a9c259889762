import { close, InMemorySpanProcessor, init, type ReadableSpan, type SieveOptions } from '../src/index.js';

/** A small deterministic PRNG (mulberry32) so statistical tests give the same result on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * init() with an in-memory processor that the test reads back. Instrumentation is off unless asked for.
 * Trace rescue too: these suites test head sampling as Sentry defines it (where a dropped root does not
 * record); the rescue suites (rescue*.test.ts) turn it on, or leave it at its default.
 */
export function setup(options: SieveOptions = {}): InMemorySpanProcessor {
  const memory = new InMemorySpanProcessor();
  init({
    httpServer: false,
    httpClient: false,
    fetch: false,
    rescue: false,
    dsn: 'http://pubkey@127.0.0.1:9/1',
    // Nothing leaves the process unless a test asks for a transport of its own.
    transport: () => ({ send: async () => ({ statusCode: 200 }), flush: async () => true }),
    ...options,
    spanProcessors: [memory, ...(options.spanProcessors ?? [])],
  });
  return memory;
}

export async function teardown(): Promise<void> {
  await close(0);
}

export function names(spans: readonly ReadableSpan[]): string[] {
  return spans.map((s) => s.name);
}

/** Parses a baggage header into its sentry- entries. */
export function sentryBaggage(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const member of (header ?? '').split(',')) {
    const eq = member.indexOf('=');
    const key = member.slice(0, eq).trim();
    if (key.startsWith('sentry-')) out[key.slice(7)] = decodeURIComponent(member.slice(eq + 1).trim());
  }
  return out;
}

/** Runs `fn` with console.warn captured; returns what was warned. */
export function captureWarnings(fn: () => void): string[] {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (message: string) => void warnings.push(message);
  try {
    fn();
  } finally {
    console.warn = original;
  }
  return warnings;
}
