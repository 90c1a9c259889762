export { type RunningServer, startServer } from './cli.js';
export { resolveConfig, type ServeConfig } from './config.js';
export * from './model.js';
export type * from './store.js';
export { InvalidCursorError } from './store.js';
