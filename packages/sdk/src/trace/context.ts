import { AsyncLocalStorage } from 'node:async_hooks';
import type { AnySpan } from './span.js';

/**
 * The active span travels with the async context: across await, timers, emitters and promise chains.
 * The store is the span itself (no wrapper object) so that entering a span allocates nothing extra.
 */
const storage = new AsyncLocalStorage<AnySpan | undefined>();

export function currentSpan(): AnySpan | undefined {
  return storage.getStore();
}

export function runWithSpan<T>(span: AnySpan | undefined, fn: () => T): T {
  return storage.run(span, fn);
}

/** runWithSpan for the hot path: passes arguments through instead of making a closure per span. */
export function runWithSpanArgs<A, B, C, T>(span: AnySpan, fn: (a: A, b: B, c: C) => T, a: A, b: B, c: C): T {
  return storage.run(span, fn, a, b, c);
}

/**
 * Makes `span` active for the rest of the current synchronous execution and everything it schedules.
 * Used where no callback can be wrapped: an incoming request seen through diagnostics_channel, whose
 * 'request' event is emitted right after, in the same tick.
 */
export function enterSpan(span: AnySpan): void {
  storage.enterWith(span);
}
