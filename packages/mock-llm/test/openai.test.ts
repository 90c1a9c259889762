// The real openai client against the mock server: every shape it parses, every error class it throws.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type MockLlm, startMockLlm } from '../src/index.js';

let mock: MockLlm;
let client: OpenAI;

before(async () => {
  mock = await startMockLlm();
  client = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test-key', maxRetries: 0 });
});
after(() => mock.close());
beforeEach(() => mock.reset());

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const ordersTool = {
  type: 'function' as const,
  function: {
    name: 'lookup_order',
    description: 'Order status by id',
    parameters: { type: 'object', properties: { order_id: { type: 'integer' } }, required: ['order_id'] },
  },
};

describe('chat completions', () => {
  it('answers deterministically and bills exactly the reported usage', async () => {
    const params = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: 'Hello there, mock!' }],
    };
    const first = await client.chat.completions.create(params);
    const second = await client.chat.completions.create(params);
    assert.equal(first.choices[0]!.message.content, second.choices[0]!.message.content);
    assert.match(first.choices[0]!.message.content!, /^Here is a mock answer to "Hello there, mock!"/);
    assert.equal(first.choices[0]!.finish_reason, 'stop');
    const usage = first.usage!;
    // "Hello there , mock !" = 5 tokens + 3 per message.
    assert.equal(usage.prompt_tokens, 8);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    const billed = mock.billed();
    assert.equal(billed.calls, 2);
    assert.equal(billed.inputTokens, 16);
    assert.equal(billed.outputTokens, 2 * usage.completion_tokens);
    assert.deepEqual(billed.byModel['gpt-4o-mini']?.calls, 2);
    assert.equal(billed.byOperation.chat.calls, 2);
  });

  it('reports cached tokens for a long system prompt and reasoning tokens for reasoning models', async () => {
    const system =
      'You are a careful support agent. Always answer in one short paragraph and cite the docs you used.';
    const res = await client.chat.completions.create({
      model: 'o4-mini',
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: 'Where is my parcel?' },
      ],
    });
    const usage = res.usage!;
    assert.ok(usage.prompt_tokens_details!.cached_tokens! >= 16);
    assert.ok(usage.completion_tokens_details!.reasoning_tokens! > 0);
    const billed = mock.billed();
    assert.equal(billed.cachedTokens, usage.prompt_tokens_details!.cached_tokens);
    assert.equal(billed.reasoningTokens, usage.completion_tokens_details!.reasoning_tokens);
    assert.equal(billed.outputTokens, usage.completion_tokens);
  });

  it('streams the same text, with a usage chunk when include_usage is set', async () => {
    const messages = [{ role: 'user' as const, content: 'Stream me something' }];
    const whole = await client.chat.completions.create({ model: 'gpt-4o', messages });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(chunks > 3);
    assert.equal(text, whole.choices[0]!.message.content);
    assert.equal(finish, 'stop');
    assert.deepEqual(usage, whole.usage);
    assert.equal(mock.billed().calls, 2);
  });

  it('a stream without include_usage reports no usage and bills nothing', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'quiet' }],
      stream: true,
    });
    for await (const chunk of stream) assert.equal(chunk.usage, undefined);
    assert.equal(mock.billed().calls, 0);
    assert.equal(mock.billed().unreported, 1);
  });

  it('the stream helper accumulates the final completion', async () => {
    const runner = client.chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'helper please' }],
      stream_options: { include_usage: true },
    });
    const final = await runner.finalChatCompletion();
    assert.match(final.choices[0]!.message.content!, /helper please/);
    assert.equal(final.usage?.completion_tokens, mock.billed().outputTokens);
  });

  it('drives a tool loop: named tools one per turn, then a final answer', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Please get_weather for Paris, then lookup_order 42.' },
    ];
    const called: string[] = [];
    for (let turn = 0; turn < 5; turn++) {
      const res = await client.chat.completions.create({
        model: 'gpt-4o',
        messages,
        tools: [ordersTool, weatherTool],
      });
      const choice = res.choices[0]!;
      if (choice.finish_reason !== 'tool_calls') {
        assert.match(choice.message.content!, /^Based on get_weather, lookup_order: /);
        break;
      }
      const call = choice.message.tool_calls![0]!;
      assert.equal(call.type, 'function');
      if (call.type !== 'function') break;
      called.push(call.function.name);
      const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
      if (call.function.name === 'lookup_order') assert.equal(typeof args.order_id, 'number');
      else assert.equal(typeof args.city, 'string');
      messages.push(choice.message, {
        role: 'tool',
        tool_call_id: call.id,
        content: `result of ${call.function.name}`,
      });
    }
    assert.deepEqual(called, ['get_weather', 'lookup_order']);
    assert.equal(mock.billed().calls, 3);
  });

  it('streams tool calls with finish_reason tool_calls', async () => {
    const runner = client.chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'What is the weather like?' }],
      tools: [weatherTool],
    });
    const final = await runner.finalChatCompletion();
    const choice = final.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    const call = choice.message.tool_calls![0]!;
    assert.ok(call.type === 'function' && call.function.name === 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'What is the weather like?' });
  });

  it('honours max_tokens with finish_reason length', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-4o',
      max_tokens: 3,
      messages: [{ role: 'user', content: 'Tell me a long story' }],
    });
    assert.equal(res.choices[0]!.finish_reason, 'length');
    assert.equal(res.usage!.completion_tokens, 3);
  });
});

