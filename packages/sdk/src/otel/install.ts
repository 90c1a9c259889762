import { context, propagation, trace } from '@opentelemetry/api';
import { getClient } from '../client.js';
import { SieveContextManager } from './context-manager.js';
import { SievePropagator } from './propagator.js';
import { SieveTracerProvider } from './tracer.js';

const contextManager = new SieveContextManager();
const tracerProvider = new SieveTracerProvider();
const propagator = new SievePropagator();
let installed = false;

function refused(what: string): false {
  getClient()?.debugWarn(
    `OpenTelemetry bridge not installed: another ${what} is registered with @opentelemetry/api (or another ` +
      'version of it registered first), so spans made through @opentelemetry/api are not Sieve spans',
  );
  return false;
}

/**
 * Registers Sieve as `@opentelemetry/api`'s global tracer provider, context manager and propagator, so
 * spans that libraries make through OpenTelemetry become Sieve spans, under the same sampler, context and
 * transport. Idempotent. Returns false, and changes nothing, when the OpenTelemetry API refuses because
 * something else registered first; never throws.
 */
export function installOpenTelemetryBridge(): boolean {
  if (installed) return true;
  try {
    contextManager.enable();
    // All three or none: half a bridge (Sieve spans under another context manager, say) loses parents.
    if (!context.setGlobalContextManager(contextManager)) return refused('context manager');
    if (!trace.setGlobalTracerProvider(tracerProvider)) {
      context.disable();
      return refused('tracer provider');
    }
    if (!propagation.setGlobalPropagator(propagator)) {
      trace.disable();
      context.disable();
      return refused('propagator');
    }
  } catch (error) {
    getClient()?.debugWarn(`OpenTelemetry bridge not installed: ${String(error)}`);
    return false;
  }
  installed = true;
  return true;
}

/** True while Sieve is @opentelemetry/api's global tracer provider. */
export function isOpenTelemetryBridgeInstalled(): boolean {
  return installed;
}

/** Unregisters what installOpenTelemetryBridge registered (for tests and shutdown). */
export function uninstallOpenTelemetryBridge(): void {
  if (!installed) return;
  installed = false;
  trace.disable();
  propagation.disable();
  context.disable();
}
