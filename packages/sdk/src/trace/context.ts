import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from '@opentelemetry/api';
import type { AnySpan } from './span.js';

/**
 * An OpenTelemetry context entered through the bridge (`context.with`): the Sieve span it carries plus
 * the values Sieve does not read (suppress-tracing, baggage, other instrumentations' keys), which must
 * stay visible to OpenTelemetry code further down.
 */
export class ContextBox {
  constructor(
    /** The Sieve span the context carries (a placeholder for a remote parent), or none. */
    readonly span: AnySpan | undefined,
    /**
     * The OpenTelemetry context itself. Undefined for a box made by a Sieve API inside another box: then it
     * is `base` with the span replaced, made only when OpenTelemetry code asks for it.
     */
    public context: Context | undefined,
    readonly base: Context | undefined,
  ) {}
}

/**
 * The active span travels with the async context: across await, timers, emitters and promise chains.
 * The store is the span itself (no wrapper object) so that entering a span allocates nothing extra; only
 * OpenTelemetry contexts with values of their own are boxed.
 */
const storage = new AsyncLocalStorage<AnySpan | ContextBox | undefined>();

/**
 * Set once the first box is entered. Until then no store can be a box, so the Sieve APIs skip the
 * look-up that keeps a surrounding OpenTelemetry context's values: a process that never runs OpenTelemetry
 * code pays nothing for the bridge.
 */
let boxesInUse = false;

export function currentSpan(): AnySpan | undefined {
  const store = storage.getStore();
  // The flag first: cheaper than instanceof on the hot path, and while it is false no store is a box.
  return boxesInUse && store instanceof ContextBox ? store.span : (store as AnySpan | undefined);
}

/** The raw store, for the OpenTelemetry context manager. */
export function currentStore(): AnySpan | ContextBox | undefined {
  return storage.getStore();
}

/** Enters a store as it is, for the OpenTelemetry context manager. */
export function runInStore<A extends unknown[], T>(
  store: AnySpan | ContextBox | undefined,
  fn: (...args: A) => T,
  ...args: A
): T {
  if (store instanceof ContextBox) boxesInUse = true;
  return storage.run(store, fn, ...args);
}

/** Inside an OpenTelemetry context, a Sieve span entered keeps that context's other values. */
function storeFor(span: AnySpan | undefined): AnySpan | ContextBox | undefined {
  if (!boxesInUse) return span;
  const store = storage.getStore();
  return store instanceof ContextBox ? new ContextBox(span, undefined, store.context ?? store.base) : span;
}

export function runWithSpan<T>(span: AnySpan | undefined, fn: () => T): T {
  return storage.run(storeFor(span), fn);
}

/** runWithSpan for the hot path: passes arguments through instead of making a closure per span. */
export function runWithSpanArgs<A, B, C, T>(span: AnySpan, fn: (a: A, b: B, c: C) => T, a: A, b: B, c: C): T {
  return storage.run(boxesInUse ? storeFor(span) : span, fn, a, b, c);
}

/**
 * Makes `span` active for the rest of the current synchronous execution and everything it schedules.
 * Used where no callback can be wrapped: an incoming request seen through diagnostics_channel, whose
 * 'request' event is emitted right after, in the same tick.
 */
export function enterSpan(span: AnySpan): void {
  storage.enterWith(span);
}
