import type { Kysely, Transaction } from 'kysely';
import type { Schema } from './schema.js';

/**
 * Runs `work` in the caller's transaction when it hands one in, else in a new one: how a service
 * method joins a change another capability makes (a deployment's event with the alias it moves, an
 * audit entry with the row it describes) so both commit or neither does.
 */
export function inTransaction<T>(
  db: Kysely<Schema> | Transaction<Schema>,
  work: (trx: Transaction<Schema>) => Promise<T>,
): Promise<T> {
  return db.isTransaction ? work(db as Transaction<Schema>) : db.transaction().execute(work);
}
