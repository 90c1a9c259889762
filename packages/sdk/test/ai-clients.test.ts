/**
 * The real `openai` and `@anthropic-ai/sdk` clients against the mock LLM server (@sieve/mock-llm), with
 * and without Sieve's instrumentation: spans, metrics and logs per call, streams, errors, content only
 * when enabled, and results identical to an uninstrumented client's.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { type MockLlm, startMockLlm } from '@sieve/mock-llm';
import OpenAI, { APIPromise } from 'openai';
import {
  aiInstrumentationErrors,
  aiInstrumentationReady,
  instrumentOpenAI,
  type MetricRecord,
  type ReadableSpan,
  recordHandoff,
  type SamplingContext,
  samplers,
  startAgentRun,
  startSpan,
  startToolCall,
} from '../src/index.js';
import { type Captured, capture, tokensOf } from './ai-helpers.js';
import { setup, teardown } from './helpers.js';

let mock: MockLlm;
let openai: OpenAI;
let anthropic: Anthropic;
const LONG_SYSTEM =
  'You are a careful assistant for the weather desk. Answer in one short sentence, name the city, and never invent numbers you were not given.';

function aiSpans(c: Captured): ReadableSpan[] {
  return c.spans().filter((s) => s.op?.startsWith('gen_ai.'));
}

function onlyAiSpan(c: Captured): ReadableSpan {
  const spans = aiSpans(c);
  assert.equal(spans.length, 1, `one gen_ai span, got ${spans.map((s) => s.name).join(', ')}`);
  return spans[0]!;
}

function sum(
  metrics: MetricRecord[],
  name: string,
  filter: (m: MetricRecord) => boolean = () => true,
): number {
  return metrics.filter((m) => m.name === name && filter(m)).reduce((total, m) => total + m.value, 0);
}

/** Responses without what differs between two identical calls (ids from a counter, timestamps). */
function normalise(value: unknown): string {
  return JSON.stringify(value, (key, v) => {
    if (key === 'created' || key === 'created_at') return 0;
    if (typeof v === 'string') return v.replace(/mock_[0-9a-z]+/g, 'mock_N');
    return v;
  });
}

const chat = (content: string) => ({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system' as const, content: LONG_SYSTEM },
    { role: 'user' as const, content },
  ],
});

const message = (content: string) => ({
  model: 'claude-sonnet-4-6',
  max_tokens: 200,
  system: LONG_SYSTEM,
  messages: [{ role: 'user' as const, content }],
});

const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

async function readAll<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

/** What the uninstrumented clients return, recorded before init() patches anything. */
const baseline: Record<string, string> = {};

before(async () => {
  mock = await startMockLlm({ seed: 7 });
  openai = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: 'test', maxRetries: 0 });
  assert.equal(
    (openai.chat.completions.create as unknown as Record<symbol, unknown>)[Symbol.for('sieve.ai.wrapped')],
    undefined,
  );
  baseline.chat = normalise(await openai.chat.completions.create(chat('Weather in Paris?')));
  baseline.chatStream = normalise(
    await readAll(
      await openai.chat.completions.create({
        ...chat('Stream Paris'),
        stream: true,
        stream_options: { include_usage: true },
      }),
    ),
  );
  baseline.message = normalise(await anthropic.messages.create(message('Weather in Oslo?')));
  baseline.messageStream = normalise(
    await readAll(await anthropic.messages.create({ ...message('Stream Oslo'), stream: true })),
  );
  baseline.responses = normalise(
    await openai.responses.create({
      model: 'gpt-4o-mini',
      input: 'Weather in Rome?',
      instructions: 'Be brief.',
    }),
  );
  baseline.embeddings = normalise(
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] }),
  );
  for (const [name, content] of [
    ['openai500', '[[mock:error=500]] hi'],
    ['openai429', '[[mock:error=429]] hi'],
  ] as const) {
    const error = await openai.chat.completions.create(chat(content)).then(
      () => undefined,
      (e: unknown) => e,
    );
    baseline[name] =
      `${(error as Error).constructor.name} ${(error as { status?: number }).status} ${(error as Error).message}`;
  }
  const broken = await openai.chat.completions
    .create({ ...chat('[[mock:broken-stream]] hi'), stream: true })
    .then(readAll)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  baseline.broken = `${(broken as Error | undefined)?.constructor.name} ${(broken as Error | undefined)?.message}`;
  // Patching happens at init: from here on, every client above is instrumented.
  setup();
  await aiInstrumentationReady();
  await teardown();
  mock.reset();
});

