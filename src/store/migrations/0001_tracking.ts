import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const idColumn = dialect === 'postgres' ? 'serial' : 'integer';
  // Tables keyed by text: on SQLite, storing rows in the primary-key b-tree halves search lookups.
  const clustered = dialect === 'sqlite' ? sql`without rowid` : sql``;

  await db.schema
    .createTable('experiments')
    .addColumn('experiment_id', sql.raw(idColumn), (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('artifact_location', 'text', (c) => c.notNull())
    .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
    .addColumn('creation_time', 'bigint', (c) => c.notNull())
    .addColumn('last_update_time', 'bigint', (c) => c.notNull())
    .execute();

  // MLflow clients log to experiment "0" when none is named; it exists from the start.
  const now = Date.now();
  await sql`insert into experiments
      (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
    values (0, 'Default', 'mlflow-artifacts:/0', 'active', ${now}, ${now})`.execute(db);

  await db.schema
    .createTable('experiment_tags')
    .addColumn('experiment_id', 'integer', (c) =>
      c.notNull().references('experiments.experiment_id').onDelete('cascade'),
    )
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('experiment_tags_pk', ['experiment_id', 'key'])
    .execute();

  await db.schema
    .createTable('runs')
    .addColumn('run_uuid', 'text', (c) => c.primaryKey())
    .addColumn('experiment_id', 'integer', (c) =>
      c.notNull().references('experiments.experiment_id').onDelete('cascade'),
    )
    .addColumn('run_name', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('start_time', 'bigint', (c) => c.notNull())
    .addColumn('end_time', 'bigint')
    .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
    .addColumn('artifact_uri', 'text', (c) => c.notNull())
    .addColumn('parent_run_id', 'text', (c) => c.references('runs.run_uuid').onDelete('set null'))
    .addColumn('deleted_time', 'bigint')
    .modifyEnd(clustered)
    .execute();
  await db.schema.createIndex('runs_experiment_start').on('runs').columns(['experiment_id', 'start_time']).execute();
  await db.schema.createIndex('runs_parent').on('runs').column('parent_run_id').execute();

  for (const table of ['params', 'tags']) {
    await db.schema
      .createTable(table)
      .addColumn('run_uuid', 'text', (c) => c.notNull().references('runs.run_uuid').onDelete('cascade'))
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['run_uuid', 'key'])
      .modifyEnd(clustered)
      .execute();
    await db.schema.createIndex(`${table}_key_value`).on(table).columns(['key', 'value']).execute();
  }

  const metricColumns = (table: string) =>
    db.schema
      .createTable(table)
      .addColumn('run_uuid', 'text', (c) => c.notNull().references('runs.run_uuid').onDelete('cascade'))
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'double precision', (c) => c.notNull())
      .addColumn('is_nan', 'integer', (c) => c.notNull())
      .addColumn('timestamp', 'bigint', (c) => c.notNull())
      .addColumn('step', 'bigint', (c) => c.notNull());

  await metricColumns('metrics').execute();
  await db.schema
    .createIndex('metrics_run_key_step')
    .on('metrics')
    .columns(['run_uuid', 'key', 'step', 'timestamp'])
    .execute();

  await metricColumns('latest_metrics')
    .addPrimaryKeyConstraint('latest_metrics_pk', ['run_uuid', 'key'])
    .modifyEnd(clustered)
    .execute();
  // is_nan before value: a numeric filter reads one contiguous range of non-NaN values for a key.
  await db.schema
    .createIndex('latest_metrics_key_value')
    .on('latest_metrics')
    .columns(['key', 'is_nan', 'value'])
    .execute();

  await db.schema
    .createTable('run_inputs')
    .addColumn('run_uuid', 'text', (c) => c.notNull().references('runs.run_uuid').onDelete('cascade'))
    .addColumn('dataset_name', 'text', (c) => c.notNull())
    .addColumn('dataset_digest', 'text', (c) => c.notNull())
    .addColumn('context', 'text', (c) => c.notNull())
    .addColumn('source_type', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('dataset_schema', 'text')
    .addColumn('profile', 'text')
    .addPrimaryKeyConstraint('run_inputs_pk', ['run_uuid', 'dataset_name', 'dataset_digest', 'context'])
    .execute();
  await db.schema.createIndex('run_inputs_digest').on('run_inputs').column('dataset_digest').execute();

  await db.schema
    .createTable('run_artifacts')
    .addColumn('run_uuid', 'text', (c) => c.notNull().references('runs.run_uuid').onDelete('cascade'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('created_time', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_artifacts_pk', ['run_uuid', 'path'])
    .execute();
  await db.schema.createIndex('run_artifacts_digest').on('run_artifacts').column('digest').execute();
}
