import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Approvals. `model_versions.created_by` names who registered a version (four-eyes compares the
 * approver with it); versions registered before it are by `unknown`.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('model_versions').addColumn('created_by', 'text', (c) => c.notNull().defaultTo('unknown')).execute();
}
