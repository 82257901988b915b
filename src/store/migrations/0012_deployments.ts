import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Deployments (src/serving/deployments). `deployments` is what an operator asked for (a model
 * reference, `NAME@alias` or a pinned version, in an environment, with a runtime, replicas and a
 * rollout strategy) and what serves now: `serving_version`, and during a rollout `candidate_version`.
 * `deployment_events` is the history (who changed what, when and why; which version served from when):
 * it is kept when a deployment is deleted, so "what served churn in prod in March" stays answerable.
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
}
