/**
 * Splits a Sentry envelope body into its header and items, without interpreting the payloads.
 *
 * Format (https://develop.sentry.dev/sdk/data-model/envelopes/): line 1 is the envelope header
 * (JSON); then per item a header line (JSON with `type`, optional `length`) and a payload. With
 * `length` the payload is exactly that many bytes (it may contain newlines) and must be followed by a
 * newline or the end of the body; without it the payload runs to the next newline. Lines may end in
 * CRLF, and blank lines between items and a trailing newline are tolerated.
 *
 * Item indices in messages are 0-based (item 0 is the first item), the same numbering as the
 * `rejected` list of `sentryEnvelopeToBatch`.
 */
import { IngestError } from './errors.js';

/** The envelope header. Every field is optional; unknown ones are kept. */
export interface EnvelopeHeader {
  event_id?: unknown;
  dsn?: unknown;
  sent_at?: unknown;
  sdk?: unknown;
  /** The dynamic sampling context (`trace_id`, `public_key`, `sample_rate`, `environment`, …). */
  trace?: unknown;
  [key: string]: unknown;
}

export interface ItemHeader {
  type: string;
  length?: number;
  content_type?: string;
  item_count?: number;
  [key: string]: unknown;
}

export interface EnvelopeItem {
  header: ItemHeader;
  /** The raw payload bytes (a view into the body, not a copy). */
  payload: Buffer;
}

export interface Envelope {
  header: EnvelopeHeader;
  items: EnvelopeItem[];
}

export interface EnvelopeLimits {
  /** Largest payload of one item, in bytes (default 1 MiB, Relay's limit); beyond it → 413. */
  maxItemBytes?: number;
  /** Most items in one envelope (default 1000); beyond it → 413. */
  maxItems?: number;
}

export const DEFAULT_MAX_ITEM_BYTES = 1024 * 1024;
export const DEFAULT_MAX_ITEMS = 1000;

const LF = 0x0a;
const CR = 0x0d;

/** End of the line starting at `start` (index of the LF, or the body length), and the content end without CR. */
function lineAt(body: Buffer, start: number): { contentEnd: number; next: number } {
  const lf = body.indexOf(LF, start);
  const end = lf < 0 ? body.length : lf;
  const contentEnd = end > start && body[end - 1] === CR ? end - 1 : end;
  return { contentEnd, next: lf < 0 ? body.length : lf + 1 };
}

function preview(bytes: Buffer): string {
  const text = bytes.subarray(0, 40).toString('utf8');
  return JSON.stringify(bytes.length > 40 ? `${text}…` : text);
}

function parseJsonObject(bytes: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new IngestError(400, `${what} is not valid JSON (${(error as Error).message}): ${preview(bytes)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new IngestError(400, `${what} must be a JSON object, got ${preview(bytes)}`);
  }
  return value as Record<string, unknown>;
}

export function parseEnvelope(body: Buffer, limits: EnvelopeLimits = {}): Envelope {
  const maxItemBytes = limits.maxItemBytes ?? DEFAULT_MAX_ITEM_BYTES;
  const maxItems = limits.maxItems ?? DEFAULT_MAX_ITEMS;

  const first = lineAt(body, 0);
  if (first.contentEnd === 0)
    throw new IngestError(400, 'envelope is empty: the first line must be the envelope header (JSON)');
  const header = parseJsonObject(
    body.subarray(0, first.contentEnd),
    'envelope header (line 1)',
  ) as EnvelopeHeader;

  const items: EnvelopeItem[] = [];
  let pos = first.next;
  while (pos < body.length) {
    // Blank lines (a trailing newline, CRLF, or an empty line between items) are not items.
    const line = lineAt(body, pos);
    if (line.contentEnd === pos) {
      pos = line.next;
      continue;
    }
    const index = items.length;
    if (index >= maxItems) throw new IngestError(413, `envelope has more than ${maxItems} items`);
    const raw = parseJsonObject(body.subarray(pos, line.contentEnd), `item ${index}: header at byte ${pos}`);
    if (typeof raw.type !== 'string' || raw.type === '') {
      throw new IngestError(400, `item ${index}: header at byte ${pos} has no "type"`);
    }
    const itemHeader = raw as ItemHeader;
    const name = `item ${index} (type ${itemHeader.type})`;
    const payloadStart = line.next;
    let payloadEnd: number;
    if (raw.length !== undefined && raw.length !== null) {
      const length = raw.length;
      if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
        throw new IngestError(
          400,
          `${name}: "length" must be a non-negative integer, got ${JSON.stringify(length)}`,
        );
      }
      if (length > maxItemBytes) {
        throw new IngestError(
          413,
          `${name}: length ${length} exceeds the item limit of ${maxItemBytes} bytes`,
        );
      }
      if (payloadStart + length > body.length) {
        throw new IngestError(
          400,
          `${name}: length ${length} runs past the end of the body at byte ${body.length}`,
        );
      }
      payloadEnd = payloadStart + length;
      pos = payloadEnd;
      // After an exact-length payload: a newline (LF or CRLF) or the end of the body, nothing else.
      if (pos < body.length) {
        if (body[pos] === LF) pos += 1;
        else if (body[pos] === CR && body[pos + 1] === LF) pos += 2;
        else {
          throw new IngestError(
            400,
            `${name}: payload of length ${length} is followed by ${preview(body.subarray(pos, pos + 1))} at byte ${pos} instead of a newline (wrong length?)`,
          );
        }
      }
    } else {
      const payloadLine = lineAt(body, payloadStart);
      payloadEnd = payloadStart >= body.length ? payloadStart : payloadLine.contentEnd;
      if (payloadEnd - payloadStart > maxItemBytes) {
        throw new IngestError(
          413,
          `${name}: payload of ${payloadEnd - payloadStart} bytes exceeds the item limit of ${maxItemBytes} bytes`,
        );
      }
      pos = payloadStart >= body.length ? body.length : payloadLine.next;
    }
    items.push({ header: itemHeader, payload: body.subarray(payloadStart, payloadEnd) });
  }
  return { header, items };
}

/**
 * The body of the legacy store endpoint (`POST /api/<project>/store/`, still used by older SDKs such as
 * Python's 1.x for errors) is one event as JSON; this wraps it as a one-item envelope so it takes the
 * same path. An event with `"type": "transaction"` becomes a transaction item.
 */
export function storeBodyToEnvelope(body: Buffer, limits: EnvelopeLimits = {}): Envelope {
  const maxItemBytes = limits.maxItemBytes ?? DEFAULT_MAX_ITEM_BYTES;
  if (body.length > maxItemBytes) {
    throw new IngestError(
      413,
      `event of ${body.length} bytes exceeds the item limit of ${maxItemBytes} bytes`,
    );
  }
  const event = parseJsonObject(body, 'store body');
  const type = event.type === 'transaction' ? 'transaction' : 'event';
  const header: EnvelopeHeader = typeof event.event_id === 'string' ? { event_id: event.event_id } : {};
  return { header, items: [{ header: { type }, payload: body }] };
}