afterEach(async () => {
  await teardown();
  mock.reset();
});

after(async () => {
  await mock.close();
});

describe('OpenAI chat completions', () => {
  test('a call is one gen_ai.chat span with request attributes at start and usage at end', async () => {
    const seen: SamplingContext[] = [];
    const c = capture({
      tracesSampler: (ctx) => {
        seen.push(ctx);
        return 1;
      },
    });
    const result = await openai.chat.completions.create({
      ...chat('Weather in Paris?'),
      temperature: 0.2,
      max_tokens: 300,
    });
    assert.equal(normalise(result), baseline.chat);
    const span = onlyAiSpan(c);
    assert.equal(span.name, 'chat gpt-4o-mini');
    assert.equal(span.op, 'gen_ai.chat');
    assert.equal(span.isSegment, true);
    // The sampler saw what a root LLM call is: operation, provider and model.
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.attributes['gen_ai.operation.name'], 'chat');
    assert.equal(seen[0]!.attributes['gen_ai.provider.name'], 'openai');
    assert.equal(seen[0]!.attributes['gen_ai.request.model'], 'gpt-4o-mini');
    const a = span.attributes;
    assert.equal(a['gen_ai.request.temperature'], 0.2);
    assert.equal(a['gen_ai.request.max_tokens'], 300);
    assert.equal(a['server.address'], '127.0.0.1');
    assert.equal(a['gen_ai.response.model'], result.model);
    assert.equal(a['gen_ai.response.id'], result.id);
    assert.equal(a['gen_ai.usage.input_tokens'], result.usage?.prompt_tokens);
    assert.equal(a['gen_ai.usage.output_tokens'], result.usage?.completion_tokens);
    assert.equal(
      a['gen_ai.usage.cache_read.input_tokens'],
      result.usage?.prompt_tokens_details?.cached_tokens,
    );
    assert.deepEqual(a['gen_ai.response.finish_reasons'], ['stop']);
    assert.equal(typeof a['gen_ai.cost.total_usd'], 'number');
    assert.equal(span.status.code, 1);
    // Content is off by default.
    assert.equal(a['gen_ai.input.messages'], undefined);
    assert.equal(a['gen_ai.output.messages'], undefined);

    const billed = mock.billed();
    assert.equal(tokensOf(c, 'input'), billed.inputTokens);
    assert.equal(tokensOf(c, 'output'), billed.outputTokens);
    assert.equal(sum(c.metrics, 'gen_ai.token_usage'), billed.inputTokens + billed.outputTokens);
    assert.equal(
      c.metrics.filter((m) => m.name === 'gen_ai.client.operation.duration' && m.unit === 's').length,
      1,
    );
    assert.equal(c.metrics.filter((m) => m.name === 'gen_ai.latency' && m.unit === 'millisecond').length, 1);
    assert.ok(sum(c.metrics, 'gen_ai.client.cost') > 0);
    if (billed.cachedTokens > 0)
      assert.equal(sum(c.metrics, 'gen_ai.client.token.cached_input'), billed.cachedTokens);
    const usage = c.metrics.find((m) => m.name === 'gen_ai.client.token.usage')!;
    assert.equal(usage.attributes['gen_ai.request.model'], 'gpt-4o-mini');
    assert.equal(usage.attributes['gen_ai.provider.name'], 'openai');
    assert.equal(usage.spanId, span.spanId);
    assert.equal(c.logs.length, 1);
    const log = c.logs[0]!;
    assert.equal(log.body, 'LLM call completed');
    assert.equal(log.level, 'info');
    assert.equal(log.attributes.model, 'gpt-4o-mini');
    assert.equal(log.attributes.input_tokens, billed.inputTokens);
    assert.equal(log.attributes.output_tokens, billed.outputTokens);
    assert.equal(log.attributes.status, 'success');
    assert.equal(typeof log.attributes.latency_ms, 'number');
    assert.equal(log.traceId, span.traceId);
  });

  test('content is recorded only with recordInputs / recordOutputs', async () => {
    const c = capture({ tracesSampleRate: 1, recordInputs: true, recordOutputs: true });
    const result = await openai.chat.completions.create(chat('Weather in Paris?'));
    const a = onlyAiSpan(c).attributes;
    const input = JSON.parse(String(a['gen_ai.input.messages']));
    assert.deepEqual(input[1], { role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] });
    assert.equal(input[0].role, 'system');
    const output = JSON.parse(String(a['gen_ai.output.messages']));
    assert.deepEqual(output, [
      {
        role: 'assistant',
        parts: [{ type: 'text', content: result.choices[0]!.message.content }],
        finish_reason: 'stop',
      },
    ]);
    await teardown();
    const inputsOnly = capture({ tracesSampleRate: 1, recordInputs: true });
    await openai.chat.completions.create(chat('Weather in Paris?'));
    assert.ok(onlyAiSpan(inputsOnly).attributes['gen_ai.input.messages']);
    assert.equal(onlyAiSpan(inputsOnly).attributes['gen_ai.output.messages'], undefined);
  });

  test('long content is cut to the documented limit and stays valid JSON', async () => {
    const c = capture({ tracesSampleRate: 1, recordInputs: true });
    const long = 'word '.repeat(5_000);
    await openai.chat.completions.create(chat(long));
    const recorded = String(onlyAiSpan(c).attributes['gen_ai.input.messages']);
    assert.ok(recorded.length <= 32_768, `${recorded.length}`);
    const parsed = JSON.parse(recorded);
    assert.match(parsed.at(-1).parts[0].content, /more characters\]$/);
  });

  test('a stream is observed as the caller reads it: same chunks, usage, time to first chunk', async () => {
    const c = capture();
    const stream = await openai.chat.completions.create({
      ...chat('Stream Paris'),
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(aiSpans(c).length, 0, 'the span ends when the stream has been read');
    const chunks = await readAll(stream);
    assert.equal(normalise(chunks), baseline.chatStream);
    const a = onlyAiSpan(c).attributes;
    assert.equal(a['gen_ai.request.stream'], true);
    assert.equal(typeof a['gen_ai.response.time_to_first_chunk'], 'number');
    const usage = chunks.at(-1)!.usage!;
    assert.equal(a['gen_ai.usage.input_tokens'], usage.prompt_tokens);
    assert.equal(a['gen_ai.usage.output_tokens'], usage.completion_tokens);
    assert.deepEqual(a['gen_ai.response.finish_reasons'], ['stop']);
    assert.equal(tokensOf(c, 'output'), mock.billed().outputTokens);
    assert.equal(c.metrics.filter((m) => m.name === 'gen_ai.client.operation.time_to_first_chunk').length, 1);
  });

  test('the chat.completions.stream() helper gives one span and the same final completion', async () => {
    const c = capture({ tracesSampleRate: 1, recordOutputs: true });
    const helper = openai.chat.completions.stream({
      ...chat('Stream Paris'),
      stream_options: { include_usage: true },
    });
    const final = await helper.finalChatCompletion();
    const span = onlyAiSpan(c);
    assert.equal(
      JSON.parse(String(span.attributes['gen_ai.output.messages']))[0].parts[0].content,
      final.choices[0]!.message.content,
    );
    assert.equal(span.attributes['gen_ai.usage.output_tokens'], final.usage?.completion_tokens);
  });

  test('tool calls: finish reason, and the calls in the output messages', async () => {
    const c = capture({ tracesSampleRate: 1, recordOutputs: true });
    const result = await openai.chat.completions.create({
      ...chat('Use get_weather for Paris'),
      tools: [WEATHER_TOOL],
    });
    const call = result.choices[0]!.message.tool_calls?.[0];
    assert.ok(call && call.type === 'function');
    const a = onlyAiSpan(c).attributes;
    assert.deepEqual(a['gen_ai.response.finish_reasons'], ['tool_calls']);
    const parts = JSON.parse(String(a['gen_ai.output.messages']))[0].parts;
    assert.deepEqual(parts.at(-1), {
      type: 'tool_call',
      id: call.id,
      name: 'get_weather',
      arguments: JSON.parse(call.function.arguments),
    });
  });

  test('HTTP errors: the same error reaches the caller; the span, metrics and log record it', async () => {
    const c = capture();
    for (const [name, content] of [
      ['openai500', '[[mock:error=500]] hi'],
      ['openai429', '[[mock:error=429]] hi'],
    ] as const) {
      const error = await openai.chat.completions.create(chat(content)).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.equal(
        `${(error as Error).constructor.name} ${(error as { status?: number }).status} ${(error as Error).message}`,
        baseline[name],
      );
      assert.ok(error instanceof OpenAI.APIError);
    }
    const spans = aiSpans(c);
    assert.deepEqual(
      spans.map((s) => [
        s.status.code,
        s.attributes['error.type'],
        s.attributes['http.response.status_code'],
      ]),
      [
        [2, 'InternalServerError', 500],
        [2, 'RateLimitError', 429],
      ],
    );
    assert.equal(spans[0]!.events[0]?.name, 'exception');
    const durations = c.metrics.filter((m) => m.name === 'gen_ai.client.operation.duration');
    assert.deepEqual(
      durations.map((m) => m.attributes['error.type']),
      ['InternalServerError', 'RateLimitError'],
    );
    assert.equal(c.metrics.filter((m) => m.name === 'gen_ai.client.token.usage').length, 0);
    assert.deepEqual(
      c.logs.map((l) => [l.level, l.attributes.status, l.attributes.error_type]),
      [
        ['warn', 'error', 'InternalServerError'],
        ['warn', 'error', 'RateLimitError'],
      ],
    );
  });

  test('a broken stream throws as it would uninstrumented and is recorded as incomplete', async () => {
    const c = capture();
    const error = await openai.chat.completions
      .create({ ...chat('[[mock:broken-stream]] hi'), stream: true })
      .then(readAll)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.equal(
      `${(error as Error | undefined)?.constructor.name} ${(error as Error | undefined)?.message}`,
      baseline.broken,
    );
    const span = onlyAiSpan(c);
    assert.equal(span.status.code, 2);
    assert.equal(span.attributes['sieve.ai.stream_incomplete'], true);
    assert.equal(typeof span.attributes['error.type'], 'string');
    assert.equal(c.logs[0]?.attributes.status, 'error');
  });

  test('a response without usage is recorded as such', async () => {
    const c = capture();
    await openai.chat.completions.create(chat('[[mock:no-usage]] hi'));
    const span = onlyAiSpan(c);
    assert.equal(span.status.code, 1);
    assert.equal(span.attributes['sieve.ai.usage_missing'], true);
    assert.equal(span.attributes['gen_ai.usage.input_tokens'], undefined);
    assert.equal(c.metrics.filter((m) => m.name === 'gen_ai.client.token.usage').length, 0);
    assert.equal(c.logs[0]?.attributes.usage_missing, true);
  });

  test('breaking out of a stream and aborting it end the call as cancelled', async () => {
    const c = capture();
    const stream = await openai.chat.completions.create({
      ...chat('Stream a long answer please'),
      stream: true,
    });
    for await (const _ of stream) break;
    const aborted = await openai.chat.completions.create({ ...chat('Stream another answer'), stream: true });
    // An aborted stream ends quietly (no throw), as uninstrumented.
    for await (const _ of aborted) aborted.controller.abort();
    const spans = aiSpans(c);
    assert.deepEqual(
      spans.map((s) => [s.status.code, s.status.message, s.attributes['sieve.ai.stream_incomplete']]),
      [
        [2, 'cancelled', true],
        [2, 'cancelled', true],
      ],
    );
    assert.deepEqual(
      c.logs.map((l) => l.attributes.status),
      ['cancelled', 'cancelled'],
    );
  });

  test('an aborted request rejects with the same error, recorded as cancelled', async () => {
    const c = capture();
    const controller = new AbortController();
    const pending = openai.chat.completions.create(chat('[[mock:latency=2000]] slow'), {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 20);
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof OpenAI.APIUserAbortError);
    assert.equal(onlyAiSpan(c).status.message, 'cancelled');
  });

  test('the APIPromise is preserved: withResponse(), asResponse(), _request_id', async () => {
    const c = capture();
    const promise = openai.chat.completions.create(chat('Weather in Paris?'));
    assert.ok(promise instanceof APIPromise);
    const { data, response } = await promise.withResponse();
    assert.equal(response.status, 200);
    assert.equal(normalise(data), baseline.chat);
    const raw = await openai.chat.completions.create(chat('Weather in Paris?')).asResponse();
    assert.equal(normalise(await raw.json()), baseline.chat);
    const spans = aiSpans(c);
    assert.equal(spans.length, 2);
    assert.equal(spans[0]!.attributes['gen_ai.usage.output_tokens'], data.usage?.completion_tokens);
    assert.equal(spans[1]!.attributes['sieve.ai.body_not_read'], true);
  });
});

