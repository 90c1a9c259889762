/** One server-sent event; `data` is JSON-encoded unless it is a raw string such as OpenAI's `[DONE]`. */
export interface SseEvent {
  event?: string;
  data: unknown;
}

/** A stream's events, and the index of the event whose sending bills the call (none: unreported). */
export interface StreamPlan {
  events: SseEvent[];
  usageAt: number | undefined;
}

export function encodeSse(e: SseEvent): string {
  const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
  return (e.event === undefined ? '' : `event: ${e.event}\n`) + `data: ${data}\n\n`;
}
