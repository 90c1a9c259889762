// The real @anthropic-ai/sdk client against the mock server: messages, streams, tool use, errors.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { type MockLlm, startMockLlm } from '../src/index.js';

let mock: MockLlm;
let client: Anthropic;

before(async () => {
  mock = await startMockLlm({ chunkDelayMs: 1 });
  client = new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: 'test-key', maxRetries: 0 });
});
after(() => mock.close());
beforeEach(() => mock.reset());

const model = 'claude-haiku-4-5';
const tools: Anthropic.Tool[] = [
  {
    name: 'search_docs',
    description: 'Search the product docs',
    input_schema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  },
  {
    name: 'lookup_order',
    description: 'Order status',
    input_schema: { type: 'object', properties: { order_id: { type: 'integer' } }, required: ['order_id'] },
  },
];
const longSystem =
  'You are the billing agent for an online shop. Answer politely, cite order numbers and never invent refunds.';

describe('messages', () => {
  it('answers with a text block; input_tokens excludes cache reads, the ledger total includes them', async () => {
    const res = await client.messages.create({
      model,
      max_tokens: 256,
      system: longSystem,
      messages: [{ role: 'user', content: 'Where is my refund?' }],
    });
    assert.equal(res.stop_reason, 'end_turn');
    const block = res.content[0]!;
    assert.ok(block.type === 'text' && /Where is my refund\?/.test(block.text));
    const billed = mock.billed();
    assert.ok(res.usage.cache_read_input_tokens! > 0);
    assert.equal(billed.inputTokens, res.usage.input_tokens + res.usage.cache_read_input_tokens!);
    assert.equal(billed.cachedTokens, res.usage.cache_read_input_tokens);
    assert.equal(billed.outputTokens, res.usage.output_tokens);
    assert.equal(billed.byProvider.anthropic.calls, 1);
    assert.equal(billed.byOperation.messages.calls, 1);
  });

  it('streams the same message through the stream helper', async () => {
    const params = {
      model,
      max_tokens: 256,
      messages: [{ role: 'user' as const, content: 'stream this please' }],
    };
    const whole = await client.messages.create(params);
    const stream = client.messages.stream(params);
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    assert.deepEqual(final.content, whole.content);
    assert.equal(text, (whole.content[0] as Anthropic.TextBlock).text);
    assert.deepEqual(final.usage, whole.usage);
    assert.equal(mock.billed().calls, 2);
  });

  it('raw stream events come in the documented order', async () => {
    const stream = await client.messages.create({
      model,
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'events' }],
    });
    const types: string[] = [];
    // The client drops `ping` events itself.
    for await (const event of stream) if (types.at(-1) !== event.type) types.push(event.type);
    assert.deepEqual(types, [
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('drives a tool loop: tool_use, tool_result, final answer', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Can you lookup_order 7 for me?' }];
    const first = await client.messages.create({ model, max_tokens: 256, tools, messages });
    assert.equal(first.stop_reason, 'tool_use');
    const use = first.content[0]!;
    assert.ok(use.type === 'tool_use');
    if (use.type !== 'tool_use') return;
    assert.equal(use.name, 'lookup_order');
    assert.equal(typeof (use.input as { order_id: unknown }).order_id, 'number');
    messages.push(
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'Order 7 shipped.' }] },
    );
    const second = await client.messages.create({ model, max_tokens: 256, tools, messages });
    assert.equal(second.stop_reason, 'end_turn');
    assert.match(
      (second.content[0] as Anthropic.TextBlock).text,
      /^Based on lookup_order: Order 7 shipped\./,
    );
    assert.equal(mock.billed().calls, 2);
  });

  it('streams tool_use input as input_json_delta', async () => {
    const stream = client.messages.stream({
      model,
      max_tokens: 256,
      tools,
      messages: [{ role: 'user', content: 'search_docs: refunds?' }],
    });
    const final = await stream.finalMessage();
    assert.equal(final.stop_reason, 'tool_use');
    const use = final.content[0]!;
    assert.ok(use.type === 'tool_use' && use.name === 'search_docs');
    assert.deepEqual(use.input, { query: 'search_docs: refunds?' });
  });

  it('stops at max_tokens', async () => {
    const res = await client.messages.create({
      model,
      max_tokens: 2,
      messages: [{ role: 'user', content: 'long answer' }],
    });
    assert.equal(res.stop_reason, 'max_tokens');
    assert.equal(res.usage.output_tokens, 2);
  });
});

describe('errors and failures', () => {
  const cases: [string, new (...args: never[]) => Error][] = [
    ['[[mock:error=400]]', Anthropic.BadRequestError],
    ['[[mock:error=429]]', Anthropic.RateLimitError],
    ['[[mock:error=500]]', Anthropic.InternalServerError],
    ['[[mock:error=529]]', Anthropic.InternalServerError],
  ];
  for (const [marker, errorClass] of cases) {
    it(`${marker} throws ${errorClass.name}`, async () => {
      await assert.rejects(
        client.messages.create({
          model,
          max_tokens: 10,
          messages: [{ role: 'user', content: `hi ${marker}` }],
        }),
        (error: unknown) => {
          assert.ok(error instanceof errorClass, String(error));
          assert.ok((error as InstanceType<typeof Anthropic.APIError>).requestID?.startsWith('req_mock_'));
          return true;
        },
      );
      assert.equal(mock.billed().errors, 1);
      assert.equal(mock.billed().calls, 0);
    });
  }

  it('max_tokens missing is a 400 naming the field', async () => {
    await assert.rejects(
      client.messages.create({
        model,
        messages: [{ role: 'user', content: 'x' }],
      } as unknown as Anthropic.MessageCreateParamsNonStreaming),
      (error: unknown) => error instanceof Anthropic.BadRequestError && /max_tokens/.test(error.message),
    );
  });

  it('[[mock:broken-stream]] cuts the stream: the ledger bills what message_start reported', async () => {
    const stream = await client.messages.create({
      model,
      max_tokens: 256,
      stream: true,
      messages: [{ role: 'user', content: 'cut [[mock:broken-stream]]' }],
    });
    const seen: string[] = [];
    let startUsage: Anthropic.Usage | undefined;
    await assert.rejects(async () => {
      for await (const event of stream) {
        seen.push(event.type);
        if (event.type === 'message_start') startUsage = event.message.usage;
      }
    });
    assert.equal(seen[0], 'message_start');
    assert.ok(!seen.includes('message_stop'));
    const billed = mock.billed();
    assert.equal(billed.calls, 1);
    assert.equal(billed.outputTokens, 1);
    // "cut [[mock:broken-stream]]" is 10 tokens, plus 3 for the message.
    assert.equal(billed.inputTokens, 13);
    assert.equal(startUsage?.input_tokens, 13);
    assert.equal(billed.unreported, 0);
  });

  it('[[mock:no-usage]] leaves usage out', async () => {
    const res = await client.messages.create({
      model,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'x [[mock:no-usage]]' }],
    });
    assert.equal(res.usage, undefined);
    assert.equal(mock.billed().unreported, 1);
    assert.equal(mock.billed().calls, 0);
  });
});
