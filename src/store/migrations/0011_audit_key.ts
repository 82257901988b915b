import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Keys the audit chain with a secret kept outside the database (CICLO_AUDIT_KEY): each row's `mac`
 * is an HMAC of its hash, the head's `mac` an HMAC of its seq, hash and `keyed_from` (the first row
 * written with a key; rows before it were appended before the key was set). All null until a key is set.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('audit_log').addColumn('mac', 'text').execute();
  await db.schema.alterTable('audit_head').addColumn('mac', 'text').execute();
  await db.schema.alterTable('audit_head').addColumn('keyed_from', 'bigint').execute();
}
