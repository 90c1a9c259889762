// What the mock model answers, and what it bills for it: pure functions of the Conversation, so a test
// can know both before it sends the request.
import type { Conversation, ToolSpec } from './conversation.js';
import { stripMarkers } from './markers.js';
import { countTokens, hash32 } from './tokens.js';

export type Reply =
  | { kind: 'text'; text: string; finish: 'stop' | 'length' }
  | { kind: 'tool'; name: string; arguments: string; callId: string };

export interface Usage {
  /** All input tokens, cached ones included. */
  input: number;
  /** Of `input`, the tokens read from the prompt cache. */
  cached: number;
  /** All output tokens, reasoning ones included. */
  output: number;
  /** Of `output`, the reasoning tokens (OpenAI reasoning models only). */
  reasoning: number;
}

/** Tokens of a system prompt at least this long are billed as cached (a stand-in for prefix caching). */
export const CACHE_MIN_TOKENS = 16;
/** Per-message framing overhead, like the real chat formats. */
export const MESSAGE_OVERHEAD_TOKENS = 3;

const FILLER = (
  'the plan looks sound and the numbers line up with what the records show so far; ' +
  'next steps are clear, risks are small, and nothing here needs a human to step in today'
).split(' ');

function firstWords(text: string, n: number): string {
  return text.split(' ').slice(0, n).join(' ');
}

function filler(seed: number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(FILLER[(seed + i * 7) % FILLER.length]!);
  return out.join(' ');
}

/** Picks the tool to call, or undefined for a final text answer. */
export function chooseTool(conv: Conversation): ToolSpec | undefined {
  if (conv.tools.length === 0 || conv.toolChoice.kind === 'none') return undefined;
  const byName = (name: string) => conv.tools.find((t) => t.name === name);
  if (conv.toolChoice.kind === 'named') {
    return conv.calledTools.includes(conv.toolChoice.name) ? undefined : byName(conv.toolChoice.name);
  }
  // Tools named in the user's message are called one per turn, in the order they appear there.
  const mentioned = conv.tools
    .filter((t) => conv.lastUserText.includes(t.name))
    .sort((a, b) => conv.lastUserText.indexOf(a.name) - conv.lastUserText.indexOf(b.name));
  const pending = mentioned.find((t) => !conv.calledTools.includes(t.name));
  if (pending !== undefined) return pending;
  const nothingCalledYet = conv.calledTools.length === 0 && conv.toolResults.length === 0;
  if (
    (mentioned.length === 0 && nothingCalledYet) ||
    (conv.toolChoice.kind === 'required' && nothingCalledYet)
  ) {
    return conv.tools[hash32(conv.lastUserText) % conv.tools.length];
  }
  return undefined;
}

/** Arguments that satisfy the tool's JSON schema, filled from the user's message. */
export function toolArguments(tool: ToolSpec, userText: string): Record<string, unknown> {
  const props = (tool.parameters?.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = tool.parameters?.required;
  const names = Array.isArray(required) ? (required as string[]) : Object.keys(props);
  const text = stripMarkers(userText);
  const args: Record<string, unknown> = {};
  for (const name of names) {
    const schema = props[name] ?? {};
    if (Array.isArray(schema.enum) && schema.enum.length > 0) args[name] = schema.enum[0];
    else if (schema.type === 'number' || schema.type === 'integer')
      args[name] = (hash32(text + name) % 100) + 1;
    else if (schema.type === 'boolean') args[name] = true;
    else if (schema.type === 'array') args[name] = [];
    else if (schema.type === 'object') args[name] = {};
    else args[name] = firstWords(text, 16);
  }
  return args;
}

/** Truncates text to its first `max` tokens. */
function truncateTokens(text: string, max: number): string {
  const re = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;
  let end = 0;
  for (let i = 0; i < max; i++) {
    const match = re.exec(text);
    if (match === null) return text;
    end = match.index + match[0].length;
  }
  return text.slice(0, end);
}

export function decideReply(conv: Conversation): Reply {
  const userText = stripMarkers(conv.lastUserText);
  const seed = hash32(conv.model + '\n' + userText + '\n' + conv.toolResults.join('\n'));
  const tool = chooseTool(conv);
  if (tool !== undefined) {
    return {
      kind: 'tool',
      name: tool.name,
      arguments: JSON.stringify(toolArguments(tool, conv.lastUserText)),
      callId: `call_${(seed ^ hash32(tool.name + conv.calledTools.length)).toString(36)}`,
    };
  }
  const opening =
    conv.toolResults.length > 0
      ? `Based on ${conv.calledTools.join(', ') || 'the tool results'}: ${firstWords(conv.toolResults.join(' ').replace(/\s+/g, ' '), 20)}.`
      : `Here is a mock answer to "${firstWords(userText, 8)}".`;
  const text = `${opening} ${filler(seed, 4 + (seed % 28))}.`;
  if (conv.maxOutputTokens !== undefined && countTokens(text) > conv.maxOutputTokens) {
    return { kind: 'text', text: truncateTokens(text, conv.maxOutputTokens), finish: 'length' };
  }
  return { kind: 'text', text, finish: 'stop' };
}

export function isReasoningModel(model: string): boolean {
  return /^(o\d|gpt-5)/.test(model);
}

export function usageFor(conv: Conversation, reply: Reply, provider: 'openai' | 'anthropic'): Usage {
  const input = countTokens(conv.inputTexts.join('\n')) + MESSAGE_OVERHEAD_TOKENS * conv.messageCount;
  const systemTokens = countTokens(conv.systemText);
  const cached = systemTokens >= CACHE_MIN_TOKENS ? systemTokens : 0;
  const visible =
    reply.kind === 'text' ? countTokens(reply.text) : countTokens(reply.name + ' ' + reply.arguments);
  const reasoning =
    provider === 'openai' && isReasoningModel(conv.model) ? 16 + (hash32(conv.lastUserText) % 48) : 0;
  return { input, cached, output: visible + reasoning, reasoning };
}

/** Splits text into stream deltas of about one word each; joined they give the text back. */
export function streamPieces(text: string): string[] {
  const pieces = text.match(/\S+\s*/g) ?? [];
  const lead = /^\s*/.exec(text)![0];
  if (lead !== '' && pieces.length > 0) pieces[0] = lead + pieces[0];
  return pieces.length > 0 ? pieces : [text];
}

/** Splits a string into n roughly equal parts (for tool-argument deltas). */
export function splitInto(text: string, n: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / n));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}
