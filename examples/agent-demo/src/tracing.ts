// Agent-run, tool-call and handoff spans. Until @sieve/sdk's AI helpers (startAgentRun, startToolCall,
// recordHandoff) are merged, these are plain spans with the same names, ops and attributes.
import { type Span, startSpan } from '@sieve/sdk';

export interface AgentRunOptions {
  agent: string;
  model: string;
  provider: string;
  conversationId: string | undefined;
}

export function agentRun<T>(options: AgentRunOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  return startSpan(
    {
      name: `invoke_agent ${options.agent}`,
      op: 'gen_ai.invoke_agent',
      attributes: {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': options.agent,
        'gen_ai.request.model': options.model,
        'gen_ai.provider.name': options.provider,
        'gen_ai.conversation.id': options.conversationId,
      },
    },
    fn,
  );
}

/** `input` is the model's arguments (recorded by the SDK helper only with `recordInputs`). */
export function toolCall<T>(name: string, callId: string, _input: unknown, fn: () => T): T {
  return startSpan(
    {
      name: `execute_tool ${name}`,
      op: 'gen_ai.execute_tool',
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': name,
        'gen_ai.tool.call.id': callId,
      },
    },
    fn,
  );
}

export function handoff(from: string, to: string): void {
  startSpan(
    {
      name: `handoff from ${from} to ${to}`,
      op: 'gen_ai.handoff',
      attributes: { 'gen_ai.handoff.from': from, 'gen_ai.handoff.to': to },
    },
    () => undefined,
  );
}
