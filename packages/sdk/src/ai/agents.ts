import { AsyncLocalStorage } from 'node:async_hooks';
import { getClient } from '../client.js';
import { startSpan } from '../trace/tracer.js';
import type { Span } from '../types.js';
import { cut } from './content.js';

/** What LLM calls inside an agent run inherit, sampled or not (spans of dropped traces hold nothing). */
export interface AgentScope {
  agent: string;
  conversationId: string | undefined;
}

export const agentScope = new AsyncLocalStorage<AgentScope>();

export interface AgentRunOptions {
  /** The agent's name: `gen_ai.agent.name`, and the span name `invoke_agent {agent}`. */
  agent: string;
  /** The model the agent mainly uses (`gen_ai.request.model`), so samplers can see it. */
  model?: string;
  /** `gen_ai.provider.name`, e.g. 'openai'. */
  provider?: string;
  /** `gen_ai.conversation.id`; LLM calls inside the run carry it too. Inherited from an outer run when absent. */
  conversationId?: string;
  /** `gen_ai.agent.id`. */
  agentId?: string;
  /** `gen_ai.agent.description`. */
  description?: string;
}

export interface ToolCallOptions {
  /** `gen_ai.tool.name`; the span is `execute_tool {name}`. */
  name: string;
  /** `gen_ai.tool.call.id`: the id the model gave the call. */
  callId?: string;
  /** The arguments; recorded as `gen_ai.tool.call.arguments` only with `recordInputs`. */
  input?: unknown;
  /** `gen_ai.tool.type`, default 'function'. */
  type?: string;
  /** `gen_ai.tool.description`. */
  description?: string;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function json(value: unknown): string {
  try {
    return cut(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)));
  } catch {
    return String(value);
  }
}

/**
 * Runs `fn` inside an `invoke_agent {agent}` span (op `gen_ai.invoke_agent`). The name, model and
 * conversation id are set when the span starts, so a `tracesSampler` sees them on a root run. LLM calls
 * inside get the conversation id, whatever the sampling decision.
 */
export function startAgentRun<T>(options: AgentRunOptions, fn: (span: Span) => T): T {
  const o = options !== null && typeof options === 'object' ? options : ({} as AgentRunOptions);
  const agent = text(o.agent) ?? 'agent';
  const conversationId = text(o.conversationId) ?? agentScope.getStore()?.conversationId;
  return startSpan(
    {
      name: `invoke_agent ${agent}`,
      op: 'gen_ai.invoke_agent',
      attributes: {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': agent,
        'gen_ai.agent.id': text(o.agentId),
        'gen_ai.agent.description': text(o.description),
        'gen_ai.request.model': text(o.model),
        'gen_ai.provider.name': text(o.provider),
        'gen_ai.conversation.id': conversationId,
        'sentry.origin': 'manual.ai.agent',
      },
    },
    (span) => agentScope.run({ agent, conversationId }, fn, span),
  );
}

/**
 * Runs `fn` inside an `execute_tool {name}` span (op `gen_ai.execute_tool`). With `recordInputs` the
 * input is recorded, with `recordOutputs` what `fn` returns (or resolves to).
 */
export function startToolCall<T>(options: ToolCallOptions, fn: (span: Span) => T): T {
  const o = options !== null && typeof options === 'object' ? options : ({} as ToolCallOptions);
  const name = text(o.name) ?? 'tool';
  const client = getClient();
  return startSpan(
    {
      name: `execute_tool ${name}`,
      op: 'gen_ai.execute_tool',
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': name,
        'gen_ai.tool.call.id': text(o.callId),
        'gen_ai.tool.type': text(o.type) ?? 'function',
        'gen_ai.tool.description': text(o.description),
        'gen_ai.conversation.id': agentScope.getStore()?.conversationId,
        'gen_ai.tool.call.arguments':
          client?.options.recordInputs === true && o.input !== undefined ? json(o.input) : undefined,
        'sentry.origin': 'manual.ai.tool',
      },
    },
    (span) => {
      const result = fn(span);
      if (client?.options.recordOutputs === true && span.isRecording()) {
        try {
          if (result instanceof Promise) {
            // A handler on a derived promise: the caller's promise and its rejection stay theirs.
            result.then(
              (value) => span.setAttribute('gen_ai.tool.call.result', json(value)),
              () => undefined,
            );
          } else if (result !== undefined) {
            span.setAttribute('gen_ai.tool.call.result', json(result));
          }
        } catch {
          // Recording is best effort; the tool's result is the caller's.
        }
      }
      return result;
    },
  );
}

/** Records a handoff from one agent to another: a `gen_ai.handoff` span named `handoff from {from} to {to}`. */
export function recordHandoff(from: string, to: string): void {
  const source = text(from) ?? 'agent';
  const target = text(to) ?? 'agent';
  startSpan(
    {
      name: `handoff from ${source} to ${target}`,
      op: 'gen_ai.handoff',
      attributes: {
        'gen_ai.agent.name': source,
        'gen_ai.handoff.from': source,
        'gen_ai.handoff.to': target,
        'gen_ai.conversation.id': agentScope.getStore()?.conversationId,
        'sentry.origin': 'manual.ai.handoff',
      },
    },
    () => undefined,
  );
}
