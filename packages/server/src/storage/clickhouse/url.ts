/** `--clickhouse-url` parsing, apart from the store so the CLI's config checks do not load the client. */

export interface ClickHouseTarget {
  /** Origin only (scheme, host, port): credentials and database travel separately. */
  url: string;
  username: string;
  password: string;
  database: string;
}

/** Splits `--clickhouse-url` into what the client takes; a clear error for anything else. */
export function parseClickHouseUrl(text: string): ClickHouseTarget {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`invalid ClickHouse URL ${JSON.stringify(text)}: expected http://user:pass@host:8123/db`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(
      `invalid ClickHouse URL: ${u.protocol} is not http: or https: (the HTTP interface, port 8123)`,
    );
  }
  const path = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, ''));
  if (path.includes('/'))
    throw new Error(`invalid ClickHouse URL: the path names one database, got "${path}"`);
  if (path && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(path)) {
    throw new Error(`invalid ClickHouse URL: database name "${path}" must be letters, digits and _`);
  }
  return {
    url: `${u.protocol}//${u.host}`,
    username: decodeURIComponent(u.username) || 'default',
    password: decodeURIComponent(u.password),
    database: path || 'sieve',
  };
}

/** Credentials never appear in logs or errors. */
export function redactedClickHouseUrl(text: string): string {
  try {
    const t = parseClickHouseUrl(text);
    return `${t.url}/${t.database}`;
  } catch {
    return '(invalid URL)';
  }
}
