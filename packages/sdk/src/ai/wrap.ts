/**
 * Wraps one method of a provider client (`create` of a Stainless-generated resource, which the official
 * `openai` and `@anthropic-ai/sdk` packages both are) so each call is an LlmCall, without changing what
 * the caller gets: the same APIPromise object (its `withResponse()` / `asResponse()` intact), the same
 * Stream object, the same errors. Only instance fields the SDKs read through `this` are swapped:
 * `parseResponse` and `responsePromise` of the APIPromise, `iterator` of the Stream.
 */
import { context, createContextKey } from '@opentelemetry/api';
import { getClient } from '../client.js';
import { isOpenTelemetryBridgeInstalled } from '../otel/install.js';
import type { Attributes } from '../types.js';
import { type CallOutcome, type CallResult, type CallStart, LlmCall } from './call.js';
import { countInstrumentationError } from './errors.js';

/** Reads a stream event by event. `add` returns true when the event carried output (for time to first chunk). */
export interface StreamAccumulator {
  add(event: unknown): boolean;
  result(): CallResult;
}

/** How to read one provider operation. Every function may throw: failures are counted, not surfaced. */
export interface Operation {
  /** Undefined: do not instrument this call (an unknown shape). */
  begin(params: unknown, resource: unknown, options: unknown): CallStart | undefined;
  result(data: unknown): CallResult;
  accumulator(recordOutputs: boolean): StreamAccumulator;
  /**
   * The client traces its own calls through @opentelemetry/api (`@anthropic-ai/sdk` does): run it with
   * OpenTelemetry tracing suppressed so each call has one gen_ai span, ours.
   */
  suppressOwnSpans?: boolean;
}

export const WRAPPED = Symbol.for('sieve.ai.wrapped');
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

type Method = (this: unknown, ...args: unknown[]) => unknown;

interface ApiPromiseLike {
  responsePromise: Promise<unknown>;
  parseResponse: (this: unknown, client: unknown, props: unknown) => unknown;
  asResponse: (this: unknown) => Promise<unknown>;
  parsedPromise?: unknown;
}

interface StreamLike {
  iterator: (this: unknown, ...args: unknown[]) => AsyncIterator<unknown>;
  controller?: { signal?: { aborted?: boolean } };
}

function isApiPromise(value: unknown): value is ApiPromiseLike {
  const v = value as Partial<ApiPromiseLike> | null;
  return (
    v instanceof Promise &&
    v.responsePromise instanceof Promise &&
    typeof v.parseResponse === 'function' &&
    typeof v.asResponse === 'function'
  );
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown; constructor?: { name?: unknown } } | null)?.constructor?.name;
  return name === 'APIUserAbortError' || (error as { name?: unknown } | null)?.name === 'AbortError';
}

function failed(error: unknown): CallOutcome {
  return isAbort(error) ? { status: 'cancelled' } : { status: 'error', error };
}

function safeResult(op: Operation, data: unknown): CallResult {
  try {
    return op.result(data);
  } catch (error) {
    countInstrumentationError('reading a response', error);
    return {};
  }
}

/** Whether `fn` is one of our wrappers (so nothing is instrumented twice). */
export function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[WRAPPED] !== undefined;
}

/** `original` instrumented per `op`. The wrapper has the original's name and length. */
export function wrapMethod(original: Method, op: Operation): Method {
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    if (getClient() === undefined) return original.apply(this, args);
    let call: LlmCall | undefined;
    let stream = false;
    try {
      const start = op.begin(args[0], this, args[1]);
      if (start !== undefined) {
        stream = start.stream;
        call = new LlmCall(start);
      }
    } catch (error) {
      countInstrumentationError('starting an LLM call', error);
    }
    if (call === undefined) return original.apply(this, args);
    let result: unknown;
    try {
      result = call.run(() =>
        op.suppressOwnSpans === true && isOpenTelemetryBridgeInstalled()
          ? context.with(context.active().setValue(SUPPRESS_TRACING_KEY, true), () =>
              original.apply(this, args),
            )
          : original.apply(this, args),
      );
    } catch (error) {
      // Thrown synchronously (invalid arguments): the same error, unchanged.
      call.end({}, failed(error));
      throw error;
    }
    try {
      observe(result, call, op, stream);
    } catch (error) {
      countInstrumentationError('observing an LLM call', error);
    }
    return result;
  };
  Object.defineProperty(wrapped, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapped, 'length', { value: original.length, configurable: true });
  (wrapped as unknown as Record<symbol, unknown>)[WRAPPED] = original;
  return wrapped;
}

