export { SieveContextManager } from './context-manager.js';
export { installOpenTelemetryBridge, uninstallOpenTelemetryBridge } from './install.js';
export { SievePropagator } from './propagator.js';
export { SieveTracer, SieveTracerProvider } from './tracer.js';
