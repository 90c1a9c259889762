import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { type Client, getClient } from '../client.js';
import { describeValue } from '../sampling/sample-rate.js';
import { currentSpan } from '../trace/context.js';
import { SDK_NAME, SDK_VERSION } from '../version.js';
import { recordContext, sanitizeAttributes } from './record-context.js';
import { parseStack } from './stack-parser.js';

export interface CaptureContext {
  /** Recorded on the event as tags. */
  attributes?: Record<string, unknown>;
  level?: 'fatal' | 'error' | 'warning' | 'info';
}

/** A Sentry error event, as sent in an `event` envelope item. */
export interface ErrorEvent {
  event_id: string;
  timestamp: number;
  platform: 'node';
  level: string;
  exception: { values: ExceptionValue[] };
  contexts: Record<string, Record<string, unknown>>;
  tags?: Record<string, string>;
  environment: string;
  release?: string;
  server_name: string;
  sdk: { name: string; version: string };
}

interface ExceptionValue {
  type: string;
  value: string;
  stacktrace?: { frames: ReturnType<typeof parseStack> };
  mechanism: { type: string; handled: boolean };
}

const MAX_CAUSES = 5;

function exceptionValues(error: unknown, mechanism: { type: string; handled: boolean }): ExceptionValue[] {
  const values: ExceptionValue[] = [];
  let current: unknown = error;
  // Linked errors (`cause`), innermost first as Sentry expects.
  for (let depth = 0; depth < MAX_CAUSES && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) {
      const value: ExceptionValue = { type: current.name || 'Error', value: current.message, mechanism };
      const frames = parseStack(current.stack);
      if (frames.length > 0) value.stacktrace = { frames };
      values.unshift(value);
      current = (current as { cause?: unknown }).cause;
    } else {
      values.unshift({ type: 'Error', value: describeValue(current), mechanism });
      break;
    }
  }
  return values;
}

export function buildErrorEvent(
  client: Client,
  error: unknown,
  context: CaptureContext | undefined,
  mechanism: { type: string; handled: boolean },
): ErrorEvent {
  const { traceId, spanId } = recordContext();
  const trace: Record<string, unknown> = { trace_id: traceId };
  if (spanId !== undefined) trace.span_id = spanId;
  const event: ErrorEvent = {
    event_id: randomUUID().replace(/-/g, ''),
    timestamp: Date.now() / 1000,
    platform: 'node',
    level: context?.level ?? 'error',
    exception: { values: exceptionValues(error, mechanism) },
    contexts: { trace, runtime: { name: 'node', version: process.version } },
    environment: client.options.environment,
    server_name: os.hostname(),
    sdk: { name: SDK_NAME, version: SDK_VERSION },
  };
  if (client.options.release !== undefined) event.release = client.options.release;
  const attributes = {};
  sanitizeAttributes(context?.attributes, attributes);
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(attributes)) tags[k] = Array.isArray(v) ? v.join(',') : String(v);
  if (Object.keys(tags).length > 0) event.tags = tags;
  return event;
}

/**
 * Sends an error event with its parsed stack trace, linked to the active trace (sampled or not).
 * Returns the event id ('' when nothing was sent). Never throws.
 */
export function captureException(error: unknown, context?: CaptureContext): string {
  try {
    const client = getClient();
    if (client === undefined) return '';
    const span = currentSpan();
    // First, so that the event's trace context already says sampled when this error rescues the trace.
    if (span !== undefined && !span.isRemote) client.rescue?.onCapturedError(span.trace);
    return client.captureEvent(
      buildErrorEvent(client, error, context, { type: 'generic', handled: true }),
      span?.trace.dsc(),
    );
  } catch (failure) {
    getClient()?.debugWarn(`captureException failed: ${String(failure)}`);
    return '';
  }
}
