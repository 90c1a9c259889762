import { EventEmitter } from 'node:events';
import { type Context, type ContextManager, ROOT_CONTEXT } from '@opentelemetry/api';
import { ContextBox, currentStore, runInStore } from '../trace/context.js';
import type { AnySpan } from '../trace/span.js';
import { activeContext, SieveSpanContext, sieveSpanIn } from './spans.js';

/** What `with(ctx)` stores: the bare span when the context holds nothing else, else a box. */
export function storeOf(ctx: Context): AnySpan | ContextBox | undefined {
  if (ctx instanceof SieveSpanContext) return ctx.span;
  if (ctx === ROOT_CONTEXT) return undefined;
  // `context.with(context.active(), fn)` (the Vercel AI SDK does this around every call) re-enters the box.
  const current = currentStore();
  if (current instanceof ContextBox && current.context === ctx) return current;
  return new ContextBox(sieveSpanIn(ctx), ctx, undefined);
}

type Listener = (...args: unknown[]) => unknown;
type ListenerMap = Record<string | symbol, WeakMap<Listener, Listener> | undefined>;
const ADD_METHODS = ['addListener', 'on', 'once', 'prependListener', 'prependOnceListener'] as const;
const PATCHED = Symbol('sieve.otel.listeners');

/**
 * OpenTelemetry's context manager on top of Sieve's own async context: one AsyncLocalStorage for both
 * APIs, so a span made active by either is the active span for both, and OpenTelemetry context values
 * (baggage, suppress-tracing, other instrumentations' keys) survive `with()`.
 */
export class SieveContextManager implements ContextManager {
  private enabled = true;
  // Set while a patched add-listener method runs, so that `once` calling `on` inside is not wrapped twice.
  private wrapping = false;

  active(): Context {
    return this.enabled ? activeContext() : ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    if (!this.enabled || ctx === null || typeof ctx !== 'object') return fn.apply(thisArg, args);
    const store = storeOf(ctx);
    if (thisArg === undefined) return runInStore(store, fn, ...args);
    return runInStore(store, () => fn.apply(thisArg, args));
  }

  bind<T>(ctx: Context, target: T): T {
    if (target instanceof EventEmitter) return this.bindEmitter(ctx, target);
    if (typeof target === 'function') return this.bindFunction(ctx, target as unknown as Listener) as T;
    return target;
  }

  enable(): this {
    this.enabled = true;
    return this;
  }

  /** Stops serving OpenTelemetry; Sieve's own context (shared storage) keeps working. */
  disable(): this {
    this.enabled = false;
    return this;
  }

  private bindFunction(ctx: Context, target: Listener): Listener {
    const manager = this;
    const bound = function (this: unknown, ...args: unknown[]): unknown {
      return manager.with(ctx, () => target.apply(this, args));
    };
    // Some callers read a callback's arity (Express tells error handlers apart by it).
    Object.defineProperty(bound, 'length', { enumerable: false, configurable: true, value: target.length });
    return bound;
  }

  /**
   * Listeners added from now on run in `ctx`, and can still be removed by the function that was added.
   * The same approach as OpenTelemetry's AsyncLocalStorageContextManager, so instrumentations that bind
   * request and response emitters behave as they do there.
   */
  private bindEmitter<T extends EventEmitter>(ctx: Context, emitter: T): T {
    const host = emitter as unknown as Record<string | symbol, unknown>;
    if (host[PATCHED] !== undefined) return emitter;
    host[PATCHED] = {} as ListenerMap;
    const map = (): ListenerMap => host[PATCHED] as ListenerMap;
    const manager = this;
    for (const name of ADD_METHODS) {
      const original = host[name];
      if (typeof original !== 'function') continue;
      host[name] = function (this: unknown, event: string | symbol, listener: Listener) {
        if (manager.wrapping) return original.call(this, event, listener);
        const patches = map();
        let listeners = patches[event];
        if (listeners === undefined) {
          listeners = new WeakMap();
          patches[event] = listeners;
        }
        const bound = manager.bindFunction(ctx, listener);
        listeners.set(listener, bound);
        manager.wrapping = true;
        try {
          return original.call(this, event, bound);
        } finally {
          manager.wrapping = false;
        }
      };
    }
    for (const name of ['removeListener', 'off'] as const) {
      const original = host[name];
      if (typeof original !== 'function') continue;
      host[name] = function (this: unknown, event: string | symbol, listener: Listener) {
        const bound = map()[event]?.get(listener);
        return original.call(this, event, bound ?? listener);
      };
    }
    const removeAll = host.removeAllListeners;
    if (typeof removeAll === 'function') {
      host.removeAllListeners = function (this: unknown, ...args: unknown[]) {
        if (args.length === 0) host[PATCHED] = {} as ListenerMap;
        else delete map()[args[0] as string | symbol];
        return removeAll.apply(this, args);
      };
    }
    return emitter;
  }
}
