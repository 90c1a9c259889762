import { getClient } from '../client.js';
import { describeValue } from '../sampling/sample-rate.js';
import { nowMs } from '../trace/time.js';
import type { Attributes, LogLevel, LogRecord } from '../types.js';
import { applyBeforeSend, recordContext, sanitizeAttributes } from './record-context.js';

const SEVERITY: Record<LogLevel, number> = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 };
const MAX_BODY = 16_384;

/** A message made by `logger.fmt`: its text, plus the template and values kept as attributes. */
export class ParameterizedString {
  constructor(
    readonly template: string,
    readonly values: readonly unknown[],
    private readonly text: string,
  ) {}

  toString(): string {
    return this.text;
  }
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : describeValue(value);
}

/** Tagged template: ``logger.info(logger.fmt`User ${id} did ${n}`)`` keeps the template for grouping. */
function fmt(strings: TemplateStringsArray, ...values: unknown[]): ParameterizedString {
  let template = '';
  let text = '';
  strings.forEach((part, i) => {
    template += part;
    text += part;
    if (i < values.length) {
      template += '%s';
      text += stringify(values[i]);
    }
  });
  return new ParameterizedString(template, values, text);
}

function emit(level: LogLevel, message: unknown, attributes: unknown): void {
  try {
    const client = getClient();
    if (client === undefined || !client.options.enableLogs || client.logProcessors.length === 0) return;
    const attrs: Attributes = {};
    let body: string;
    if (message instanceof ParameterizedString) {
      body = message.toString();
      attrs['sentry.message.template'] = message.template;
      message.values.forEach((value, i) => {
        sanitizeAttributes({ [`sentry.message.parameter.${i}`]: value }, attrs);
      });
    } else {
      if (typeof message !== 'string')
        client.debugWarn(`logger.${level}: message is not a string; sent as text`);
      body = stringify(message);
    }
    if (body.length > MAX_BODY) body = `${body.slice(0, MAX_BODY)}…`;
    if (sanitizeAttributes(attributes, attrs) > 0) {
      client.debugWarn(
        `logger.${level}: some attributes were not primitives and were serialised or left out`,
      );
    }
    const { traceId, spanId } = recordContext();
    const record: LogRecord = {
      timestamp: nowMs(),
      level,
      severityNumber: SEVERITY[level],
      body,
      traceId,
      spanId,
      attributes: attrs,
    };
    const final = applyBeforeSend(client, client.options.beforeSendLog, record, 'beforeSendLog', 'log_item');
    if (final !== null) client.emitLog(final);
  } catch (error) {
    getClient()?.debugWarn(`logger.${level} failed: ${String(error)}`);
  }
}

/**
 * Structured logs, sent whatever the trace sampling decided, stamped with the active trace and span.
 * `enableLogs: false` turns them off.
 */
export const logger = {
  trace: (message: unknown, attributes?: Record<string, unknown>) => emit('trace', message, attributes),
  debug: (message: unknown, attributes?: Record<string, unknown>) => emit('debug', message, attributes),
  info: (message: unknown, attributes?: Record<string, unknown>) => emit('info', message, attributes),
  warn: (message: unknown, attributes?: Record<string, unknown>) => emit('warn', message, attributes),
  error: (message: unknown, attributes?: Record<string, unknown>) => emit('error', message, attributes),
  fatal: (message: unknown, attributes?: Record<string, unknown>) => emit('fatal', message, attributes),
  fmt,
};