describe('OpenAI responses and embeddings', () => {
  test('responses.create: chat span with usage; conversation id from the request', async () => {
    const c = capture({ tracesSampleRate: 1, recordInputs: true, recordOutputs: true });
    const result = await openai.responses.create({
      model: 'gpt-4o-mini',
      input: 'Weather in Rome?',
      instructions: 'Be brief.',
    });
    assert.equal(normalise(result), baseline.responses);
    const span = onlyAiSpan(c);
    assert.equal(span.name, 'chat gpt-4o-mini');
    assert.equal(span.attributes['gen_ai.usage.input_tokens'], result.usage?.input_tokens);
    assert.equal(span.attributes['gen_ai.usage.output_tokens'], result.usage?.output_tokens);
    assert.equal(span.attributes['gen_ai.system_instructions'], 'Be brief.');
    assert.equal(
      JSON.parse(String(span.attributes['gen_ai.output.messages']))[0].parts[0].content,
      result.output_text,
    );
  });

  test('responses.stream(): usage from the completed event, time to first chunk', async () => {
    const c = capture();
    const stream = openai.responses.stream({ model: 'gpt-4o-mini', input: 'Weather in Rome?' });
    const final = await stream.finalResponse();
    const span = onlyAiSpan(c);
    assert.equal(span.attributes['gen_ai.usage.output_tokens'], final.usage?.output_tokens);
    assert.equal(typeof span.attributes['gen_ai.response.time_to_first_chunk'], 'number');
    assert.equal(tokensOf(c, 'input'), mock.billed().inputTokens);
  });

  test('embeddings.create: embeddings span with input tokens, same vectors', async () => {
    const c = capture();
    const result = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    assert.equal(normalise(result), baseline.embeddings);
    const span = onlyAiSpan(c);
    assert.equal(span.name, 'embeddings text-embedding-3-small');
    assert.equal(span.op, 'gen_ai.embeddings');
    assert.equal(span.attributes['gen_ai.usage.input_tokens'], result.usage.prompt_tokens);
    assert.equal(span.attributes['sieve.ai.usage_missing'], undefined);
    assert.equal(tokensOf(c, 'input'), mock.billed().inputTokens);
  });
});

