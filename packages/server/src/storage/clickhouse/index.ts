export { applyMigrations, MIGRATIONS, type Migration, type MigrationResult } from './schema.js';
export {
  ClickHouseStore,
  type ClickHouseStoreOptions,
  parseClickHouseUrl,
  redactedClickHouseUrl,
} from './store.js';
