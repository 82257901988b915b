import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * What the trigger runtime keeps across restarts, per (pipeline, trigger): the last thing a polling
 * source saw (a content digest, a commit, the known dataset digests), so a restart neither re-fires
 * nor misses a change made while the server was down, and how many firings started or dropped runs.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('trigger_state')
    .addColumn('pipeline_name', 'text', (c) => c.notNull())
    .addColumn('trigger_name', 'text', (c) => c.notNull())
    .addColumn('cursor', 'text')
    .addColumn('fired_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('dropped_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_fired_time', 'bigint')
    .addColumn('updated_time', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('trigger_state_pk', ['pipeline_name', 'trigger_name'])
    .modifyEnd(dialect === 'sqlite' ? sql`without rowid` : sql``)
    .execute();
}
