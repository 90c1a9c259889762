/**
 * How the official `@anthropic-ai/sdk` client's `messages.create` reads, plain and streamed (which
 * `messages.stream()` uses). Anthropic counts cache reads and writes apart from `input_tokens`; the
 * GenAI conventions' input count includes them, so they are added here.
 */
import type { CallResult } from './call.js';
import { type ContentMessage, messageOf, partOf } from './content.js';
import { num, obj, serverAttributes, stopSequences, str, sum } from './read.js';
import type { Operation, StreamAccumulator } from './wrap.js';

function usageOf(usage: unknown): CallResult['usage'] {
  const u = obj(usage);
  if (u === undefined) return undefined;
  const fresh = num(u.input_tokens);
  const read = num(u.cache_read_input_tokens);
  const written = num(u.cache_creation_input_tokens);
  return {
    inputTokens: sum(fresh, read, written),
    outputTokens: num(u.output_tokens),
    cachedInputTokens: read,
    cacheWriteInputTokens: written,
    reasoningTokens: num(obj(u.output_tokens_details)?.thinking_tokens),
  };
}

function messageResult(data: unknown): CallResult {
  const m = obj(data) ?? {};
  const reason = str(m.stop_reason);
  return {
    responseModel: str(m.model),
    responseId: str(m.id),
    finishReasons: reason === undefined ? undefined : [reason],
    usage: usageOf(m.usage),
    outputMessages: () => {
      const message: ContentMessage = messageOf({ role: 'assistant', content: m.content ?? [] });
      return [reason === undefined ? message : { ...message, finish_reason: reason }];
    },
  };
}

interface BlockDraft {
  block: Record<string, unknown>;
  text: string;
}

/** Message stream events folded into one message, as the SDK's MessageStream does. */
class MessageAccumulator implements StreamAccumulator {
  private message: Record<string, unknown> | undefined;
  private usage: Record<string, unknown> = {};
  private stopReason: string | undefined;
  private readonly blocks: BlockDraft[] = [];

  constructor(private readonly keepContent: boolean) {}

  add(event: unknown): boolean {
    const e = obj(event);
    switch (e?.type) {
      case 'message_start': {
        this.message = obj(e.message);
        Object.assign(this.usage, obj(this.message?.usage));
        return false;
      }
      case 'message_delta': {
        // Usage here is cumulative: later counts replace earlier ones.
        for (const [key, value] of Object.entries(obj(e.usage) ?? {}))
          if (value !== null) this.usage[key] = value;
        this.stopReason = str(obj(e.delta)?.stop_reason) ?? this.stopReason;
        return false;
      }
      case 'content_block_start': {
        if (this.keepContent)
          this.blocks[num(e.index) ?? this.blocks.length] = { block: { ...obj(e.content_block) }, text: '' };
        return obj(e.content_block)?.type === 'tool_use';
      }
      case 'content_block_delta': {
        const delta = obj(e.delta);
        const piece = str(delta?.text) ?? str(delta?.partial_json) ?? str(delta?.thinking);
        if (this.keepContent && piece !== undefined) {
          const draft = this.blocks[num(e.index) ?? 0];
          if (draft !== undefined) draft.text += piece;
        }
        return delta?.type === 'text_delta' || delta?.type === 'input_json_delta';
      }
      default:
        return false;
    }
  }

  result(): CallResult {
    const hasUsage = Object.keys(this.usage).length > 0;
    return {
      responseModel: str(this.message?.model),
      responseId: str(this.message?.id),
      finishReasons: this.stopReason === undefined ? undefined : [this.stopReason],
      usage: hasUsage ? usageOf(this.usage) : undefined,
      outputMessages: () => {
        const content = this.blocks
          .filter((d) => d !== undefined)
          .map(({ block, text }) => {
            if (block.type === 'tool_use') {
              let input: unknown = text;
              try {
                input = text === '' ? block.input : JSON.parse(text);
              } catch {
                // Partial JSON (a broken stream): kept as text.
              }
              return partOf({ ...block, input });
            }
            if (block.type === 'thinking') return partOf({ type: 'thinking', thinking: text });
            return partOf({ type: 'text', text: `${String(block.text ?? '')}${text}` });
          });
        const message: ContentMessage = { role: 'assistant', parts: content };
        return [this.stopReason === undefined ? message : { ...message, finish_reason: this.stopReason }];
      },
    };
  }
}

function systemText(system: unknown): string | undefined {
  if (typeof system === 'string') return system;
  if (Array.isArray(system))
    return system
      .map((b) => str(obj(b)?.text))
      .filter((t): t is string => t !== undefined)
      .join('\n');
  return undefined;
}

export const messages: Operation = {
  begin(params, resource) {
    const p = obj(params);
    if (p === undefined) return undefined;
    return {
      operation: 'chat',
      provider: 'anthropic',
      model: str(p.model),
      stream: p.stream === true,
      origin: 'auto.ai.anthropic',
      attributes: {
        ...serverAttributes(resource),
        'gen_ai.request.max_tokens': num(p.max_tokens),
        'gen_ai.request.temperature': num(p.temperature),
        'gen_ai.request.top_p': num(p.top_p),
        'gen_ai.request.top_k': num(p.top_k),
        'gen_ai.request.stop_sequences': stopSequences(p.stop_sequences),
      },
      inputMessages: () => (Array.isArray(p.messages) ? p.messages.map(messageOf) : []),
      systemInstructions: () => systemText(p.system),
    };
  },
  result: messageResult,
  accumulator: (keep) => new MessageAccumulator(keep),
  suppressOwnSpans: true,
};
