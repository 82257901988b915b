import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Approvals. `model_versions.created_by` names who registered a version (four-eyes compares the
 * approver with it); versions registered before it are by `unknown`.
 *
 * `model_policies` holds one approval policy per model (its YAML text as set, and the digest of
 * what it means). `model_gate_results` keeps every evaluation of a policy's gates against a
 * version; approval reads the latest one. `model_approvals` is the decision on a version: only a
 * pending version is decided, so there is at most one row per version and a racing second
 * decision fails on the primary key.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const clustered = dialect === 'sqlite' ? sql`without rowid` : sql``;

  await db.schema
    .alterTable('model_versions')
    .addColumn('created_by', 'text', (c) => c.notNull().defaultTo('unknown'))
    .execute();

  await db.schema
    .createTable('model_policies')
    .addColumn('name', 'text', (c) => c.primaryKey().references('registered_models.name').onDelete('cascade'))
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('set_by', 'text', (c) => c.notNull())
    .addColumn('set_time', 'bigint', (c) => c.notNull())
    .modifyEnd(clustered)
    .execute();

  await db.schema
    .createTable('model_gate_results')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('policy_source', 'text', (c) => c.notNull())
    .addColumn('policy_digest', 'text', (c) => c.notNull())
    .addColumn('evaluated_by', 'text', (c) => c.notNull())
    .addColumn('evaluated_time', 'bigint', (c) => c.notNull())
    .addColumn('passed', 'integer', (c) => c.notNull())
    .addColumn('results', 'text', (c) => c.notNull())
    .addForeignKeyConstraint(
      'model_gate_results_version',
      ['name', 'version'],
      'model_versions',
      ['name', 'version'],
      (c) => c.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('model_gate_results_version_time')
    .on('model_gate_results')
    .columns(['name', 'version', 'evaluated_time'])
    .execute();

  await db.schema
    .createTable('model_approvals')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('decided_time', 'bigint', (c) => c.notNull())
    .addColumn('automatic', 'integer', (c) => c.notNull())
    .addColumn('policy_digest', 'text')
    .addColumn('gate_result_id', 'text')
    .addPrimaryKeyConstraint('model_approvals_pk', ['name', 'version'])
    .addForeignKeyConstraint(
      'model_approvals_version',
      ['name', 'version'],
      'model_versions',
      ['name', 'version'],
      (c) => c.onDelete('cascade'),
    )
    .modifyEnd(clustered)
    .execute();
}
