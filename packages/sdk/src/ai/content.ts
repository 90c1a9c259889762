/**
 * Prompt and completion content for `gen_ai.input.messages` / `gen_ai.output.messages`, in the
 * OpenTelemetry GenAI shape (`[{ role, parts: [{ type, content | id, name, arguments | response }] }]`),
 * bounded so one call cannot make a huge span. Pure.
 */

/** A text part longer than this is cut (characters), with a marker saying how much was left out. */
export const MAX_PART_CHARS = 8_192;
/** A whole attribute longer than this drops its oldest messages first, then cuts what is left. */
export const MAX_CONTENT_CHARS = 32_768;

export interface MessagePart {
  type: string;
  content?: string;
  id?: string;
  name?: string;
  arguments?: unknown;
  response?: unknown;
}

export interface ContentMessage {
  role: string;
  parts: MessagePart[];
  finish_reason?: string;
}

export function cut(text: string, limit = MAX_PART_CHARS): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}…[${text.length - limit} more characters]`;
}

function stringOf(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One provider content block (OpenAI or Anthropic, request or response) as a GenAI part. */
export function partOf(block: unknown): MessagePart {
  if (typeof block === 'string') return { type: 'text', content: cut(block) };
  if (block === null || typeof block !== 'object') return { type: 'text', content: cut(stringOf(block)) };
  const b = block as Record<string, unknown>;
  switch (b.type) {
    case 'text':
    case 'input_text':
    case 'output_text':
      return { type: 'text', content: cut(String(b.text ?? '')) };
    case 'thinking':
      return { type: 'reasoning', content: cut(String(b.thinking ?? '')) };
    case 'tool_use':
      return { type: 'tool_call', id: String(b.id ?? ''), name: String(b.name ?? ''), arguments: b.input };
    case 'function_call':
      return {
        type: 'tool_call',
        id: String(b.call_id ?? b.id ?? ''),
        name: String(b.name ?? ''),
        arguments: parseJson(b.arguments),
      };
    case 'tool_result':
      return {
        type: 'tool_call_response',
        id: String(b.tool_use_id ?? ''),
        response: cut(stringOf(b.content)),
      };
    case 'function_call_output':
      return { type: 'tool_call_response', id: String(b.call_id ?? ''), response: cut(stringOf(b.output)) };
    case 'image':
    case 'image_url':
    case 'input_image':
    case 'document':
    case 'input_file':
      // Binary payloads are never copied: only their kind.
      return { type: 'blob', content: `[${String(b.type)}]` };
    default:
      return { type: String(b.type ?? 'unknown'), content: cut(stringOf(block)) };
  }
}

/** A chat message (OpenAI chat, Responses input item or Anthropic message) as a GenAI message. */
export function messageOf(message: unknown): ContentMessage {
  if (typeof message === 'string') return { role: 'user', parts: [partOf(message)] };
  if (message === null || typeof message !== 'object') return { role: 'user', parts: [partOf(message)] };
  const m = message as Record<string, unknown>;
  if (m.type === 'function_call' || m.type === 'function_call_output') {
    return { role: m.type === 'function_call' ? 'assistant' : 'tool', parts: [partOf(m)] };
  }
  const role = typeof m.role === 'string' ? m.role : 'user';
  const parts: MessagePart[] = [];
  const content = m.content;
  if (Array.isArray(content)) for (const block of content) parts.push(partOf(block));
  else if (content !== undefined && content !== null) parts.push(partOf(content));
  if (Array.isArray(m.tool_calls)) {
    for (const call of m.tool_calls as Array<Record<string, unknown>>) {
      const fn = (call.function ?? {}) as Record<string, unknown>;
      parts.push({
        type: 'tool_call',
        id: String(call.id ?? ''),
        name: String(fn.name ?? ''),
        arguments: parseJson(fn.arguments),
      });
    }
  }
  if (role === 'tool' && typeof m.tool_call_id === 'string') {
    return { role, parts: [{ type: 'tool_call_response', id: m.tool_call_id, response: parts[0]?.content }] };
  }
  return { role, parts };
}

/** JSON of `messages` within MAX_CONTENT_CHARS: the oldest messages go first, the newest are kept. */
export function boundedJson(messages: readonly ContentMessage[], limit = MAX_CONTENT_CHARS): string {
  let kept = messages;
  let json = JSON.stringify(kept);
  let dropped = 0;
  while (json.length > limit && kept.length > 1) {
    dropped++;
    kept = messages.slice(dropped);
    json = JSON.stringify(kept);
  }
  if (json.length > limit) {
    // One message alone is too long even with every part cut: keep its text, say it was cut.
    const only = kept[0]!;
    const text = only.parts.map((p) => p.content ?? stringOf(p.arguments ?? p.response ?? '')).join('\n');
    json = JSON.stringify([{ role: only.role, parts: [{ type: 'text', content: cut(text, limit - 200) }] }]);
  }
  return json;
}
