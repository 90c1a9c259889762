/**
 * Log levels and OpenTelemetry severity numbers, shared by Sentry log items and OTLP log records:
 * 1–4 trace, 5–8 debug, 9–12 info, 13–16 warn, 17–20 error, 21–24 fatal.
 */
import type { LogLevel } from '../model.js';
import { lookup } from './values.js';

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** Names other loggers use for the same levels (Python's warning / critical, syslog's err …). */
const ALIASES: Record<string, LogLevel> = {
  warning: 'warn',
  critical: 'fatal',
  err: 'error',
  log: 'info',
  information: 'info',
  informational: 'info',
  notice: 'info',
  emergency: 'fatal',
  alert: 'fatal',
  panic: 'fatal',
};

/** The first severity number of each level's range. */
export const SEVERITY_OF_LEVEL: Readonly<Record<LogLevel, number>> = {
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
  fatal: 21,
};

export function levelFromSeverity(severity: number): LogLevel | undefined {
  if (!Number.isInteger(severity) || severity < 1 || severity > 24) return undefined;
  return LEVELS[Math.floor((severity - 1) / 4)];
}

/** A level from its text (any case; `warning`, `critical`… accepted), else undefined. */
export function levelFromText(text: unknown): LogLevel | undefined {
  if (typeof text !== 'string') return undefined;
  const lower = text.trim().toLowerCase();
  if ((LEVELS as readonly string[]).includes(lower)) return lower as LogLevel;
  return lookup(ALIASES, lower);
}
