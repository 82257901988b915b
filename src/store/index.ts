/**
 * The metadata store: the Kysely database over SQLite or PostgreSQL (the dialect seam), the schema type and the
 * migrations; capabilities own their tables and query them through their own store files.
 */
export { openDatabase, type MetadataDatabase } from './database.js';
export { dialectOf, parseDatabaseLocation, type DatabaseLocation, type DialectName } from './dialect.js';
export { MIGRATION_NAMES, migrateToLatest } from './migrate.js';
export type * from './schema.js';
export { insertRows } from './bulk-insert.js';
export { inTransaction } from './transaction.js';
export { fileStoreErrorOf, storeErrorOf, STORE_BUSY_RETRY_SECONDS } from './storage-errors.js';
