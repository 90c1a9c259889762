// Response bodies and stream events in the shapes of Anthropic's Messages API. Pure builders.
import type { Conversation } from './conversation.js';
import type { Reply, Usage } from './reply.js';
import { splitInto, streamPieces } from './reply.js';
import type { SseEvent, StreamPlan } from './sse.js';

// Anthropic reports cache reads apart from input_tokens; the ledger's input total includes them.
function messageUsage(u: Usage, outputTokens: number) {
  return {
    input_tokens: u.input - u.cached,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: u.cached,
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

function stopReason(reply: Reply): string {
  if (reply.kind === 'tool') return 'tool_use';
  return reply.finish === 'length' ? 'max_tokens' : 'end_turn';
}

function contentBlock(reply: Reply) {
  return reply.kind === 'tool'
    ? {
        type: 'tool_use',
        id: reply.callId.replace(/^call_/, 'toolu_'),
        name: reply.name,
        input: JSON.parse(reply.arguments),
      }
    : { type: 'text', text: reply.text };
}

export function message(conv: Conversation, reply: Reply, usage: Usage | undefined, id: string) {
  return {
    id: `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model: conv.model,
    content: [contentBlock(reply)],
    stop_reason: stopReason(reply),
    stop_sequence: null,
    ...(usage === undefined ? {} : { usage: messageUsage(usage, usage.output) }),
  };
}

export function messageStream(
  conv: Conversation,
  reply: Reply,
  usage: Usage | undefined,
  id: string,
): StreamPlan {
  const events: SseEvent[] = [];
  const usageReports: StreamPlan['usageReports'] = [];
  const push = (type: string, fields: Record<string, unknown>) =>
    events.push({ event: type, data: { type, ...fields } });
  // Like the real API, message_start already reports the input and one output token.
  if (usage !== undefined) usageReports.push({ at: 0, usage: { ...usage, output: 1, reasoning: 0 } });
  push('message_start', {
    message: {
      id: `msg_${id}`,
      type: 'message',
      role: 'assistant',
      model: conv.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      ...(usage === undefined ? {} : { usage: messageUsage(usage, 1) }),
    },
  });
  const block = contentBlock(reply);
  if (reply.kind === 'tool') {
    push('content_block_start', { index: 0, content_block: { ...block, input: {} } });
    push('ping', {});
    for (const part of splitInto(reply.arguments, 4)) {
      push('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: part } });
    }
  } else {
    push('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    push('ping', {});
    for (const piece of streamPieces(reply.text))
      push('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } });
  }
  push('content_block_stop', { index: 0 });
  if (usage !== undefined) usageReports.push({ at: events.length, usage });
  push('message_delta', {
    delta: { stop_reason: stopReason(reply), stop_sequence: null },
    ...(usage === undefined ? {} : { usage: { output_tokens: usage.output } }),
  });
  push('message_stop', {});
  return { events, usageReports };
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export function anthropicError(status: number, message: string, requestId: string) {
  return {
    type: 'error',
    error: { type: ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message },
    request_id: requestId,
  };
}
