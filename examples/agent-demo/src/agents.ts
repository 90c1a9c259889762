// A support desk of two tool-using agents on the real clients: `triage` (OpenAI chat completions) answers
// with help-centre and weather tools, or hands the customer to `billing` (Anthropic messages, streamed),
// which checks the order and the policy before answering.
import type Anthropic from '@anthropic-ai/sdk';
import { recordHandoff, startAgentRun, startToolCall } from '@sieve/sdk';
import type OpenAI from 'openai';
import { runTool, TOOLS } from './tools.js';

export const TRIAGE_MODEL = 'gpt-4o-mini';
export const BILLING_MODEL = 'claude-haiku-4-5';
const MAX_STEPS = 6;

const TRIAGE_PROMPT =
  'You are the triage agent of an online shop. Answer questions about shipping, delivery delays and ' +
  'the help centre yourself, using the tools. Hand anything about payments, refunds or invoices to billing.';
const BILLING_PROMPT =
  'You are the billing agent of an online shop. Check the order before you answer, quote the policy ' +
  'that applies, and never promise a refund the policy does not allow.';

export interface AgentResult {
  answer: string;
  /** Agents that ran, in order. */
  agents: string[];
  llmCalls: number;
  toolCalls: number;
  handoffs: number;
}

function parseArguments(raw: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export class SupportDesk {
  constructor(
    private readonly openai: OpenAI,
    private readonly anthropic: Anthropic,
  ) {}

  /** One customer question through the desk: triage, and billing if triage hands over. */
  run(question: string, conversationId?: string): Promise<AgentResult> {
    const result: AgentResult = { answer: '', agents: [], llmCalls: 0, toolCalls: 0, handoffs: 0 };
    return this.triage(question, conversationId, result).then((answer) => ({ ...result, answer }));
  }

  private triage(question: string, conversationId: string | undefined, result: AgentResult): Promise<string> {
    return startAgentRun(
      { agent: 'triage', model: TRIAGE_MODEL, provider: 'openai', conversationId },
      async () => {
        result.agents.push('triage');
        const tools = ['search_docs', 'get_weather', 'lookup_order', 'transfer_to_billing'].map((name) => ({
          type: 'function' as const,
          function: TOOLS[name]!,
        }));
        const messages: OpenAI.ChatCompletionMessageParam[] = [
          { role: 'system', content: TRIAGE_PROMPT },
          { role: 'user', content: question },
        ];
        for (let step = 0; step < MAX_STEPS; step++) {
          result.llmCalls++;
          const completion = await this.openai.chat.completions.create({
            model: TRIAGE_MODEL,
            messages,
            tools,
          });
          const message = completion.choices[0]!.message;
          const calls = (message.tool_calls ?? []).filter((c) => c.type === 'function');
          if (calls.length === 0) return message.content ?? '';
          messages.push(message);
          for (const call of calls) {
            const args = parseArguments(call.function.arguments);
            if (call.function.name === 'transfer_to_billing') {
              result.handoffs++;
              recordHandoff('triage', 'billing');
              return this.billing(question, String(args.reason ?? ''), conversationId, result);
            }
            result.toolCalls++;
            const output = startToolCall({ name: call.function.name, callId: call.id, input: args }, () =>
              runTool(call.function.name, args),
            );
            messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(output) });
          }
        }
        return 'Sorry, I could not finish that in time.';
      },
    );
  }

  private billing(
    question: string,
    reason: string,
    conversationId: string | undefined,
    result: AgentResult,
  ): Promise<string> {
    return startAgentRun(
      { agent: 'billing', model: BILLING_MODEL, provider: 'anthropic', conversationId },
      async () => {
        result.agents.push('billing');
        const tools = ['lookup_order', 'search_docs'].map((name) => {
          const t = TOOLS[name]!;
          return { name: t.name, description: t.description, input_schema: t.parameters };
        });
        const messages: Anthropic.MessageParam[] = [
          {
            role: 'user',
            content:
              `Handoff from triage (${reason}). Check the order with lookup_order, then the policy with ` +
              `search_docs, and answer the customer.\nCustomer: ${question}`,
          },
        ];
        for (let step = 0; step < MAX_STEPS; step++) {
          result.llmCalls++;
          const reply = await this.anthropic.messages
            .stream({ model: BILLING_MODEL, max_tokens: 512, system: BILLING_PROMPT, messages, tools })
            .finalMessage();
          const uses = reply.content.filter((b) => b.type === 'tool_use');
          if (uses.length === 0) return reply.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
          messages.push({ role: 'assistant', content: reply.content });
          const results: Anthropic.ToolResultBlockParam[] = uses.map((use) => {
            result.toolCalls++;
            const args = use.input as Record<string, unknown>;
            const output = startToolCall({ name: use.name, callId: use.id, input: args }, () =>
              runTool(use.name, args),
            );
            return { type: 'tool_result', tool_use_id: use.id, content: JSON.stringify(output) };
          });
          messages.push({ role: 'user', content: results });
        }
        return 'Sorry, billing could not finish that in time.';
      },
    );
  }
}
