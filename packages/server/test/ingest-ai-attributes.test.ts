import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isAiSpan, normaliseAi, tokenCount } from '../src/ingest/ai-attributes.js';
import type { AiFields, PlainAttributes } from '../src/model.js';
import { NO_AI } from './no-ai.js';

const NONE: AiFields = NO_AI;

type Row = [string, string, string | null, PlainAttributes, Partial<AiFields>];

function run(rows: Row[]): void {
  for (const [title, name, op, attributes, expected] of rows) {
    test(title, () => assert.deepEqual(normaliseAi(name, op, attributes), { ...NONE, ...expected }));
  }
}

describe('not AI', () => {
  run([
    ['plain HTTP span', 'GET /health', 'http.server', { 'http.request.method': 'GET' }, {}],
    ['no attributes', 'work', null, {}, {}],
    ['ai-ish words in the name are not enough', 'chat with support', null, {}, {}],
    ['an unrelated ai. span name', 'ai.somethingElse', null, {}, {}],
    [
      'ECS agent.name (a resource attribute) is not an AI agent',
      'GET /',
      'http.server',
      { 'agent.name': 'opentelemetry/nodejs' },
      {},
    ],
    ['a generic tool.name is not an AI tool', 'build', null, { 'tool.name': 'webpack' }, {}],
  ]);
});

