// Magic markers in the last user message make a call fail or misbehave deterministically, so a test
// can ask for exactly the failure it wants through the unchanged official clients.

export interface Markers {
  /** HTTP status to fail with (400, 401, 403, 404, 429, 500, 503, 529, ...). */
  errorStatus?: number;
  /** Cut the stream (or the connection, for a non-streaming call) part-way. */
  brokenStream: boolean;
  /** Leave usage out of the response. */
  noUsage: boolean;
  /** Extra latency for this call, in ms, on top of the server's `latencyMs`. */
  latencyMs?: number;
}

const MARKER = /\[\[mock:([a-z-]+)(?:=([^\]]*))?\]\]/g;

export function parseMarkers(text: string): Markers {
  const markers: Markers = { brokenStream: false, noUsage: false };
  for (const match of text.matchAll(MARKER)) {
    const [, name, value] = match;
    if (name === 'error' && value !== undefined && /^[1-5]\d\d$/.test(value))
      markers.errorStatus = Number(value);
    else if (name === 'broken-stream') markers.brokenStream = true;
    else if (name === 'no-usage') markers.noUsage = true;
    else if (name === 'latency' && value !== undefined && /^\d+$/.test(value))
      markers.latencyMs = Number(value);
  }
  return markers;
}

export function stripMarkers(text: string): string {
  return text.replace(MARKER, '').replace(/\s+/g, ' ').trim();
}
