// Each provider's request body, reduced to what decides the reply and the bill. Pure functions: a body
// in, a Conversation out, or a RequestError naming the bad field (the server answers it with a 400).

export interface ToolSpec {
  name: string;
  parameters: Record<string, unknown> | undefined;
}

export interface Conversation {
  model: string;
  /** System prompt / instructions: the cacheable prefix. */
  systemText: string;
  /** Every piece of text the provider would read (billed as input). */
  inputTexts: string[];
  messageCount: number;
  /** The last message a user typed: markers and the reply are taken from it. */
  lastUserText: string;
  tools: ToolSpec[];
  /** A tool the request forces by name, or 'required' / 'none'. */
  toolChoice: { kind: 'auto' | 'required' | 'none' } | { kind: 'named'; name: string };
  /** Names of the tools the assistant has called so far, in order. */
  calledTools: string[];
  /** Tool results sent back so far, in order. */
  toolResults: string[];
  maxOutputTokens: number | undefined;
}

export class RequestError extends Error {
  constructor(
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

type Rec = Record<string, unknown>;

function asRecord(value: unknown): Rec | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Rec) : undefined;
}

function requireString(body: Rec, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '')
    throw new RequestError(`${field}: a non-empty string is required`, field);
  return value;
}

function requireArray(body: Rec, field: string): unknown[] {
  const value = body[field];
  if (!Array.isArray(value) || value.length === 0)
    throw new RequestError(`${field}: a non-empty array is required`, field);
  return value;
}

function optionalInt(body: Rec, ...fields: string[]): number | undefined {
  for (const field of fields) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new RequestError(`${field}: a positive integer is required`, field);
    }
    return value;
  }
  return undefined;
}

/** Text of a string or of an array of content parts (`{ text }`, nested `{ content }`), ignoring images. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const pieces: string[] = [];
  for (const part of content) {
    if (typeof part === 'string') pieces.push(part);
    const rec = asRecord(part);
    if (rec === undefined) continue;
    if (typeof rec.text === 'string') pieces.push(rec.text);
    else if (rec.content !== undefined) pieces.push(textOf(rec.content));
  }
  return pieces.join('\n');
}

function blank(model: string): Conversation {
  return {
    model,
    systemText: '',
    inputTexts: [],
    messageCount: 0,
    lastUserText: '',
    tools: [],
    toolChoice: { kind: 'auto' },
    calledTools: [],
    toolResults: [],
    maxOutputTokens: undefined,
  };
}

function addToolSpecs(conv: Conversation, specs: ToolSpec[], descriptions: string[]): void {
  conv.tools = specs;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    conv.inputTexts.push(
      spec.name,
      descriptions[i] ?? '',
      spec.parameters === undefined ? '' : JSON.stringify(spec.parameters),
    );
  }
}

function toolSpec(name: unknown, parameters: unknown, where: string): ToolSpec {
  if (typeof name !== 'string' || name === '')
    throw new RequestError(`${where}.name: a non-empty string is required`, where);
  return { name, parameters: asRecord(parameters) };
}

/** OpenAI `POST /v1/chat/completions`. */
export function fromChatCompletion(body: Rec): Conversation {
  const conv = blank(requireString(body, 'model'));
  const messages = requireArray(body, 'messages');
  messages.forEach((raw, i) => {
    const msg = asRecord(raw);
    const role = msg?.role;
    if (msg === undefined || typeof role !== 'string')
      throw new RequestError(`messages[${i}].role is required`, `messages[${i}]`);
    const text = textOf(msg.content);
    conv.messageCount++;
    conv.inputTexts.push(text);
    if (role === 'system' || role === 'developer') conv.systemText += (conv.systemText ? '\n' : '') + text;
    else if (role === 'user') conv.lastUserText = text;
    else if (role === 'tool') conv.toolResults.push(text);
    else if (role === 'assistant' && Array.isArray(msg.tool_calls)) {
      for (const call of msg.tool_calls) {
        const fn = asRecord(asRecord(call)?.function);
        if (typeof fn?.name === 'string') conv.calledTools.push(fn.name);
        if (typeof fn?.arguments === 'string') conv.inputTexts.push(fn.arguments);
      }
    }
  });
  if (Array.isArray(body.tools)) {
    const fns = body.tools.map((t) => asRecord(asRecord(t)?.function) ?? {});
    addToolSpecs(
      conv,
      fns.map((fn, i) => toolSpec(fn.name, fn.parameters, `tools[${i}].function`)),
      fns.map((fn) => (typeof fn.description === 'string' ? fn.description : '')),
    );
  }
  const choice = body.tool_choice;
  if (choice === 'none' || choice === 'required') conv.toolChoice = { kind: choice };
  else {
    const name = asRecord(asRecord(choice)?.function)?.name;
    if (typeof name === 'string') conv.toolChoice = { kind: 'named', name };
  }
  conv.maxOutputTokens = optionalInt(body, 'max_completion_tokens', 'max_tokens');
  return conv;
}