describe('responses', () => {
  it('answers with output_text and usage', async () => {
    const res = await client.responses.create({
      model: 'gpt-4.1',
      instructions: 'Be brief.',
      input: 'Summarise the docs',
    });
    assert.equal(res.status, 'completed');
    assert.match(res.output_text, /Summarise the docs/);
    assert.equal(res.usage!.input_tokens, mock.billed().inputTokens);
    assert.equal(res.usage!.output_tokens, mock.billed().outputTokens);
    assert.equal(mock.billed().byOperation.responses.calls, 1);
  });

  it('returns a function_call item, then a final answer after its output', async () => {
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: 'function',
        name: 'search_docs',
        description: 'Search the docs',
        strict: false,
        parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
      },
    ];
    const first = await client.responses.create({ model: 'gpt-4.1', input: 'How do refunds work?', tools });
    const call = first.output[0]!;
    assert.equal(call.type, 'function_call');
    if (call.type !== 'function_call') return;
    assert.equal(call.name, 'search_docs');
    const second = await client.responses.create({
      model: 'gpt-4.1',
      tools,
      input: [
        { role: 'user', content: 'How do refunds work?' },
        call,
        { type: 'function_call_output', call_id: call.call_id, output: 'Refunds take 5 days.' },
      ],
    });
    assert.match(second.output_text, /^Based on search_docs: Refunds take 5 days\./);
  });

  it('streams events ending in response.completed with usage', async () => {
    const stream = client.responses.stream({ model: 'gpt-4.1', input: 'stream a response' });
    const types = new Set<string>();
    for await (const event of stream) types.add(event.type);
    const final = await stream.finalResponse();
    for (const t of ['response.created', 'response.output_text.delta', 'response.completed'])
      assert.ok(types.has(t), t);
    assert.match(final.output_text, /stream a response/);
    assert.equal(final.usage!.output_tokens, mock.billed().outputTokens);
  });

  it('streams function call arguments', async () => {
    const stream = await client.responses.create({
      model: 'gpt-4.1',
      input: 'use the tool',
      stream: true,
      tools: [
        { type: 'function', name: 'get_weather', strict: false, parameters: weatherTool.function.parameters },
      ],
    });
    let args = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.function_call_arguments.delta') args += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    assert.deepEqual(JSON.parse(args), { city: 'use the tool' });
    assert.equal(completed?.output[0]?.type, 'function_call');
  });
});

describe('embeddings', () => {
  it('returns unit vectors (base64 by default in the client) and bills input tokens', async () => {
    const res = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['one two', 'three'],
      dimensions: 8,
    });
    assert.equal(res.data.length, 2);
    const v = res.data[0]!.embedding;
    assert.equal(v.length, 8);
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5);
    assert.equal(res.usage.prompt_tokens, 3);
    assert.equal(mock.billed().byOperation.embeddings.inputTokens, 3);
  });
});

describe('errors and failures', () => {
  const cases: [string, new (...args: never[]) => Error][] = [
    ['[[mock:error=400]]', OpenAI.BadRequestError],
    ['[[mock:error=429]]', OpenAI.RateLimitError],
    ['[[mock:error=500]]', OpenAI.InternalServerError],
  ];
  for (const [marker, errorClass] of cases) {
    it(`${marker} throws ${errorClass.name}`, async () => {
      await assert.rejects(
        client.chat.completions.create({
          model: 'gpt-4o',
          messages: [{ role: 'user', content: `hi ${marker}` }],
        }),
        (error: unknown) => {
          assert.ok(error instanceof errorClass, String(error));
          assert.ok((error as InstanceType<typeof OpenAI.APIError>).requestID?.startsWith('req_mock_'));
          return true;
        },
      );
      assert.equal(mock.billed().calls, 0);
      assert.equal(mock.billed().errors, 1);
    });
  }

  it('a bad request body gets a 400 naming the field', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4o', messages: [] }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && /messages/.test(error.message),
    );
  });

  it('a missing API key gets a 401', async () => {
    const res = await fetch(`${mock.openaiBaseURL}/chat/completions`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_api_key');
  });

  it('[[mock:broken-stream]] cuts a stream mid-way and bills nothing', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'cut me [[mock:broken-stream]]' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let chunks = 0;
    await assert.rejects(async () => {
      for await (const _ of stream) chunks++;
    });
    assert.ok(chunks > 0);
    assert.equal(mock.billed().calls, 0);
    assert.equal(mock.billed().unreported, 1);
  });

  it('[[mock:broken-stream]] on a non-streaming call is a connection error', async () => {
    await assert.rejects(
      client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: '[[mock:broken-stream]]' }],
      }),
      OpenAI.APIConnectionError,
    );
  });

  it('[[mock:no-usage]] omits usage and bills nothing', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'no usage please [[mock:no-usage]]' }],
    });
    assert.equal(res.usage, undefined);
    assert.doesNotMatch(res.choices[0]!.message.content!, /mock:/);
    assert.equal(mock.billed().calls, 0);
    assert.equal(mock.billed().unreported, 1);
  });
});