describe('Anthropic messages', () => {
  test("messages.create: one span (the client's own OpenTelemetry span is suppressed), usage with cache reads", async () => {
    const c = capture({ tracesSampleRate: 1, recordInputs: true });
    const result = await anthropic.messages.create(message('Weather in Oslo?'));
    assert.equal(normalise(result), baseline.message);
    const span = onlyAiSpan(c);
    assert.equal(
      c.spans().length,
      1,
      c
        .spans()
        .map((s) => s.name)
        .join(', '),
    );
    assert.equal(span.name, 'chat claude-sonnet-4-6');
    assert.equal(span.attributes['gen_ai.provider.name'], 'anthropic');
    assert.equal(span.attributes['gen_ai.request.max_tokens'], 200);
    const u = result.usage;
    const input = u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
    assert.equal(span.attributes['gen_ai.usage.input_tokens'], input);
    assert.equal(
      span.attributes['gen_ai.usage.cache_read.input_tokens'],
      u.cache_read_input_tokens ?? undefined,
    );
    assert.equal(span.attributes['gen_ai.usage.output_tokens'], u.output_tokens);
    assert.deepEqual(span.attributes['gen_ai.response.finish_reasons'], ['end_turn']);
    assert.equal(span.attributes['gen_ai.system_instructions'], LONG_SYSTEM);
    const billed = mock.billed();
    assert.equal(tokensOf(c, 'input'), billed.inputTokens);
    assert.equal(tokensOf(c, 'output'), billed.outputTokens);
    assert.equal(sum(c.metrics, 'gen_ai.client.token.cached_input'), billed.cachedTokens);
  });

  test('streams: create({ stream: true }) and the messages.stream() helper', async () => {
    const c = capture({ tracesSampleRate: 1, recordOutputs: true });
    const events = await readAll(
      await anthropic.messages.create({ ...message('Stream Oslo'), stream: true }),
    );
    assert.equal(normalise(events), baseline.messageStream);
    const final = await anthropic.messages.stream(message('Stream Oslo')).finalMessage();
    const spans = aiSpans(c);
    assert.equal(spans.length, 2);
    for (const span of spans) {
      assert.equal(span.attributes['gen_ai.usage.output_tokens'], final.usage.output_tokens);
      assert.equal(typeof span.attributes['gen_ai.response.time_to_first_chunk'], 'number');
      assert.deepEqual(span.attributes['gen_ai.response.finish_reasons'], ['end_turn']);
    }
    const text = final.content[0]!.type === 'text' ? final.content[0]!.text : '';
    assert.equal(
      JSON.parse(String(spans[1]!.attributes['gen_ai.output.messages']))[0].parts[0].content,
      text,
    );
    const billed = mock.billed();
    assert.equal(tokensOf(c, 'input'), billed.inputTokens);
    assert.equal(tokensOf(c, 'output'), billed.outputTokens);
  });

  test('tool use, in a plain and a streamed call', async () => {
    const c = capture({ tracesSampleRate: 1, recordOutputs: true });
    const tools = [
      {
        name: 'get_weather',
        description: 'Weather',
        input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } },
      },
    ];
    const result = await anthropic.messages.create({ ...message('Use get_weather for Oslo'), tools });
    const final = await anthropic.messages
      .stream({ ...message('Use get_weather for Oslo'), tools })
      .finalMessage();
    const use = result.content.find((b) => b.type === 'tool_use');
    assert.ok(use && use.type === 'tool_use');
    for (const span of aiSpans(c)) {
      assert.deepEqual(span.attributes['gen_ai.response.finish_reasons'], ['tool_use']);
      const part = JSON.parse(String(span.attributes['gen_ai.output.messages']))[0].parts.find(
        (p: { type: string }) => p.type === 'tool_call',
      );
      assert.equal(part.name, 'get_weather');
      assert.deepEqual(part.arguments, use.input);
    }
    assert.equal(final.stop_reason, 'tool_use');
  });

  test('errors and broken streams: same errors, recorded on the span', async () => {
    const c = capture();
    const error = await anthropic.messages.create(message('[[mock:error=529]] hi')).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof Anthropic.APIError);
    assert.equal((error as { status?: number }).status, 529);
    const broken = await anthropic.messages
      .create({ ...message('[[mock:broken-stream]] hi'), stream: true })
      .then(readAll)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(broken instanceof Error);
    const spans = aiSpans(c);
    assert.deepEqual(
      spans.map((s) => s.status.code),
      [2, 2],
    );
    assert.equal(spans[0]!.attributes['http.response.status_code'], 529);
    assert.equal(spans[1]!.attributes['sieve.ai.stream_incomplete'], true);
  });
});

