import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/** Approvals and gate results (filled in by the approvals work). */
export async function up(_db: Kysely<unknown>, _dialect: DialectName): Promise<void> {}
