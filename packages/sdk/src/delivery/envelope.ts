/**
 * Sentry envelopes: a header line, then per item a header line and a payload. The tuple shape is the
 * one Sentry's SDKs hand to custom transports, so a transport written for Sentry works here too.
 */
export interface EnvelopeHeader {
  event_id?: string;
  sent_at?: string;
  dsn?: string;
  sdk?: { name: string; version: string };
  /** The trace's dynamic sampling context. */
  trace?: Record<string, string>;
  [key: string]: unknown;
}

export type ItemType = 'span' | 'log' | 'trace_metric' | 'client_report' | 'event' | (string & {});

export interface ItemHeader {
  type: ItemType;
  item_count?: number;
  content_type?: string;
  length?: number;
  [key: string]: unknown;
}

export type EnvelopeItem = [ItemHeader, unknown];
export type Envelope = [EnvelopeHeader, EnvelopeItem[]];

/** Maps an item type to the rate-limit / client-report category it counts under. */
export function itemCategory(type: ItemType): string {
  switch (type) {
    case 'span':
      return 'span';
    case 'log':
      return 'log_item';
    case 'trace_metric':
      return 'trace_metric';
    case 'event':
      return 'error';
    case 'client_report':
      return 'internal';
    default:
      return 'default';
  }
}

/**
 * Serialises an envelope to one buffer. Objects are written as JSON, which never contains a raw newline;
 * strings (ready JSON) are written as they are; bytes, and strings with a newline, get a `length`.
 */
export function serializeEnvelope(envelope: Envelope): Buffer {
  const [header, items] = envelope;
  const parts: Buffer[] = [Buffer.from(JSON.stringify(header))];
  for (const [itemHeader, payload] of items) {
    if (typeof payload === 'string' && !payload.includes('\n')) {
      parts.push(Buffer.from(`\n${JSON.stringify(itemHeader)}\n${payload}`));
    } else if (typeof payload === 'string' || payload instanceof Uint8Array) {
      const bytes = Buffer.from(payload);
      parts.push(Buffer.from(`\n${JSON.stringify({ ...itemHeader, length: bytes.length })}\n`), bytes);
    } else {
      parts.push(Buffer.from(`\n${JSON.stringify(itemHeader)}\n${JSON.stringify(payload)}`));
    }
  }
  parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}
