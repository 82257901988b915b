import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Deployments (src/serving/deployments). `deployments` is what an operator asked for (a model
 * reference, `NAME@alias` or a pinned version, in an environment, with a runtime, replicas and a
 * rollout strategy) and what serves now: `serving_version`, and during a rollout `candidate_version`.
 * `deployment_events` is the history (who changed what, when and why; which version served from when):
 * it is kept when a deployment is deleted, so "what served churn in prod in March" stays answerable.
 *
 * `capture_files` lists the Parquet files of captured requests (sampled inputs and outputs, sensitive
 * columns masked), one or more per deployment and hour, as blobs of the artifact store; `prediction_feedback`
 * holds the ground truth callers send later, joined to the capture by request id. Monitoring reads both.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const clustered = dialect === 'sqlite' ? sql`without rowid` : sql``;

  await db.schema
    .createTable('deployments')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('model_name', 'text', (c) => c.notNull())
    // Exactly one of the two: an alias the deployment follows, or a version it stays on.
    .addColumn('alias', 'text')
    .addColumn('pinned_version', 'integer')
    .addColumn('runtime', 'text')
    .addColumn('replicas', 'integer', (c) => c.notNull())
    .addColumn('strategy', 'text', (c) => c.notNull())
    // The share of requests captured (0 to 1).
    .addColumn('capture_rate', 'double precision', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('serving_version', 'integer')
    .addColumn('candidate_version', 'integer')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_time', 'bigint', (c) => c.notNull())
    .addColumn('updated_time', 'bigint', (c) => c.notNull())
    .modifyEnd(clustered)
    .execute();
  await db.schema.createIndex('deployments_model').on('deployments').columns(['model_name']).execute();

  await db.schema
    .createTable('deployment_events')
    .addColumn('deployment', 'text', (c) => c.notNull())
    // 1, 2, … per deployment: events of one millisecond keep their order; a racing append fails on the key.
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('from_version', 'integer')
    .addColumn('to_version', 'integer')
    .addColumn('reason', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('deployment_events_pk', ['deployment', 'seq'])
    .modifyEnd(clustered)
    .execute();

  await db.schema
    .createTable('capture_files')
    .addColumn('deployment', 'text', (c) => c.notNull())
    // The path in the artifact store's layout: captures/<deployment>/date=…/hour=…/part-<id>.parquet.
    .addColumn('path', 'text', (c) => c.notNull())
    // Start of the hour the rows were answered in (ms): monitoring reads a time range by it.
    .addColumn('hour', 'bigint', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('rows', 'integer', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('created_time', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('capture_files_pk', ['deployment', 'path'])
    .modifyEnd(clustered)
    .execute();
  await db.schema.createIndex('capture_files_hour').on('capture_files').columns(['deployment', 'hour']).execute();

  await db.schema
    .createTable('prediction_feedback')
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    // JSON: a label, a number, or one per output row.
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('prediction_feedback_pk', ['deployment', 'request_id'])
    .modifyEnd(clustered)
    .execute();
}
