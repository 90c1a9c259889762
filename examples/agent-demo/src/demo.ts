// The demo's parts wired together: tracing, the mock LLM server, the real clients and the service.
import Anthropic from '@anthropic-ai/sdk';
import { type MockLlmOptions, type MockLlmProcess, spawnMockLlm } from '@sieve/mock-llm';
import { init, type SpanProcessor } from '@sieve/sdk';
import OpenAI from 'openai';
import { demoSampler } from './sampler.js';
import { type Service, startService } from './service.js';

export interface TracingOptions {
  /** Where spans, logs and metrics go (a Sentry-style DSN; `sieve serve` prints one). */
  dsn?: string;
  /** Head-sampling rate for routes that are neither AI routes nor /health (default 0.2). */
  fallbackRate?: number;
  spanProcessors?: SpanProcessor[];
  /** Trace rescue (the SDK's default: on): keep a dropped trace whole once it makes an LLM call or fails. */
  rescue?: boolean;
}

export function initTracing(options: TracingOptions = {}): void {
  init({
    // Without a dsn the SDK reads SIEVE_DSN (then SENTRY_DSN) from the environment.
    ...(options.dsn === undefined ? {} : { dsn: options.dsn }),
    tracesSampler: demoSampler(options.fallbackRate ?? 0.2),
    spanProcessors: options.spanProcessors,
    ...(options.rescue === undefined ? {} : { rescue: options.rescue }),
    environment: 'demo',
    release: 'agent-demo@0.0.0',
  });
}

export interface Demo {
  mock: MockLlmProcess;
  service: Service;
  close(): Promise<void>;
}

export async function startDemo(
  options: { mock?: MockLlmOptions; port?: number; paymentFailureRate?: number; maxRetries?: number } = {},
): Promise<Demo> {
  // The mock runs in its own process, like a real provider: traced in this one, its HTTP server's
  // spans would show up inside the demo's traces.
  const mock = await spawnMockLlm(options.mock);
  // The official clients, unchanged but for where they send requests.
  const openai = new OpenAI({
    baseURL: mock.openaiBaseURL,
    apiKey: 'demo-key',
    maxRetries: options.maxRetries,
  });
  const anthropic = new Anthropic({
    baseURL: mock.anthropicBaseURL,
    apiKey: 'demo-key',
    maxRetries: options.maxRetries,
  });
  let service: Service;
  try {
    service = await startService({
      openai,
      anthropic,
      port: options.port,
      paymentFailureRate: options.paymentFailureRate,
    });
  } catch (error) {
    await mock.close();
    throw error;
  }
  return {
    mock,
    service,
    close: async () => {
      await service.close();
      await mock.close();
    },
  };
}
