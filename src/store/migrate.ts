import { Migrator, sql, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import type { DialectName } from './dialect.js';
import * as m0001 from './migrations/0001_tracking.js';
import * as m0002 from './migrations/0002_pipelines.js';
import * as m0003 from './migrations/0003_pipeline_runtime.js';
import * as m0004 from './migrations/0004_triggers.js';
import * as m0005 from './migrations/0005_data.js';
import * as m0006 from './migrations/0006_registry.js';
import * as m0007 from './migrations/0007_audit.js';
import * as m0008 from './migrations/0008_approvals.js';
import * as m0009 from './migrations/0009_access.js';
import * as m0010 from './migrations/0010_resource_projects.js';
import * as m0011 from './migrations/0011_audit_key.js';
import * as m0012 from './migrations/0012_deployments.js';
import * as m0013 from './migrations/0013_monitoring.js';
import type { Schema } from './schema.js';

interface DialectMigration {
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>;
}

/** One ordered list of migrations for both dialects; names sort in the order they apply. */
const MIGRATIONS: Record<string, DialectMigration> = {
  '0001_tracking': m0001,
  '0002_pipelines': m0002,
  '0003_pipeline_runtime': m0003,
  '0004_triggers': m0004,
  '0005_data': m0005,
  '0006_registry': m0006,
  '0007_audit': m0007,
  '0008_approvals': m0008,
  '0009_access': m0009,
  '0010_resource_projects': m0010,
  '0011_audit_key': m0011,
  '0012_deployments': m0012,
  '0013_monitoring': m0013,
};

/** Every migration, in the order they apply. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(MIGRATIONS);

export async function migrateToLatest(db: Kysely<Schema>, dialect: DialectName): Promise<string[]> {
  // Every open checks the schema, and steps open the store while their pipeline writes to it. The
  // migrator's lock is a write transaction, which on SQLite can fail at once (SQLITE_BUSY) when it
  // meets another writer; a store that is already current is told by a read alone.
  if (await isCurrent(db)) return [];
  const migrations: Record<string, Migration> = {};
  for (const [name, migration] of Object.entries(MIGRATIONS)) {
    migrations[name] = { up: (target) => migration.up(target, dialect) };
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'ciclo_migrations',
    migrationLockTableName: 'ciclo_migrations_lock',
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${String((result.error as Error).message ?? result.error)}`);
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

async function isCurrent(db: Kysely<Schema>): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string }>`select name from ciclo_migrations`.execute(db);
    const applied = new Set(rows.map((row) => row.name));
    return MIGRATION_NAMES.every((name) => applied.has(name));
  } catch {
    return false; // no migrations table yet: a new store
  }
}
