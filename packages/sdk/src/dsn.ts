/** A parsed DSN: `{protocol}://{publicKey}@{host}[:port][/path]/{projectId}`. */
export interface Dsn {
  protocol: 'http' | 'https';
  publicKey: string;
  host: string;
  port: string;
  /** Path prefix before the project id, without leading or trailing slash ('' when none). */
  path: string;
  projectId: string;
}

/** Parses a DSN, or throws an Error saying what is wrong with it. */
export function parseDsn(value: string): Dsn {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`invalid DSN ${JSON.stringify(value)}: not a URL`);
  }
  const protocol = url.protocol.slice(0, -1);
  if (protocol !== 'http' && protocol !== 'https') {
    throw new Error(`invalid DSN ${JSON.stringify(value)}: protocol must be http or https`);
  }
  if (url.username === '')
    throw new Error(`invalid DSN ${JSON.stringify(value)}: missing public key before '@'`);
  const segments = url.pathname.split('/').filter((s) => s !== '');
  const projectId = segments.pop();
  if (projectId === undefined || !/^\d+$/.test(projectId)) {
    throw new Error(`invalid DSN ${JSON.stringify(value)}: the path must end in a numeric project id`);
  }
  return {
    protocol,
    publicKey: decodeURIComponent(url.username),
    host: url.hostname,
    port: url.port,
    path: segments.join('/'),
    projectId,
  };
}

/** The envelope endpoint for a DSN: `{proto}://{host}[:port][/path]/api/{projectId}/envelope/`. */
export function envelopeEndpoint(dsn: Dsn): string {
  const host = dsn.host.includes(':') ? `[${dsn.host}]` : dsn.host;
  const port = dsn.port === '' ? '' : `:${dsn.port}`;
  const path = dsn.path === '' ? '' : `/${dsn.path}`;
  return `${dsn.protocol}://${host}${port}${path}/api/${dsn.projectId}/envelope/`;
}
