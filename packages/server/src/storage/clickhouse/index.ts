export { applyMigrations, MIGRATIONS, type Migration, type MigrationResult } from './schema.js';
export { ClickHouseStore, type ClickHouseStoreOptions } from './store.js';
export { type ClickHouseTarget, parseClickHouseUrl, redactedClickHouseUrl } from './url.js';
