import { getClient } from '../client.js';

let errors = 0;

/**
 * A failure inside AI instrumentation: never reaches the caller, is counted (see
 * `aiInstrumentationErrors()`) and, with `debug`, printed.
 */
export function countInstrumentationError(where: string, error: unknown): void {
  errors++;
  try {
    getClient()?.debugWarn(`AI instrumentation failed (${where}): ${String(error)}`);
  } catch {
    // Nothing more to do.
  }
}

/** How many failures AI instrumentation swallowed since the process started. */
export function aiInstrumentationErrors(): number {
  return errors;
}