describe('OpenTelemetry GenAI conventions', () => {
  run([
    [
      'chat with everything',
      'chat gpt-4o',
      null,
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.input_tokens': 100,
        'gen_ai.usage.output_tokens': 20,
        'gen_ai.usage.cache_read.input_tokens': 80,
        'gen_ai.usage.cache_creation.input_tokens': 5,
        'gen_ai.usage.reasoning.output_tokens': 12,
      },
      {
        operation: 'chat',
        provider: 'openai',
        model: 'gpt-4o-2024-08-06',
        inputTokens: 100,
        outputTokens: 20,
        cachedInputTokens: 80,
        reasoningTokens: 12,
      },
    ],
    [
      'request model when no response model',
      'chat',
      null,
      { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'claude-sonnet-4-6' },
      { operation: 'chat', model: 'claude-sonnet-4-6' },
    ],
    [
      'older gen_ai.system',
      'chat',
      null,
      { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'anthropic' },
      { operation: 'chat', provider: 'anthropic' },
    ],
    [
      'provider.name wins over system',
      'x',
      null,
      { 'gen_ai.provider.name': 'aws.bedrock', 'gen_ai.system': 'anthropic' },
      { provider: 'aws.bedrock' },
    ],
    [
      'dotted GenAI provider kept whole',
      'x',
      null,
      { 'gen_ai.provider.name': 'gcp.vertex_ai' },
      { provider: 'gcp.vertex_ai' },
    ],
    [
      'az.ai.inference kept whole',
      'x',
      null,
      { 'gen_ai.system': 'az.ai.inference' },
      { provider: 'az.ai.inference' },
    ],
    ['provider in upper case folded', 'x', null, { 'gen_ai.system': 'OpenAI' }, { provider: 'openai' }],
    [
      'invoke_agent with agent name',
      'invoke_agent weather',
      null,
      { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'weather' },
      { operation: 'invoke_agent', agentName: 'weather' },
    ],
    [
      'execute_tool with tool name',
      'execute_tool get_weather',
      null,
      {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'get_weather',
        'gen_ai.tool.call.id': 'call_1',
      },
      { operation: 'execute_tool', toolName: 'get_weather' },
    ],
    [
      'embeddings',
      'embeddings text-embedding-3-small',
      null,
      { 'gen_ai.operation.name': 'embeddings', 'gen_ai.usage.input_tokens': 8 },
      { operation: 'embeddings', inputTokens: 8 },
    ],
    [
      'tokens as numeric strings',
      'chat',
      null,
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.usage.input_tokens': '42',
        'gen_ai.usage.output_tokens': ' 7 ',
      },
      { operation: 'chat', inputTokens: 42, outputTokens: 7 },
    ],
    [
      'tokens as float strings are rounded',
      'chat',
      null,
      { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': '12.0' },
      { operation: 'chat', inputTokens: 12 },
    ],
    [
      'negative and junk tokens ignored',
      'chat',
      null,
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.usage.input_tokens': -3,
        'gen_ai.usage.output_tokens': 'many',
      },
      { operation: 'chat' },
    ],
    [
      'zero tokens are kept',
      'chat',
      null,
      { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.output_tokens': 0 },
      { operation: 'chat', outputTokens: 0 },
    ],
    ['operation name case folded', 'chat', null, { 'gen_ai.operation.name': 'Chat' }, { operation: 'chat' }],
    [
      'unknown operation passes through',
      'x',
      null,
      { 'gen_ai.operation.name': 'rerank' },
      { operation: 'rerank' },
    ],
    [
      'generate_content stays',
      'x',
      null,
      { 'gen_ai.operation.name': 'generate_content' },
      { operation: 'generate_content' },
    ],
    [
      'empty strings are absent',
      'x',
      null,
      { 'gen_ai.operation.name': '', 'gen_ai.request.model': '  ' },
      {},
    ],
    [
      'total with input derives output',
      'chat',
      null,
      { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.total_tokens': 25 },
      { operation: 'chat', inputTokens: 10, outputTokens: 15 },
    ],
    [
      'total with output derives input',
      'chat',
      null,
      { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.output_tokens': 5, 'gen_ai.usage.total_tokens': 25 },
      { operation: 'chat', inputTokens: 20, outputTokens: 5 },
    ],
    [
      'total alone is not split',
      'chat',
      null,
      { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.total_tokens': 25 },
      { operation: 'chat' },
    ],
    [
      'total smaller than a side is ignored',
      'chat',
      null,
      { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 30, 'gen_ai.usage.total_tokens': 25 },
      { operation: 'chat', inputTokens: 30 },
    ],
    [
      'embeddings total counts as input',
      'x',
      null,
      { 'gen_ai.operation.name': 'embeddings', 'gen_ai.usage.total_tokens': 9 },
      { operation: 'embeddings', inputTokens: 9 },
    ],
  ]);
});

describe("Sentry's flavour", () => {
  run([
    [
      'op gen_ai.chat',
      'chat claude',
      'gen_ai.chat',
      { 'gen_ai.request.model': 'claude' },
      { operation: 'chat', model: 'claude' },
    ],
    [
      'op gen_ai.invoke_agent',
      'invoke_agent weather',
      'gen_ai.invoke_agent',
      { 'gen_ai.agent.name': 'weather' },
      { operation: 'invoke_agent', agentName: 'weather' },
    ],
    [
      'op gen_ai.execute_tool',
      'execute_tool x',
      'gen_ai.execute_tool',
      { 'gen_ai.tool.name': 'x' },
      { operation: 'execute_tool', toolName: 'x' },
    ],
    ['op gen_ai.handoff', 'handoff to b', 'gen_ai.handoff', {}, { operation: 'handoff' }],
    [
      'gen_ai.operation.name wins over op',
      'x',
      'gen_ai.chat',
      { 'gen_ai.operation.name': 'text_completion' },
      { operation: 'text_completion' },
    ],
    ['op gen_ai. alone is not an operation', 'x', 'gen_ai.', {}, {}],
    [
      'older prompt/completion tokens',
      'chat',
      'gen_ai.chat',
      { 'gen_ai.usage.prompt_tokens': 11, 'gen_ai.usage.completion_tokens': 3 },
      { operation: 'chat', inputTokens: 11, outputTokens: 3 },
    ],
    [
      'new names win over older ones',
      'chat',
      'gen_ai.chat',
      { 'gen_ai.usage.input_tokens': 1, 'gen_ai.usage.prompt_tokens': 11 },
      { operation: 'chat', inputTokens: 1 },
    ],
    [
      "Sentry's cached / reasoning names",
      'chat',
      'gen_ai.chat',
      { 'gen_ai.usage.input_tokens.cached': 4, 'gen_ai.usage.output_tokens.reasoning': 6 },
      { operation: 'chat', cachedInputTokens: 4, reasoningTokens: 6 },
    ],
    [
      'cache_read_input_tokens (underscore form)',
      'chat',
      'gen_ai.chat',
      { 'gen_ai.usage.cache_read_input_tokens': 3 },
      { operation: 'chat', cachedInputTokens: 3 },
    ],
    [
      'older op gen_ai.generate_text folds to generate_content',
      'x',
      'gen_ai.generate_text',
      {},
      { operation: 'generate_content' },
    ],
    [
      'older op gen_ai.stream_text folds to generate_content',
      'x',
      'gen_ai.stream_text',
      {},
      { operation: 'generate_content' },
    ],
    ['older op gen_ai.embed folds to embeddings', 'x', 'gen_ai.embed', {}, { operation: 'embeddings' }],
    [
      'legacy op ai.chat_completions.create.openai',
      'chat',
      'ai.chat_completions.create.openai',
      { 'ai.model_id': 'gpt-4', 'ai.prompt_tokens.used': 5, 'ai.completion_tokens.used': 2 },
      { operation: 'chat', model: 'gpt-4', inputTokens: 5, outputTokens: 2 },
    ],
    [
      'legacy op ai.embeddings.create.openai',
      'x',
      'ai.embeddings.create.openai',
      {},
      { operation: 'embeddings' },
    ],
    ['legacy op ai.run.langchain', 'x', 'ai.run.langchain', {}, { operation: 'invoke_agent' }],
    ['legacy op ai.pipeline.langchain', 'x', 'ai.pipeline.langchain', {}, { operation: 'invoke_workflow' }],
    [
      'legacy total derives output',
      'x',
      'ai.chat_completions.create.openai',
      { 'ai.prompt_tokens.used': 5, 'ai.total_tokens.used': 9 },
      { operation: 'chat', inputTokens: 5, outputTokens: 4 },
    ],
  ]);
});

describe('Vercel AI SDK', () => {
  const v4Usage = { 'ai.usage.promptTokens': 30, 'ai.usage.completionTokens': 8 };
  const v5Usage = { 'ai.usage.inputTokens': 30, 'ai.usage.outputTokens': 8 };
  run([
    [
      'v4 outer ai.generateText: tokens not counted (the inner call has them)',
      'ai.generateText',
      null,
      {
        'ai.operationId': 'ai.generateText',
        'ai.model.id': 'gpt-4o',
        'ai.model.provider': 'openai.chat',
        'ai.telemetry.functionId': 'weather-agent',
        ...v4Usage,
      },
      { operation: 'invoke_agent', provider: 'openai', model: 'gpt-4o', agentName: 'weather-agent' },
    ],
    [
      'v4 inner doGenerate: tokens counted',
      'ai.generateText.doGenerate',
      null,
      {
        'ai.operationId': 'ai.generateText.doGenerate',
        'ai.model.id': 'gpt-4o',
        'ai.model.provider': 'openai.chat',
        'ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.system': 'openai.chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.prompt_tokens': 30,
        'gen_ai.usage.completion_tokens': 8,
        ...v4Usage,
      },
      {
        operation: 'generate_content',
        provider: 'openai',
        model: 'gpt-4o-2024-08-06',
        inputTokens: 30,
        outputTokens: 8,
      },
    ],
    [
      'v5 inner doStream with only ai.usage.*',
      'ai.streamText.doStream',
      null,
      {
        'ai.operationId': 'ai.streamText.doStream',
        'ai.model.id': 'claude-sonnet-4-6',
        'ai.model.provider': 'anthropic.messages',
        ...v5Usage,
        'ai.usage.cachedInputTokens': 20,
        'ai.usage.reasoningTokens': 3,
      },
      {
        operation: 'generate_content',
        provider: 'anthropic',
        model: 'claude-sonnet-4-6',
        inputTokens: 30,
        outputTokens: 8,
        cachedInputTokens: 20,
        reasoningTokens: 3,
      },
    ],
    [
      'v5 outer ai.streamText: no tokens',
      'ai.streamText',
      null,
      { 'ai.operationId': 'ai.streamText', ...v5Usage },
      { operation: 'invoke_agent' },
    ],
    [
      'outer ai.generateObject: no tokens',
      'ai.generateObject',
      null,
      { 'ai.operationId': 'ai.generateObject', ...v5Usage },
      { operation: 'invoke_agent' },
    ],
    [
      'inner ai.generateObject.doGenerate',
      'ai.generateObject.doGenerate',
      null,
      { 'ai.operationId': 'ai.generateObject.doGenerate', ...v5Usage },
      { operation: 'generate_content', inputTokens: 30, outputTokens: 8 },
    ],
    [
      'ai.toolCall',
      'ai.toolCall',
      null,
      { 'ai.operationId': 'ai.toolCall', 'ai.toolCall.name': 'get_weather', 'ai.toolCall.id': 'c1' },
      { operation: 'execute_tool', toolName: 'get_weather' },
    ],
    [
      'outer ai.embed: no tokens',
      'ai.embed',
      null,
      { 'ai.operationId': 'ai.embed', 'ai.usage.tokens': 7, 'ai.model.id': 'text-embedding-3-small' },
      { operation: 'embeddings', model: 'text-embedding-3-small' },
    ],
    [
      'inner ai.embed.doEmbed: tokens as input',
      'ai.embed.doEmbed',
      null,
      { 'ai.operationId': 'ai.embed.doEmbed', 'ai.usage.tokens': 7 },
      { operation: 'embeddings', inputTokens: 7 },
    ],
    [
      'inner ai.embedMany.doEmbed',
      'ai.embedMany.doEmbed',
      null,
      { 'ai.operationId': 'ai.embedMany.doEmbed', 'ai.usage.tokens': 70 },
      { operation: 'embeddings', inputTokens: 70 },
    ],
    [
      'recognised by span name without ai.operationId',
      'ai.generateText.doGenerate',
      null,
      { 'ai.usage.promptTokens': 3 },
      { operation: 'generate_content', inputTokens: 3 },
    ],
    [
      'outer by span name: no tokens',
      'ai.generateText',
      null,
      { 'ai.usage.promptTokens': 3 },
      { operation: 'invoke_agent' },
    ],
    [
      'tokens as numeric strings',
      'ai.generateText.doGenerate',
      null,
      { 'ai.usage.promptTokens': '3', 'ai.usage.completionTokens': '4' },
      { operation: 'generate_content', inputTokens: 3, outputTokens: 4 },
    ],
    [
      'google provider id',
      'ai.generateText.doGenerate',
      null,
      { 'ai.model.provider': 'google.generative-ai' },
      { operation: 'generate_content', provider: 'google' },
    ],
    [
      'amazon-bedrock provider id',
      'ai.generateText.doGenerate',
      null,
      { 'ai.model.provider': 'amazon-bedrock' },
      { operation: 'generate_content', provider: 'amazon-bedrock' },
    ],
    [
      "Sentry's Vercel integration: outer invoke_agent carries summed usage → not counted",
      'invoke_agent weather',
      'gen_ai.invoke_agent',
      {
        'gen_ai.operation.name': 'invoke_agent',
        'vercel.ai.operationId': 'ai.generateText',
        'gen_ai.provider.name': 'openai.responses',
        'vercel.ai.model.provider': 'openai.responses',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.function_id': 'weather',
        'gen_ai.usage.input_tokens': 60,
        'gen_ai.usage.output_tokens': 16,
      },
      { operation: 'invoke_agent', provider: 'openai', model: 'gpt-4o', agentName: 'weather' },
    ],
    [
      "Sentry's Vercel integration: inner generate_content counted",
      'generate_content gpt-4o',
      'gen_ai.generate_content',
      {
        'gen_ai.operation.name': 'generate_content',
        'vercel.ai.operationId': 'ai.generateText.doGenerate',
        'gen_ai.provider.name': 'openai.responses',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 30,
        'gen_ai.usage.output_tokens': 8,
        'gen_ai.usage.cache_read.input_tokens': 10,
      },
      {
        operation: 'generate_content',
        provider: 'openai',
        model: 'gpt-4o',
        inputTokens: 30,
        outputTokens: 8,
        cachedInputTokens: 10,
      },
    ],
  ]);
});

describe('OpenLLMetry (traceloop)', () => {
  run([
    [
      'openai.chat span',
      'openai.chat',
      null,
      {
        'llm.request.type': 'chat',
        'gen_ai.system': 'OpenAI',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.prompt_tokens': 15,
        'gen_ai.usage.completion_tokens': 9,
        'llm.usage.total_tokens': 24,
      },
      { operation: 'chat', provider: 'openai', model: 'gpt-4o-2024-08-06', inputTokens: 15, outputTokens: 9 },
    ],
    [
      'completion request type',
      'x',
      null,
      { 'llm.request.type': 'completion' },
      { operation: 'text_completion' },
    ],
    ['embedding request type', 'x', null, { 'llm.request.type': 'embedding' }, { operation: 'embeddings' }],
    [
      'older llm.usage.* tokens',
      'x',
      null,
      { 'llm.request.type': 'chat', 'llm.usage.prompt_tokens': 4, 'llm.usage.completion_tokens': 2 },
      { operation: 'chat', inputTokens: 4, outputTokens: 2 },
    ],
    [
      'llm.usage.total derives output',
      'x',
      null,
      { 'llm.request.type': 'chat', 'llm.usage.prompt_tokens': 4, 'llm.usage.total_tokens': 10 },
      { operation: 'chat', inputTokens: 4, outputTokens: 6 },
    ],
    [
      'agent entity',
      'researcher.agent',
      null,
      { 'traceloop.span.kind': 'agent', 'traceloop.entity.name': 'researcher' },
      { operation: 'invoke_agent', agentName: 'researcher' },
    ],
    [
      'tool entity',
      'search.tool',
      null,
      { 'traceloop.span.kind': 'tool', 'traceloop.entity.name': 'search' },
      { operation: 'execute_tool', toolName: 'search' },
    ],
    [
      'workflow entity',
      'pipeline.workflow',
      null,
      { 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'pipeline' },
      { operation: 'invoke_workflow' },
    ],
    [
      'task entity is not an AI operation',
      'step.task',
      null,
      { 'traceloop.span.kind': 'task', 'traceloop.entity.name': 'step' },
      {},
    ],
  ]);
});

describe('OpenInference', () => {
  run([
    [
      'LLM span',
      'ChatOpenAI',
      null,
      {
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'gpt-4o-mini',
        'llm.provider': 'openai',
        'llm.system': 'openai',
        'llm.token_count.prompt': 50,
        'llm.token_count.completion': 12,
        'llm.token_count.total': 62,
        'llm.token_count.prompt_details.cache_read': 30,
        'llm.token_count.completion_details.reasoning': 4,
      },
      {
        operation: 'chat',
        provider: 'openai',
        model: 'gpt-4o-mini',
        inputTokens: 50,
        outputTokens: 12,
        cachedInputTokens: 30,
        reasoningTokens: 4,
      },
    ],
    [
      'TOOL span',
      'get_weather',
      null,
      { 'openinference.span.kind': 'TOOL', 'tool.name': 'get_weather' },
      { operation: 'execute_tool', toolName: 'get_weather' },
    ],
    [
      'AGENT span',
      'agent',
      null,
      { 'openinference.span.kind': 'AGENT', 'agent.name': 'planner' },
      { operation: 'invoke_agent', agentName: 'planner' },
    ],
    [
      'CHAIN span passes through in lower case',
      'RunnableSequence',
      null,
      { 'openinference.span.kind': 'CHAIN' },
      { operation: 'chain' },
    ],
    [
      'EMBEDDING span',
      'embed',
      null,
      { 'openinference.span.kind': 'EMBEDDING', 'embedding.model_name': 'text-embedding-3-small' },
      { operation: 'embeddings', model: 'text-embedding-3-small' },
    ],
    [
      'RETRIEVER span',
      'retrieve',
      null,
      { 'openinference.span.kind': 'RETRIEVER' },
      { operation: 'retrieval' },
    ],
    ['kind in lower case', 'x', null, { 'openinference.span.kind': 'llm' }, { operation: 'chat' }],
    [
      'only a total token count',
      'x',
      null,
      { 'openinference.span.kind': 'LLM', 'llm.token_count.total': 62 },
      { operation: 'chat' },
    ],
  ]);
});

describe('helpers', () => {
  test('tokenCount', () => {
    assert.equal(tokenCount(3), 3);
    assert.equal(tokenCount('3'), 3);
    assert.equal(tokenCount(2.6), 3);
    assert.equal(tokenCount(''), null);
    assert.equal(tokenCount('1e3'), 1000);
    assert.equal(tokenCount(Number.POSITIVE_INFINITY), null);
    assert.equal(tokenCount(true), null);
  });
  test('costUsd: gen_ai.cost.total_usd as a non-negative number (numeric text too), else null', () => {
    const cost = (v: PlainAttributes[string]) =>
      normaliseAi('chat', null, { 'gen_ai.request.model': 'm', 'gen_ai.cost.total_usd': v }).costUsd;
    assert.equal(cost(0.0125), 0.0125);
    assert.equal(cost('0.5'), 0.5);
    assert.equal(cost(0), 0);
    assert.equal(cost(-1), null);
    assert.equal(cost('cheap'), null);
    assert.equal(cost(''), null);
    assert.equal(cost(true), null);
  });
  test('isAiSpan', () => {
    assert.equal(isAiSpan(NONE), false);
    assert.equal(isAiSpan({ ...NONE, model: 'gpt-4o' }), true);
    assert.equal(isAiSpan({ ...NONE, operation: 'chat' }), true);
  });
});
