// Response bodies and stream events in the shapes of the OpenAI HTTP API (chat completions, responses,
// embeddings, errors). Pure builders: the server decides when and how they are written.
import type { Conversation } from './conversation.js';
import type { Reply, Usage } from './reply.js';
import { splitInto, streamPieces } from './reply.js';
import type { SseEvent, StreamPlan } from './sse.js';
import { hash32 } from './tokens.js';

export interface CallIds {
  id: string;
  created: number;
}

function chatUsage(u: Usage) {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function chatFinish(reply: Reply): string {
  return reply.kind === 'tool' ? 'tool_calls' : reply.finish;
}

export function chatCompletion(conv: Conversation, reply: Reply, usage: Usage | undefined, ids: CallIds) {
  const message =
    reply.kind === 'tool'
      ? {
          role: 'assistant',
          content: null,
          refusal: null,
          annotations: [],
          tool_calls: [
            {
              id: reply.callId,
              type: 'function',
              function: { name: reply.name, arguments: reply.arguments },
            },
          ],
        }
      : { role: 'assistant', content: reply.text, refusal: null, annotations: [] };
  return {
    id: `chatcmpl-${ids.id}`,
    object: 'chat.completion',
    created: ids.created,
    model: conv.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: chatFinish(reply) }],
    ...(usage === undefined ? {} : { usage: chatUsage(usage) }),
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
  };
}

export function chatCompletionStream(
  conv: Conversation,
  reply: Reply,
  usage: Usage | undefined,
  ids: CallIds,
  includeUsage: boolean,
): StreamPlan {
  const base = {
    id: `chatcmpl-${ids.id}`,
    object: 'chat.completion.chunk',
    created: ids.created,
    model: conv.model,
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
  };
  // With include_usage every chunk carries `usage: null` and a last chunk with no choices carries the usage.
  const usageNull = includeUsage ? { usage: null } : {};
  const chunk = (delta: Record<string, unknown>, finish: string | null): SseEvent => ({
    data: { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...usageNull },
  });
  const events: SseEvent[] = [];
  if (reply.kind === 'tool') {
    events.push(
      chunk(
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { index: 0, id: reply.callId, type: 'function', function: { name: reply.name, arguments: '' } },
          ],
          refusal: null,
        },
        null,
      ),
    );
    for (const part of splitInto(reply.arguments, 4)) {
      events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: part } }] }, null));
    }
  } else {
    events.push(chunk({ role: 'assistant', content: '', refusal: null }, null));
    for (const piece of streamPieces(reply.text)) events.push(chunk({ content: piece }, null));
  }
  events.push(chunk({}, chatFinish(reply)));
  const usageReports: StreamPlan['usageReports'] = [];
  if (includeUsage && usage !== undefined) {
    usageReports.push({ at: events.length, usage });
    events.push({ data: { ...base, choices: [], usage: chatUsage(usage) } });
  }
  events.push({ data: '[DONE]' });
  return { events, usageReports };
}

function responsesUsage(u: Usage) {
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cached },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  };
}

function outputItem(reply: Reply, ids: CallIds) {
  if (reply.kind === 'tool') {
    return {
      type: 'function_call',
      id: `fc_${ids.id}`,
      call_id: reply.callId,
      name: reply.name,
      arguments: reply.arguments,
      status: 'completed',
    };
  }
  return {
    type: 'message',
    id: `msg_${ids.id}`,
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text: reply.text, annotations: [], logprobs: [] }],
  };
}

function responseObject(
  body: Record<string, unknown>,
  conv: Conversation,
  ids: CallIds,
  status: 'in_progress' | 'completed' | 'incomplete',
  output: unknown[],
  usage: Usage | undefined | null,
) {
  return {
    id: `resp_${ids.id}`,
    object: 'response',
    created_at: ids.created,
    status,
    background: false,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: conv.maxOutputTokens ?? null,
    model: conv.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: 1,
    truncation: 'disabled',
    usage: usage === undefined || usage === null ? null : responsesUsage(usage),
    user: null,
    metadata: {},
  };
}

