import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * The model registry. A version points at a package in a run's artifacts (run id + artifact path)
 * and keeps what was true when it was registered: the manifest's digest, flavor and signature, a
 * snapshot of the run's metrics and the lineage (run, pipeline run, git commit, datasets). Aliases
 * and stages are names for versions; both move, a version does not change.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const clustered = dialect === 'sqlite' ? sql`without rowid` : sql``;

  await db.schema
    .createTable('registered_models')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text')
    .addColumn('created_time', 'bigint', (c) => c.notNull())
    .addColumn('updated_time', 'bigint', (c) => c.notNull())
    .modifyEnd(clustered)
    .execute();

  // MLflow's set_registered_model_tag needs a home; nothing writes it yet.
  await db.schema
    .createTable('registered_model_tags')
    .addColumn('name', 'text', (c) => c.notNull().references('registered_models.name').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registered_model_tags_pk', ['name', 'key'])
    .modifyEnd(clustered)
    .execute();

  await db.schema
    .createTable('model_versions')
    .addColumn('name', 'text', (c) => c.notNull().references('registered_models.name').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('manifest_digest', 'text', (c) => c.notNull())
    .addColumn('flavor', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('metrics', 'text', (c) => c.notNull())
    .addColumn('lineage', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_time', 'bigint', (c) => c.notNull())
    .addColumn('updated_time', 'bigint', (c) => c.notNull())
    // The version number is taken as max + 1 in a transaction; two racing registrations collide here and one retries.
    .addPrimaryKeyConstraint('model_versions_pk', ['name', 'version'])
    .modifyEnd(clustered)
    .execute();
  // Lineage walks from a run to the models registered from it.
  await db.schema.createIndex('model_versions_run').on('model_versions').column('run_id').execute();

  await db.schema
    .createTable('model_version_tags')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_version_tags_pk', ['name', 'version', 'key'])
    .addForeignKeyConstraint(
      'model_version_tags_version',
      ['name', 'version'],
      'model_versions',
      ['name', 'version'],
      (c) => c.onDelete('cascade'),
    )
    .modifyEnd(clustered)
    .execute();

  await db.schema
    .createTable('model_aliases')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_time', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_aliases_pk', ['name', 'alias'])
    .addForeignKeyConstraint('model_aliases_version', ['name', 'version'], 'model_versions', ['name', 'version'], (c) =>
      c.onDelete('cascade'),
    )
    .modifyEnd(clustered)
    .execute();

  await db.schema
    .createTable('model_stages')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_time', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_stages_pk', ['name', 'environment'])
    .addForeignKeyConstraint('model_stages_version', ['name', 'version'], 'model_versions', ['name', 'version'], (c) =>
      c.onDelete('cascade'),
    )
    .modifyEnd(clustered)
    .execute();
}
