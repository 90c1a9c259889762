/**
 * The one error type of the ingest layer. Every ingest function throws only this (for a request it
 * must refuse as a whole), so the HTTP layer can answer with `status` and `message` as they are: the
 * message is written for the person debugging their client, and says what was wrong and where, e.g.
 * `item 2 (type span): length 120 runs past the end of the body at byte 98`.
 */

/**
 * 400 malformed input, 401 no or unknown key, 403 key not allowed for the project, 413 too large
 * (body, decompressed body or one item), 415 unsupported content type or encoding.
 */
export type IngestErrorStatus = 400 | 401 | 403 | 413 | 415;

export class IngestError extends Error {
  override readonly name = 'IngestError';
  readonly status: IngestErrorStatus;

  constructor(status: IngestErrorStatus, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

/** Narrowing helper for catch blocks (`instanceof` fails across duplicated module copies). */
export function isIngestError(error: unknown): error is IngestError {
  return error instanceof IngestError || (error instanceof Error && error.name === 'IngestError');
}
