import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Pipeline orchestration state. The scheduler writes every decision here before acting on it, so a
 * new orchestrator can pick a run up from these rows alone after the previous one died.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const clustered = dialect === 'sqlite' ? sql`without rowid` : sql``;

  await db.schema
    .createTable('pipeline_runs')
    .addColumn('id', 'text', (c) => c.primaryKey().references('runs.run_uuid').onDelete('cascade'))
    .addColumn('pipeline_name', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('definition_digest', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('work_dir', 'text', (c) => c.notNull())
    .addColumn('environment', 'text')
    .addColumn('trigger', 'text')
    .addColumn('no_cache', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_time', 'bigint', (c) => c.notNull())
    .addColumn('updated_time', 'bigint', (c) => c.notNull())
    .modifyEnd(clustered)
    .execute();
  await db.schema
    .createIndex('pipeline_runs_name_created')
    .on('pipeline_runs')
    .columns(['pipeline_name', 'created_time'])
    .execute();

  await db.schema
    .createTable('step_executions')
    .addColumn('pipeline_run_id', 'text', (c) => c.notNull().references('pipeline_runs.id').onDelete('cascade'))
    .addColumn('step_name', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.references('runs.run_uuid').onDelete('set null'))
    .addColumn('exit_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('cache_key', 'text')
    .addColumn('cached_from_run_id', 'text')
    .addColumn('started_time', 'bigint')
    .addColumn('ended_time', 'bigint')
    .addColumn('next_attempt_at', 'bigint')
    .addPrimaryKeyConstraint('step_executions_pk', ['pipeline_run_id', 'step_name', 'attempt'])
    .modifyEnd(clustered)
    .execute();
  await db.schema
    .createIndex('step_executions_cache_key')
    .on('step_executions')
    .columns(['cache_key', 'status'])
    .execute();
}