/** OpenAI `POST /v1/responses`. */
export function fromResponses(body: Rec): Conversation {
  const conv = blank(requireString(body, 'model'));
  if (typeof body.instructions === 'string') {
    conv.systemText = body.instructions;
    conv.inputTexts.push(body.instructions);
  }
  const input = body.input;
  if (typeof input === 'string') {
    if (input === '') throw new RequestError('input: must not be empty', 'input');
    conv.messageCount = 1;
    conv.lastUserText = input;
    conv.inputTexts.push(input);
  } else if (Array.isArray(input) && input.length > 0) {
    input.forEach((raw, i) => {
      const item = asRecord(raw);
      if (item === undefined) throw new RequestError(`input[${i}]: an object is required`, `input[${i}]`);
      conv.messageCount++;
      if (item.type === 'function_call') {
        if (typeof item.name === 'string') conv.calledTools.push(item.name);
        if (typeof item.arguments === 'string') conv.inputTexts.push(item.arguments);
        return;
      }
      if (item.type === 'function_call_output') {
        const output = textOf(item.output);
        conv.toolResults.push(output);
        conv.inputTexts.push(output);
        return;
      }
      const text = textOf(item.content);
      conv.inputTexts.push(text);
      if (item.role === 'system' || item.role === 'developer')
        conv.systemText += (conv.systemText ? '\n' : '') + text;
      else if (item.role === 'user') conv.lastUserText = text;
    });
  } else {
    throw new RequestError('input: a string or a non-empty array of items is required', 'input');
  }
  if (Array.isArray(body.tools)) {
    const fns = body.tools.map((t) => asRecord(t) ?? {}).filter((t) => t.type === 'function');
    addToolSpecs(
      conv,
      fns.map((fn, i) => toolSpec(fn.name, fn.parameters, `tools[${i}]`)),
      fns.map((fn) => (typeof fn.description === 'string' ? fn.description : '')),
    );
  }
  const choice = body.tool_choice;
  if (choice === 'none' || choice === 'required') conv.toolChoice = { kind: choice };
  else {
    const named = asRecord(choice);
    if (named?.type === 'function' && typeof named.name === 'string')
      conv.toolChoice = { kind: 'named', name: named.name };
  }
  conv.maxOutputTokens = optionalInt(body, 'max_output_tokens');
  return conv;
}

/** Anthropic `POST /v1/messages`. */
export function fromAnthropicMessages(body: Rec): Conversation {
  const conv = blank(requireString(body, 'model'));
  const maxTokens = optionalInt(body, 'max_tokens');
  if (maxTokens === undefined) throw new RequestError('max_tokens: Field required', 'max_tokens');
  conv.maxOutputTokens = maxTokens;
  const system = textOf(body.system);
  if (system !== '') {
    conv.systemText = system;
    conv.inputTexts.push(system);
  }
  const messages = requireArray(body, 'messages');
  messages.forEach((raw, i) => {
    const msg = asRecord(raw);
    if (msg === undefined || (msg.role !== 'user' && msg.role !== 'assistant')) {
      throw new RequestError(
        `messages.${i}.role: Input should be 'user' or 'assistant'`,
        `messages.${i}.role`,
      );
    }
    conv.messageCount++;
    const blocks = typeof msg.content === 'string' ? [{ type: 'text', text: msg.content }] : msg.content;
    if (!Array.isArray(blocks))
      throw new RequestError(`messages.${i}.content: a string or a list of blocks is required`);
    const typed: string[] = [];
    for (const rawBlock of blocks) {
      const block = asRecord(rawBlock);
      if (block === undefined) continue;
      if (block.type === 'text' && typeof block.text === 'string') typed.push(block.text);
      else if (block.type === 'tool_use') {
        if (typeof block.name === 'string') conv.calledTools.push(block.name);
        conv.inputTexts.push(JSON.stringify(block.input ?? {}));
      } else if (block.type === 'tool_result') {
        const result = textOf(block.content);
        conv.toolResults.push(result);
        conv.inputTexts.push(result);
      }
    }
    const text = typed.join('\n');
    conv.inputTexts.push(text);
    if (msg.role === 'user' && typed.length > 0) conv.lastUserText = text;
  });
  if (Array.isArray(body.tools)) {
    const tools = body.tools.map((t) => asRecord(t) ?? {});
    addToolSpecs(
      conv,
      tools.map((t, i) => toolSpec(t.name, t.input_schema, `tools.${i}`)),
      tools.map((t) => (typeof t.description === 'string' ? t.description : '')),
    );
  }
  const choice = asRecord(body.tool_choice);
  if (choice?.type === 'none') conv.toolChoice = { kind: 'none' };
  else if (choice?.type === 'any') conv.toolChoice = { kind: 'required' };
  else if (choice?.type === 'tool' && typeof choice.name === 'string')
    conv.toolChoice = { kind: 'named', name: choice.name };
  return conv;
}

/** OpenAI `POST /v1/embeddings`: the input texts (token arrays count one token per element). */
export function embeddingInputs(body: Rec): {
  model: string;
  texts: string[];
  tokenCounts: number[] | undefined;
} {
  const model = requireString(body, 'model');
  const input = body.input;
  if (typeof input === 'string' && input !== '') return { model, texts: [input], tokenCounts: undefined };
  if (Array.isArray(input) && input.length > 0) {
    if (input.every((x) => typeof x === 'string'))
      return { model, texts: input as string[], tokenCounts: undefined };
    if (input.every((x) => typeof x === 'number'))
      return { model, texts: [input.join(' ')], tokenCounts: [input.length] };
    if (input.every((x) => Array.isArray(x))) {
      return {
        model,
        texts: input.map((x) => (x as unknown[]).join(' ')),
        tokenCounts: input.map((x) => (x as unknown[]).length),
      };
    }
  }
  throw new RequestError(
    'input: a non-empty string, array of strings or array of token arrays is required',
    'input',
  );
}

export function parseJsonBody(raw: string): Rec {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new RequestError('The request body is not valid JSON.');
  }
  const rec = asRecord(parsed);
  if (rec === undefined) throw new RequestError('The request body must be a JSON object.');
  return rec;
}