function observe(result: unknown, call: LlmCall, op: Operation, stream: boolean): void {
  const onData = (data: unknown): void => {
    if (call.ended) return;
    try {
      if (
        stream &&
        data !== null &&
        typeof data === 'object' &&
        typeof (data as StreamLike).iterator === 'function'
      ) {
        observeStream(data as StreamLike, call, op);
      } else {
        call.end(safeResult(op, data), { status: 'ok' });
      }
    } catch (error) {
      countInstrumentationError('reading a response', error);
      call.end({}, { status: 'ok' });
    }
  };
  if (isApiPromise(result)) {
    const promise = result;
    const parse = promise.parseResponse;
    // The SDK calls `this.parseResponse(client, props)` when the body is first asked for (await, then,
    // withResponse); the parsed data passes through unchanged.
    promise.parseResponse = function (this: unknown, client: unknown, props: unknown): unknown {
      const parsed = parse.call(this, client, props);
      return Promise.resolve(parsed).then(
        (data) => {
          onData(data);
          return data;
        },
        (error: unknown) => {
          call.end({}, failed(error));
          throw error;
        },
      );
    };
    // HTTP and connection errors (after the SDK's retries) reject the raw response promise. Rethrown, so
    // whoever reads it sees the same rejection, and an unread one stays as unhandled as before.
    promise.responsePromise = promise.responsePromise.then(undefined, (error: unknown) => {
      call.end({}, failed(error));
      throw error;
    });
    // A caller that reads only the raw Response (`asResponse()`, body never parsed): the call ends when
    // the response arrives, without the body's usage.
    const asResponse = promise.asResponse;
    promise.asResponse = function (this: unknown): Promise<unknown> {
      return asResponse.call(this).then((response) => {
        if ((this as ApiPromiseLike).parsedPromise === undefined)
          call.end({}, { status: 'ok' }, { 'sieve.ai.body_not_read': true });
        return response;
      });
    };
  } else if (result instanceof Promise) {
    // A plain promise (a client version without APIPromise): observing it triggers nothing.
    result.then(onData, (error: unknown) => call.end({}, failed(error)));
  } else {
    onData(result);
  }
}

const INCOMPLETE: Attributes = { 'sieve.ai.stream_incomplete': true };

/** Observes a Stream's events as the caller reads them; the call ends when reading ends, however it ends. */
function observeStream(stream: StreamLike, call: LlmCall, op: Operation): void {
  const make = stream.iterator;
  let acc: StreamAccumulator | undefined;
  try {
    acc = op.accumulator(call.recording && getClient()?.options.recordOutputs === true);
  } catch (error) {
    countInstrumentationError('reading a stream', error);
  }
  const finish = (outcome: CallOutcome, notes?: Attributes): void => {
    let result: CallResult = {};
    try {
      if (acc !== undefined) result = acc.result();
    } catch (error) {
      countInstrumentationError('reading a stream', error);
    }
    call.end(result, outcome, notes);
  };
  stream.iterator = function (this: unknown, ...args: unknown[]): AsyncIterator<unknown> {
    const inner = make.apply(this, args);
    const iterator: AsyncIterator<unknown> & AsyncIterable<unknown> = {
      next(...value: [] | [unknown]) {
        return inner.next(...value).then(
          (step) => {
            if (step.done === true) {
              // The SDK ends a stream quietly when its request is aborted: that is a cancellation.
              if (stream.controller?.signal?.aborted === true) finish({ status: 'cancelled' }, INCOMPLETE);
              else finish({ status: 'ok' });
            } else if (acc !== undefined && !call.ended) {
              try {
                if (acc.add(step.value)) call.firstChunk();
              } catch (error) {
                countInstrumentationError('reading a stream event', error);
                acc = undefined;
              }
            }
            return step;
          },
          (error: unknown) => {
            finish(failed(error), INCOMPLETE);
            throw error;
          },
        );
      },
      return(value?: unknown) {
        if (!call.ended) finish({ status: 'cancelled' }, INCOMPLETE);
        return typeof inner.return === 'function'
          ? inner.return(value)
          : Promise.resolve({ done: true as const, value });
      },
      throw(error?: unknown) {
        if (!call.ended) finish(failed(error), INCOMPLETE);
        return typeof inner.throw === 'function' ? inner.throw(error) : Promise.reject(error);
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  };
}
