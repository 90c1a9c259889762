/**
 * How the official `openai` client's calls read: chat completions, responses, embeddings and legacy
 * completions, plain and streamed. Pure readers of request parameters, responses and stream events.
 */
import type { CallResult, CallStart } from './call.js';
import { type ContentMessage, type MessagePart, messageOf, partOf } from './content.js';
import { num, type Obj, obj, serverAttributes, stopSequences, str } from './read.js';
import type { Operation, StreamAccumulator } from './wrap.js';

const ORIGIN = 'auto.ai.openai';

function base(operation: string, params: Obj, resource: unknown): CallStart {
  return {
    operation,
    provider: 'openai',
    model: str(params.model),
    stream: params.stream === true,
    origin: ORIGIN,
    attributes: serverAttributes(resource),
  };
}

function chatUsage(usage: unknown): CallResult['usage'] {
  const u = obj(usage);
  if (u === undefined) return undefined;
  return {
    inputTokens: num(u.prompt_tokens),
    outputTokens: num(u.completion_tokens),
    cachedInputTokens: num(obj(u.prompt_tokens_details)?.cached_tokens),
    reasoningTokens: num(obj(u.completion_tokens_details)?.reasoning_tokens),
  };
}

function choiceMessage(choice: Obj): ContentMessage {
  const message = messageOf(choice.message ?? { role: 'assistant', content: choice.text });
  const reason = str(choice.finish_reason);
  return reason === undefined ? message : { ...message, finish_reason: reason };
}

function finishReasons(choices: unknown): string[] | undefined {
  if (!Array.isArray(choices)) return undefined;
  const reasons = choices.map((c) => str(obj(c)?.finish_reason)).filter((r): r is string => r !== undefined);
  return reasons.length > 0 ? reasons : undefined;
}

function completionResult(data: unknown): CallResult {
  const d = obj(data) ?? {};
  const choices = Array.isArray(d.choices) ? (d.choices as unknown[]) : [];
  return {
    responseModel: str(d.model),
    responseId: str(d.id),
    finishReasons: finishReasons(choices),
    usage: chatUsage(d.usage),
    outputMessages: () => choices.map((c) => choiceMessage(obj(c) ?? {})),
  };
}

interface ToolCallDraft {
  id: string;
  name: string;
  arguments: string;
}

/** Chat completion chunks (and legacy completion chunks) folded into one result. */
class ChatAccumulator implements StreamAccumulator {
  private model: string | undefined;
  private id: string | undefined;
  private usage: CallResult['usage'];
  private readonly reasons = new Map<number, string>();
  private readonly texts = new Map<number, string>();
  private readonly tools = new Map<number, Map<number, ToolCallDraft>>();

  constructor(private readonly keepContent: boolean) {}

  add(event: unknown): boolean {
    const chunk = obj(event);
    if (chunk === undefined) return false;
    this.model ??= str(chunk.model);
    this.id ??= str(chunk.id);
    if (chunk.usage !== undefined && chunk.usage !== null) this.usage = chatUsage(chunk.usage);
    let output = false;
    if (!Array.isArray(chunk.choices)) return false;
    for (const c of chunk.choices) {
      const choice = obj(c);
      if (choice === undefined) continue;
      const index = num(choice.index) ?? 0;
      const reason = str(choice.finish_reason);
      if (reason !== undefined) this.reasons.set(index, reason);
      const delta = obj(choice.delta);
      const text = str(delta?.content) ?? str(choice.text) ?? str(delta?.refusal);
      if (text !== undefined) {
        output = true;
        if (this.keepContent) this.texts.set(index, (this.texts.get(index) ?? '') + text);
      }
      if (Array.isArray(delta?.tool_calls)) {
        output = true;
        if (this.keepContent) {
          let calls = this.tools.get(index);
          if (calls === undefined) {
            calls = new Map();
            this.tools.set(index, calls);
          }
          for (const t of delta.tool_calls as unknown[]) {
            const tc = obj(t) ?? {};
            const at = num(tc.index) ?? 0;
            const draft = calls.get(at) ?? { id: '', name: '', arguments: '' };
            const fn = obj(tc.function);
            draft.id ||= str(tc.id) ?? '';
            draft.name ||= str(fn?.name) ?? '';
            draft.arguments += typeof fn?.arguments === 'string' ? fn.arguments : '';
            calls.set(at, draft);
          }
        }
      }
    }
    return output;
  }

  result(): CallResult {
    const indices = new Set([...this.reasons.keys(), ...this.texts.keys(), ...this.tools.keys()]);
    const sorted = [...indices].sort((a, b) => a - b);
    return {
      responseModel: this.model,
      responseId: this.id,
      finishReasons: sorted.map((i) => this.reasons.get(i)).filter((r): r is string => r !== undefined),
      usage: this.usage,
      outputMessages: () =>
        sorted.map((i) => {
          const parts: MessagePart[] = [];
          const text = this.texts.get(i);
          if (text !== undefined) parts.push(partOf(text));
          for (const call of this.tools.get(i)?.values() ?? [])
            parts.push(
              partOf({ type: 'function_call', call_id: call.id, name: call.name, arguments: call.arguments }),
            );
          const reason = this.reasons.get(i);
          return reason === undefined
            ? { role: 'assistant', parts }
            : { role: 'assistant', parts, finish_reason: reason };
        }),
    };
  }
}