function finalStatus(reply: Reply): 'completed' | 'incomplete' {
  return reply.kind === 'text' && reply.finish === 'length' ? 'incomplete' : 'completed';
}

export function response(
  body: Record<string, unknown>,
  conv: Conversation,
  reply: Reply,
  usage: Usage | undefined,
  ids: CallIds,
) {
  return responseObject(body, conv, ids, finalStatus(reply), [outputItem(reply, ids)], usage);
}

export function responseStream(
  body: Record<string, unknown>,
  conv: Conversation,
  reply: Reply,
  usage: Usage | undefined,
  ids: CallIds,
): StreamPlan {
  const events: SseEvent[] = [];
  const push = (type: string, fields: Record<string, unknown>) =>
    events.push({ event: type, data: { type, ...fields, sequence_number: events.length } });
  const item = outputItem(reply, ids);
  push('response.created', { response: responseObject(body, conv, ids, 'in_progress', [], null) });
  push('response.in_progress', { response: responseObject(body, conv, ids, 'in_progress', [], null) });
  if (reply.kind === 'tool') {
    push('response.output_item.added', {
      output_index: 0,
      item: { ...item, arguments: '', status: 'in_progress' },
    });
    for (const part of splitInto(reply.arguments, 4)) {
      push('response.function_call_arguments.delta', { item_id: item.id, output_index: 0, delta: part });
    }
    push('response.function_call_arguments.done', {
      item_id: item.id,
      output_index: 0,
      arguments: reply.arguments,
    });
  } else {
    const emptyPart = { type: 'output_text', text: '', annotations: [], logprobs: [] };
    const where = { item_id: item.id, output_index: 0, content_index: 0 };
    push('response.output_item.added', {
      output_index: 0,
      item: { ...item, status: 'in_progress', content: [] },
    });
    push('response.content_part.added', { ...where, part: emptyPart });
    for (const piece of streamPieces(reply.text))
      push('response.output_text.delta', { ...where, delta: piece, logprobs: [] });
    push('response.output_text.done', { ...where, text: reply.text, logprobs: [] });
    push('response.content_part.done', { ...where, part: { ...emptyPart, text: reply.text } });
  }
  push('response.output_item.done', { output_index: 0, item });
  const status = finalStatus(reply);
  const usageReports = usage === undefined ? [] : [{ at: events.length, usage }];
  push(status === 'completed' ? 'response.completed' : 'response.incomplete', {
    response: responseObject(body, conv, ids, status, [item], usage),
  });
  return { events, usageReports };
}

/** Unit vectors derived from the text, base64 little-endian float32 when the client asks (the default). */
export function embeddings(
  model: string,
  texts: string[],
  inputTokens: number,
  dimensions: number,
  base64: boolean,
  withUsage: boolean,
) {
  const data = texts.map((text, index) => {
    const vector = new Float32Array(dimensions);
    let state = hash32(text) || 1;
    let norm = 0;
    for (let i = 0; i < dimensions; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      vector[i] = ((state >>> 0) / 4294967296) * 2 - 1;
      norm += vector[i]! * vector[i]!;
    }
    const scale = 1 / Math.sqrt(norm || 1);
    for (let i = 0; i < dimensions; i++) vector[i]! *= scale;
    const embedding = base64 ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector);
    return { object: 'embedding', index, embedding };
  });
  return {
    object: 'list',
    data,
    model,
    ...(withUsage ? { usage: { prompt_tokens: inputTokens, total_tokens: inputTokens } } : {}),
  };
}

const ERROR_TYPES: Record<number, [type: string, code: string | null]> = {
  400: ['invalid_request_error', null],
  401: ['invalid_request_error', 'invalid_api_key'],
  403: ['invalid_request_error', 'unsupported_country_region_territory'],
  404: ['invalid_request_error', 'model_not_found'],
  413: ['invalid_request_error', 'request_too_large'],
  429: ['requests', 'rate_limit_exceeded'],
};

export function openaiError(status: number, message: string, param: string | null = null) {
  const [type, code] =
    ERROR_TYPES[status] ?? (status >= 500 ? ['server_error', null] : ['invalid_request_error', null]);
  return { error: { message, type, param, code } };
}
