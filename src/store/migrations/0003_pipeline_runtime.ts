import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * What a pipeline run needs to be driven by exactly one orchestrator at a time, cancelled from
 * another process, reproduced later and traced in lineage.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema.alterTable('pipeline_runs').addColumn('lease_owner', 'text').execute();
  await db.schema.alterTable('pipeline_runs').addColumn('lease_expires_at', 'bigint').execute();
  await db.schema
    .alterTable('pipeline_runs')
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('pipeline_runs')
    .addColumn('executor', 'text', (c) => c.notNull().defaultTo('local'))
    .execute();
  await db.schema.alterTable('pipeline_runs').addColumn('source_file', 'text').execute();
  await db.schema.alterTable('pipeline_runs').addColumn('git_commit', 'text').execute();
  await db.schema.alterTable('pipeline_runs').addColumn('trigger_name', 'text').execute();
  await db.schema.alterTable('pipeline_runs').addColumn('reproduces_run_id', 'text').execute();
  await db.schema
    .createIndex('pipeline_runs_status')
    .on('pipeline_runs')
    .columns(['pipeline_name', 'status'])
    .execute();

  await db.schema.alterTable('step_executions').addColumn('input_digests', 'text').execute();
  await db.schema.alterTable('step_executions').addColumn('output_digests', 'text').execute();
  await db.schema.alterTable('step_executions').addColumn('process_id', 'integer').execute();
  await db.schema.alterTable('step_executions').addColumn('process_host', 'text').execute();
  await db.schema.alterTable('step_executions').addColumn('worker', 'text').execute();
  await db.schema.alterTable('step_executions').addColumn('duration_ms', 'bigint').execute();
  // Lineage walks from an artifact digest to the steps that read or wrote it.
  await db.schema
    .createTable('step_artifacts')
    .addColumn('pipeline_run_id', 'text', (c) => c.notNull().references('pipeline_runs.id').onDelete('cascade'))
    .addColumn('step_name', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('step_artifacts_pk', ['pipeline_run_id', 'step_name', 'attempt', 'direction', 'name'])
    .modifyEnd(dialect === 'sqlite' ? sql`without rowid` : sql``)
    .execute();
  await db.schema.createIndex('step_artifacts_digest').on('step_artifacts').columns(['digest', 'direction']).execute();
}
