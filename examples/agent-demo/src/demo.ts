// The demo's parts wired together: tracing, the mock LLM server, the real clients and the service.
import Anthropic from '@anthropic-ai/sdk';
import { type MockLlm, type MockLlmOptions, startMockLlm } from '@sieve/mock-llm';
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
}

export function initTracing(options: TracingOptions = {}): void {
  init({
    // Without a dsn the SDK reads SIEVE_DSN (then SENTRY_DSN) from the environment.
    ...(options.dsn === undefined ? {} : { dsn: options.dsn }),
    tracesSampler: demoSampler(options.fallbackRate ?? 0.2),
    spanProcessors: options.spanProcessors,
    environment: 'demo',
    release: 'agent-demo@0.0.0',
  });
}

export interface Demo {
  mock: MockLlm;
  service: Service;
  close(): Promise<void>;
}

export async function startDemo(
  options: { mock?: MockLlmOptions; port?: number; paymentFailureRate?: number; maxRetries?: number } = {},
): Promise<Demo> {
  const mock = await startMockLlm(options.mock);
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
  const service = await startService({
    openai,
    anthropic,
    port: options.port,
    paymentFailureRate: options.paymentFailureRate,
  });
  return {
    mock,
    service,
    close: async () => {
      await service.close();
      await mock.close();
    },
  };
}
