import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentText, type RunSpanInput, runSteps, stepKind } from '../src/lib/run.ts';

const span = (
  spanId: string,
  parentSpanId: string | null,
  startTime: number,
  operation: string | null,
  attributes: Record<string, unknown> = {},
  model: string | null = null,
): RunSpanInput => ({
  spanId,
  parentSpanId,
  name: spanId,
  startTime,
  endTime: startTime + 10,
  status: 'ok',
  attributes,
  ai: operation || model ? { operation, model, toolName: null, agentName: null } : null,
});

describe('runSteps', () => {
  const spans = [
    span('http', null, 0, null),
    span('agent', 'http', 1, 'invoke_agent'),
    span('tool', 'agent', 30, 'execute_tool', {
      'gen_ai.tool.call.arguments': '{"city":"Paris"}',
      'gen_ai.tool.call.result': 'sunny',
    }),
    span(
      'chat1',
      'agent',
      2,
      'chat',
      { 'gen_ai.input.messages': '[{"role":"user","content":"hi"}]' },
      'gpt-4o',
    ),
    span('client', 'chat1', 3, null),
    span('sub', 'agent', 50, 'invoke_agent'),
    span('chat2', 'sub', 51, null, {}, 'gpt-4o-mini'),
    span('after', 'http', 100, null),
  ];

  it('is the root subtree in time order with kinds and depths; spans outside the run are left out', () => {
    const steps = runSteps(spans, 'agent');
    assert.deepEqual(
      steps.map((s) => [s.span.spanId, s.kind, s.depth]),
      [
        ['agent', 'agent', 0],
        ['chat1', 'llm', 1],
        ['client', 'other', 2],
        ['tool', 'tool', 1],
        ['sub', 'agent', 1],
        ['chat2', 'llm', 2],
      ],
    );
  });

  it('shows recorded inputs and outputs, JSON pretty-printed', () => {
    const steps = runSteps(spans, 'agent');
    const tool = steps.find((s) => s.span.spanId === 'tool')!;
    assert.equal(tool.input, '{\n  "city": "Paris"\n}');
    assert.equal(tool.output, 'sunny');
    const chat = steps.find((s) => s.span.spanId === 'chat1')!;
    assert.equal(chat.input, 'user: hi');
    assert.equal(chat.output, null);
  });

  it('is empty when the root is not in the trace', () => {
    assert.deepEqual(runSteps(spans, 'nope'), []);
  });
});

describe('stepKind and contentText', () => {
  it('reads the operation from the normalised fields or the raw attribute', () => {
    assert.equal(stepKind(span('a', null, 0, null, { 'gen_ai.operation.name': 'execute_tool' })), 'tool');
    assert.equal(stepKind(span('a', null, 0, 'handoff')), 'handoff');
    assert.equal(stepKind(span('a', null, 0, 'embeddings')), 'llm');
    assert.equal(stepKind(span('a', null, 0, null)), 'other');
  });

  it('shows chat messages one per line, with OpenTelemetry parts and extra fields', () => {
    assert.equal(
      contentText(
        JSON.stringify([
          { role: 'system', content: 'Be brief.' },
          { role: 'user', parts: [{ type: 'text', content: 'Weather?' }] },
          { role: 'assistant', tool_calls: [{ name: 'get_weather' }] },
        ]),
      ),
      'system: Be brief.\nuser: Weather?\nassistant: {"tool_calls":[{"name":"get_weather"}]}',
    );
    // Not messages: pretty JSON.
    assert.equal(contentText('[{"role":1}]'), '[\n  {\n    "role": 1\n  }\n]');
  });

  it('keeps non-JSON text, cuts huge values with a note', () => {
    assert.equal(contentText('{not json'), '{not json');
    assert.equal(contentText(''), null);
    assert.equal(contentText(['a', 1]), '[\n  "a",\n  1\n]');
    const cut = contentText('x'.repeat(50), 10)!;
    assert.equal(cut, `${'x'.repeat(10)}\n… (40 more characters)`);
  });
});
