import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/** The `prev_hash` of the first audit row: a fixed value, so the chain has a known start. */
export const AUDIT_GENESIS_HASH = 'sha256:0000000000000000000000000000000000000000000000000000000000000000';

/**
 * The audit log as a hash chain. `audit_log` holds one row per recorded change; each row's `hash`
 * covers its own fields and the previous row's hash. `audit_head` is a single row (id = 1) holding
 * the last seq and hash: appenders lock it to serialize (PostgreSQL `FOR UPDATE`), and `verify`
 * compares the chain's end with it, so deleting rows from the tail is detected too.
 * `details` is text, not jsonb: the hash covers the stored text byte for byte.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('before_digest', 'text')
    .addColumn('after_digest', 'text')
    .addColumn('request_id', 'text')
    .addColumn('details', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('audit_log_target')
    .on('audit_log')
    .columns(['target_type', 'target_id', 'seq'])
    .execute();
  await db.schema.createIndex('audit_log_actor').on('audit_log').columns(['actor', 'seq']).execute();

  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .modifyEnd(dialect === 'sqlite' ? sql`without rowid` : sql``)
    .execute();
  await sql`insert into audit_head (id, seq, hash) values (1, 0, ${AUDIT_GENESIS_HASH})`.execute(db);
}
