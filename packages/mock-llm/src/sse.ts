import type { Usage } from './reply.js';

/** One server-sent event; `data` is JSON-encoded unless it is a raw string such as OpenAI's `[DONE]`. */
export interface SseEvent {
  event?: string;
  data: unknown;
}

/**
 * A stream's events, and which of them tell the client its usage so far (cumulative). The call bills the
 * last usage that went out: all of it for a whole stream, what `message_start` said for a cut Anthropic
 * stream, nothing when no usage event went out.
 */
export interface StreamPlan {
  events: SseEvent[];
  usageReports: { at: number; usage: Usage }[];
}

export function encodeSse(e: SseEvent): string {
  const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
  return (e.event === undefined ? '' : `event: ${e.event}\n`) + `data: ${data}\n\n`;
}
