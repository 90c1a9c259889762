import type { ReadableSpan } from '@sieve/sdk';

export interface RouteStats {
  sent: number;
  kept: number;
}

/** Kept traces per edge route, from the spans that reached the processor. */
export function keptByRoute(
  spans: readonly ReadableSpan[],
  routes: readonly string[],
  edgePort: string,
): Map<string, number> {
  const kept = new Map<string, number>(routes.map((r) => [r, 0]));
  for (const span of spans) {
    if (!span.isSegment || span.op !== 'http.server') continue;
    if (!String(span.attributes['server.address']).endsWith(`:${edgePort}`)) continue;
    const route = routes.find((r) => span.name === `GET ${r}`);
    if (route !== undefined) kept.set(route, (kept.get(route) ?? 0) + 1);
  }
  return kept;
}

/** Spans of one trace as an indented tree, children in start order. */
export function renderTree(spans: readonly ReadableSpan[]): string {
  const byParent = new Map<string | undefined, ReadableSpan[]>();
  const ids = new Set(spans.map((s) => s.spanId));
  for (const span of spans) {
    const parent =
      span.parentSpanId !== undefined && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    byParent.set(parent, [...(byParent.get(parent) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of (byParent.get(parent) ?? []).sort((a, b) => a.startTime - b.startTime)) {
      const ms = ((span.endTime ?? span.startTime) - span.startTime).toFixed(1);
      const tokens = span.attributes['gen_ai.usage.input_tokens'];
      const extra =
        tokens === undefined ? '' : `  tokens ${tokens}/${span.attributes['gen_ai.usage.output_tokens']}`;
      lines.push(`${'  '.repeat(depth)}${span.op ?? '-'}  ${span.name}  ${ms} ms${extra}`);
      walk(span.spanId, depth + 1);
    }
  };
  walk(undefined, 1);
  return lines.join('\n');
}
