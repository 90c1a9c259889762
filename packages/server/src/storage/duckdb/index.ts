export { InvalidCursorError } from './cursor.js';
export { applyMigrations, MIGRATIONS, type Migration, type MigrationResult } from './schema.js';
export { DuckDbStore, type DuckDbStoreOptions } from './store.js';
export { ThreadedDuckDbStore } from './thread.js';
export type { WriterStats } from './writer.js';
