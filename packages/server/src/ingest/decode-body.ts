/**
 * Undoes `Content-Encoding` on a request body, with a cap on the decompressed size so a small
 * compressed body cannot expand into gigabytes (a zip bomb): zlib stops at `maxOutputLength` instead
 * of allocating the whole output, so the cap costs nothing when it is hit.
 *
 * Encodings: gzip, x-gzip, deflate (the zlib format RFC 1950, and raw RFC 1951 deflate, which some
 * clients send under the same name), br, identity / none / empty. A list such as `gzip, br` means gzip
 * was applied first, so they are undone in reverse order (RFC 9110 §8.4).
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { IngestError } from './errors.js';

/** 200 MiB: Relay's envelope limit, the largest body Sentry's own ingest accepts. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 200 * 1024 * 1024;

export interface DecodeBodyOptions {
  /** Largest body accepted after decompression (and for identity bodies); beyond it → 413. */
  maxBytes?: number;
}

type Coding = 'gzip' | 'deflate' | 'br';

/** Parses a Content-Encoding header into the codings to undo, in the order they must be undone. */
export function parseContentEncoding(header: string | readonly string[] | undefined): Coding[] {
  const raw = typeof header === 'string' ? header : (header?.join(',') ?? '');
  const codings: Coding[] = [];
  for (const token of raw.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'identity' || name === 'none') continue;
    if (name === 'gzip' || name === 'x-gzip') codings.push('gzip');
    else if (name === 'deflate') codings.push('deflate');
    else if (name === 'br') codings.push('br');
    else {
      throw new IngestError(
        415,
        `unsupported Content-Encoding ${JSON.stringify(token.trim())}: use gzip, deflate, br or identity`,
      );
    }
  }
  return codings.reverse();
}

/** RFC 1950: CM = 8 (deflate) and the 16-bit header is a multiple of 31. Raw deflate has no header. */
function isZlibWrapped(data: Buffer): boolean {
  return data.length >= 2 && (data[0]! & 0x0f) === 8 && ((data[0]! << 8) | data[1]!) % 31 === 0;
}

const inflateAsync = {
  gzip: promisify(zlib.gunzip),
  zlib: promisify(zlib.inflate),
  raw: promisify(zlib.inflateRaw),
  br: promisify(zlib.brotliDecompress),
};

function tooLarge(max: number, coding: Coding): IngestError {
  return new IngestError(413, `body is larger than ${max} bytes after ${coding} decompression`);
}

function mapError(error: unknown, coding: Coding, max: number): IngestError {
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) return tooLarge(max, coding);
  const detail = error instanceof Error ? error.message : String(error);
  return new IngestError(400, `body is not valid ${coding} data (Content-Encoding): ${detail}`, {
    cause: error,
  });
}

function checkIdentity(body: Buffer, max: number): Buffer {
  if (body.length > max)
    throw new IngestError(413, `body of ${body.length} bytes is larger than ${max} bytes`);
  return body;
}

/** Decodes `body` per `contentEncoding` without blocking the event loop (zlib runs on the thread pool). */
export async function decodeBody(
  body: Buffer,
  contentEncoding: string | readonly string[] | undefined,
  options: DecodeBodyOptions = {},
): Promise<Buffer> {
  const max = options.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  let data = body;
  for (const coding of parseContentEncoding(contentEncoding)) {
    const zopts = { maxOutputLength: max };
    try {
      if (coding === 'gzip') data = await inflateAsync.gzip(data, zopts);
      else if (coding === 'br') data = await inflateAsync.br(data, zopts);
      else data = await (isZlibWrapped(data) ? inflateAsync.zlib : inflateAsync.raw)(data, zopts);
    } catch (error) {
      throw mapError(error, coding, max);
    }
  }
  return checkIdentity(data, max);
}

/** The same as `decodeBody`, synchronously (for tests and small bodies). */
export function decodeBodySync(
  body: Buffer,
  contentEncoding: string | readonly string[] | undefined,
  options: DecodeBodyOptions = {},
): Buffer {
  const max = options.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  let data = body;
  for (const coding of parseContentEncoding(contentEncoding)) {
    const zopts = { maxOutputLength: max };
    try {
      if (coding === 'gzip') data = zlib.gunzipSync(data, zopts);
      else if (coding === 'br') data = zlib.brotliDecompressSync(data, zopts);
      else data = isZlibWrapped(data) ? zlib.inflateSync(data, zopts) : zlib.inflateRawSync(data, zopts);
    } catch (error) {
      throw mapError(error, coding, max);
    }
  }
  return checkIdentity(data, max);
}
