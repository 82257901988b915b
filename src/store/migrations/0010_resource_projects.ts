import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Datasets and pipeline runs belong to a project, as experiments and registered models do
 * (`0009_access`): access control judges a dataset in its project, and a pipeline run records the
 * project its tracked runs and registered datasets went to. Rows that existed before belong to `default`.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable('datasets')
    .addColumn('project', 'text', (c) => c.notNull().defaultTo('default'))
    .execute();
  await db.schema.createIndex('datasets_project').on('datasets').column('project').execute();
  await db.schema
    .alterTable('pipeline_runs')
    .addColumn('project', 'text', (c) => c.notNull().defaultTo('default'))
    .execute();
  await db.schema.createIndex('pipeline_runs_project').on('pipeline_runs').column('project').execute();
}
