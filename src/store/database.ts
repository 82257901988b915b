import type { Kysely } from 'kysely';
import { preparePrivateSqliteFile } from '../common/private-files.js';
import { openKysely, type DatabaseLocation, type DialectName } from './dialect.js';
import { migrateToLatest } from './migrate.js';
import type { Schema } from './schema.js';

export interface MetadataDatabase {
  readonly db: Kysely<Schema>;
  readonly dialect: DialectName;
  /** Migrations this open applied, oldest first; empty when the schema was already current. */
  readonly appliedMigrations: readonly string[];
  close(): Promise<void>;
}

/** Opens the metadata store and brings its schema to the latest migration. */
export async function openDatabase(location: DatabaseLocation): Promise<MetadataDatabase> {
  if (location.dialect === 'sqlite') preparePrivateSqliteFile(location.file);
  const db = openKysely(location);
  let appliedMigrations: string[];
  try {
    appliedMigrations = await migrateToLatest(db, location.dialect);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { db, dialect: location.dialect, appliedMigrations, close: () => db.destroy() };
}
