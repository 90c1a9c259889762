import type { AnySpan } from '../trace/span.js';

const METHOD_PATH = /^[A-Z]+ (\/\S*)$/;

/**
 * The route of the HTTP server root `span` belongs to, for metric attributes: its `http.route` when a
 * framework set one, else the path of a root still named `METHOD /path`. Undefined outside a request.
 * Reads only what an unsampled root keeps too (its name), so sampled and unsampled calls group alike.
 */
export function routeOf(span: AnySpan | undefined): string | undefined {
  const segment = span?.trace.segment as
    | { name: string; attributes?: Readonly<Record<string, unknown>> }
    | undefined;
  if (segment === undefined) return undefined;
  const route = segment.attributes?.['http.route'];
  if (typeof route === 'string' && route !== '') return route;
  const match = METHOD_PATH.exec(segment.name);
  return match === null ? undefined : match[1];
}
