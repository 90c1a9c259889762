import { IngestError } from '../ingest/errors.js';

/** The one project this server has; its id is the last path segment of the DSN. */
export const DEFAULT_PROJECT_ID = 1;

export interface AuthSettings {
  publicKey: string;
  /** Requests without a key are accepted (OTLP only) while the server listens on loopback. */
  allowAnonymous: boolean;
}

/** Checks the project in the URL and the key the client sent; returns the project id. */
export function authorize(
  settings: AuthSettings,
  projectParam: string | number,
  publicKey: string | undefined,
  anonymousAllowed: boolean,
): number {
  const projectId = typeof projectParam === 'number' ? projectParam : Number(projectParam);
  if (!Number.isInteger(projectId) || projectId !== DEFAULT_PROJECT_ID) {
    throw new IngestError(
      403,
      `unknown project "${projectParam}": this server has project ${DEFAULT_PROJECT_ID}`,
    );
  }
  if (publicKey === undefined || publicKey === '') {
    if (anonymousAllowed && settings.allowAnonymous) return projectId;
    throw new IngestError(
      401,
      'missing key: send sentry_key in the query, an X-Sentry-Auth header or a dsn in the envelope header',
    );
  }
  if (publicKey !== settings.publicKey) throw new IngestError(403, 'unknown key for this project');
  return projectId;
}