describe('whatever the sampling decision', () => {
  test('an unsampled call makes no span but the same metrics and log, matching what was billed', async () => {
    const c = capture({ tracesSampleRate: 0 });
    await startSpan({ name: 'job' }, async () => {
      await openai.chat.completions.create(chat('Weather in Paris?'));
      await readAll(
        await openai.chat.completions.create({
          ...chat('Stream Paris'),
          stream: true,
          stream_options: { include_usage: true },
        }),
      );
      await anthropic.messages.create(message('Weather in Oslo?'));
      await anthropic.messages.stream(message('Stream Oslo')).finalMessage();
    });
    assert.equal(c.spans().length, 0);
    const billed = mock.billed();
    assert.equal(billed.calls, 4);
    assert.equal(tokensOf(c, 'input'), billed.inputTokens);
    assert.equal(tokensOf(c, 'output'), billed.outputTokens);
    assert.equal(c.logs.length, 4);
    // Stamped with the (dropped) trace, so logs and metrics still group by trace.
    assert.equal(new Set(c.logs.map((l) => l.traceId)).size, 1);
  });

  test('samplers.aiFirst keeps a root LLM call and an agent run at 100 %', async () => {
    const c = capture({ tracesSampler: samplers.aiFirst({ fallback: 0 }) });
    await openai.chat.completions.create(chat('Weather in Paris?'));
    await startAgentRun({ agent: 'weather' }, () => anthropic.messages.create(message('Weather in Oslo?')));
    await startSpan({ name: 'other work' }, () => openai.chat.completions.create(chat('dropped')));
    assert.deepEqual(
      c.spans().map((s) => s.name),
      ['chat gpt-4o-mini', 'chat claude-sonnet-4-6', 'invoke_agent weather'],
    );
    assert.equal(c.logs.length, 3);
  });

  test('metrics carry the route of the HTTP request the call serves', async () => {
    const c = capture({ tracesSampleRate: 0, httpServer: true });
    const server = http.createServer((_req, res) => {
      openai.chat.completions.create(chat('Weather in Paris?')).then(
        () => res.end('ok'),
        () => res.end('error'),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await fetch(`http://127.0.0.1:${port}/api/chat?x=1`).then((r) => r.text());
    server.close();
    const usage = c.metrics.filter((m) => m.name === 'gen_ai.client.token.usage');
    assert.ok(usage.length > 0);
    for (const m of usage) assert.equal(m.attributes['http.route'], '/api/chat');
    assert.equal(c.metrics.find((m) => m.name === 'gen_ai.token_usage')?.attributes.endpoint, '/api/chat');
    assert.equal(c.logs[0]?.attributes.endpoint, '/api/chat');
  });
});

describe('agent helpers', () => {
  test('agent run, tool call, handoff; the conversation id reaches the LLM spans', async () => {
    const c = capture({ tracesSampleRate: 1, recordInputs: true, recordOutputs: true });
    const answer = await startAgentRun(
      { agent: 'planner', model: 'gpt-4o-mini', conversationId: 'conv-42' },
      async () => {
        await openai.chat.completions.create(chat('Plan a trip'));
        const weather = await startToolCall(
          { name: 'get_weather', callId: 'call_1', input: { city: 'Paris' } },
          async () => ({ temp: 21 }),
        );
        recordHandoff('planner', 'writer');
        return startAgentRun({ agent: 'writer' }, () =>
          anthropic.messages.create(message(`Write it: ${weather.temp}`)),
        );
      },
    );
    assert.equal(answer.type, 'message');
    const byName = new Map(c.spans().map((s) => [s.name, s]));
    const planner = byName.get('invoke_agent planner')!;
    assert.equal(planner.op, 'gen_ai.invoke_agent');
    assert.equal(planner.attributes['gen_ai.agent.name'], 'planner');
    assert.equal(planner.attributes['gen_ai.conversation.id'], 'conv-42');
    const tool = byName.get('execute_tool get_weather')!;
    assert.equal(tool.op, 'gen_ai.execute_tool');
    assert.equal(tool.attributes['gen_ai.tool.call.id'], 'call_1');
    assert.equal(tool.attributes['gen_ai.tool.call.arguments'], '{"city":"Paris"}');
    assert.equal(tool.attributes['gen_ai.tool.call.result'], '{"temp":21}');
    assert.equal(tool.parentSpanId, planner.spanId);
    const handoff = byName.get('handoff from planner to writer')!;
    assert.equal(handoff.op, 'gen_ai.handoff');
    const writer = byName.get('invoke_agent writer')!;
    assert.equal(writer.parentSpanId, planner.spanId);
    assert.equal(writer.attributes['gen_ai.conversation.id'], 'conv-42');
    for (const name of ['chat gpt-4o-mini', 'chat claude-sonnet-4-6']) {
      assert.equal(byName.get(name)?.attributes['gen_ai.conversation.id'], 'conv-42', name);
    }
    assert.equal(byName.get('chat claude-sonnet-4-6')!.parentSpanId, writer.spanId);
  });

  test('tool call content only when enabled; a throwing tool rethrows and marks the span', async () => {
    const c = capture();
    await assert.rejects(
      startToolCall({ name: 'search', input: { q: 'secret' } }, async () => {
        throw new RangeError('no results');
      }),
      RangeError,
    );
    const tool = c.spans()[0]!;
    assert.equal(tool.attributes['gen_ai.tool.call.arguments'], undefined);
    assert.equal(tool.status.code, 2);
  });
});

describe('robustness', () => {
  test('instrumentOpenAI on a patched client does not instrument twice', async () => {
    const c = capture();
    const client = instrumentOpenAI(new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test' }));
    await client.chat.completions.create(chat('Weather in Paris?'));
    assert.equal(aiSpans(c).length, 1);
  });

  test('a failure inside instrumentation is swallowed and counted; the call goes on', async () => {
    const c = capture();
    const before = aiInstrumentationErrors();
    let reads = 0;
    const params = chat('Weather in Paris?');
    // A getter that throws the first time it is read: the instrumentation reads it first.
    Object.defineProperty(params, 'model', {
      enumerable: true,
      get() {
        reads++;
        if (reads === 1) throw new Error('hostile getter');
        return 'gpt-4o-mini';
      },
    });
    const result = await openai.chat.completions.create(params);
    assert.equal(normalise(result), baseline.chat);
    assert.equal(aiInstrumentationErrors(), before + 1);
    assert.equal(aiSpans(c).length, 0);
  });

  test('without init the patched methods behave as the originals', async () => {
    const result = await openai.chat.completions.create(chat('Weather in Paris?'));
    assert.equal(normalise(result), baseline.chat);
  });
});