function requestParameters(params: Obj): Record<string, string | number | string[] | undefined> {
  return {
    'gen_ai.request.max_tokens':
      num(params.max_completion_tokens) ?? num(params.max_tokens) ?? num(params.max_output_tokens),
    'gen_ai.request.temperature': num(params.temperature),
    'gen_ai.request.top_p': num(params.top_p),
    'gen_ai.request.frequency_penalty': num(params.frequency_penalty),
    'gen_ai.request.presence_penalty': num(params.presence_penalty),
    'gen_ai.request.seed': num(params.seed),
    'gen_ai.request.choice.count': num(params.n) !== undefined && params.n !== 1 ? num(params.n) : undefined,
    'gen_ai.request.stop_sequences': stopSequences(params.stop),
  };
}

export const chatCompletions: Operation = {
  begin(params, resource) {
    const p = obj(params);
    if (p === undefined) return undefined;
    const start = base('chat', p, resource);
    Object.assign(start.attributes, requestParameters(p));
    start.inputMessages = () => (Array.isArray(p.messages) ? p.messages.map(messageOf) : []);
    return start;
  },
  result: completionResult,
  accumulator: (keep) => new ChatAccumulator(keep),
};

export const completions: Operation = {
  begin(params, resource) {
    const p = obj(params);
    if (p === undefined) return undefined;
    const start = base('text_completion', p, resource);
    Object.assign(start.attributes, requestParameters(p));
    start.inputMessages = () => {
      const prompt = p.prompt;
      const prompts = Array.isArray(prompt) ? prompt : [prompt];
      return prompts.filter((x) => typeof x === 'string').map((x) => messageOf({ role: 'user', content: x }));
    };
    return start;
  },
  result: completionResult,
  accumulator: (keep) => new ChatAccumulator(keep),
};

function responsesUsage(usage: unknown): CallResult['usage'] {
  const u = obj(usage);
  if (u === undefined) return undefined;
  return {
    inputTokens: num(u.input_tokens),
    outputTokens: num(u.output_tokens),
    cachedInputTokens: num(obj(u.input_tokens_details)?.cached_tokens),
    reasoningTokens: num(obj(u.output_tokens_details)?.reasoning_tokens),
  };
}

function responseResult(data: unknown): CallResult {
  const r = obj(data) ?? {};
  const output = Array.isArray(r.output) ? (r.output as unknown[]) : [];
  const calledTools = output.some((item) => obj(item)?.type === 'function_call');
  const incomplete = str(obj(r.incomplete_details)?.reason);
  const status = str(r.status);
  const reason = calledTools
    ? 'tool_calls'
    : incomplete !== undefined
      ? incomplete
      : status === 'completed'
        ? 'stop'
        : status;
  return {
    responseModel: str(r.model),
    responseId: str(r.id),
    finishReasons: reason === undefined ? undefined : [reason],
    usage: responsesUsage(r.usage),
    outputMessages: () => {
      const parts: MessagePart[] = [];
      for (const item of output) {
        const i = obj(item);
        if (i?.type === 'message' && Array.isArray(i.content))
          for (const c of i.content) parts.push(partOf(c));
        else if (i?.type === 'function_call') parts.push(partOf(i));
      }
      return parts.length === 0
        ? []
        : [{ role: 'assistant', parts, ...(reason === undefined ? {} : { finish_reason: reason }) }];
    },
  };
}

/** Responses stream events: the final `response.*` event carries the whole response, usage included. */
class ResponsesAccumulator implements StreamAccumulator {
  private final: unknown;
  private model: string | undefined;
  private id: string | undefined;

  add(event: unknown): boolean {
    const e = obj(event);
    const type = str(e?.type);
    if (e === undefined || type === undefined) return false;
    const response = obj(e.response);
    if (response !== undefined) {
      this.model ??= str(response.model);
      this.id ??= str(response.id);
      if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed')
        this.final = response;
    }
    return (
      type === 'response.output_text.delta' ||
      type === 'response.function_call_arguments.delta' ||
      type === 'response.refusal.delta'
    );
  }

  result(): CallResult {
    if (this.final !== undefined) return responseResult(this.final);
    return { responseModel: this.model, responseId: this.id };
  }
}

export const responses: Operation = {
  begin(params, resource) {
    const p = obj(params);
    if (p === undefined) return undefined;
    const start = base('chat', p, resource);
    Object.assign(start.attributes, requestParameters(p));
    const conversation = str(p.conversation) ?? str(obj(p.conversation)?.id);
    if (conversation !== undefined) start.attributes['gen_ai.conversation.id'] = conversation;
    start.inputMessages = () => {
      const input = p.input;
      if (typeof input === 'string') return [messageOf({ role: 'user', content: input })];
      return Array.isArray(input) ? input.map(messageOf) : [];
    };
    start.systemInstructions = () => str(p.instructions);
    return start;
  },
  result: responseResult,
  accumulator: () => new ResponsesAccumulator(),
};

export const embeddings: Operation = {
  begin(params, resource) {
    const p = obj(params);
    if (p === undefined) return undefined;
    const start = base('embeddings', p, resource);
    start.stream = false;
    const format = str(p.encoding_format);
    if (format !== undefined) start.attributes['gen_ai.request.encoding_formats'] = [format];
    const dimensions = num(p.dimensions);
    if (dimensions !== undefined) start.attributes['gen_ai.embeddings.dimension.count'] = dimensions;
    return start;
  },
  result(data) {
    const d = obj(data) ?? {};
    const usage = obj(d.usage);
    return {
      responseModel: str(d.model),
      usage:
        usage === undefined
          ? undefined
          : { inputTokens: num(usage.prompt_tokens) ?? num(usage.total_tokens) },
    };
  },
  accumulator: () => ({ add: () => false, result: () => ({}) }),
};
