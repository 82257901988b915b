import type { Selectable } from 'kysely';
import { sha256Digest } from '../../artifacts/index.js';
import type { AuditLogTable } from '../../store/index.js';

/** The `prev_hash` of row 1 (also what migration `0007_audit` puts in the empty chain's head). */
export const AUDIT_GENESIS_HASH = 'sha256:0000000000000000000000000000000000000000000000000000000000000000';

/** Bumped if the hashed encoding ever changes; it is part of every hash. */
const HASH_FORMAT = 'ciclo-audit/1';

/** Every field a row's hash covers; the tamper tests edit each of them. */
export const HASHED_FIELDS = [
  'seq',
  'time',
  'actor',
  'action',
  'target_type',
  'target_id',
  'before_digest',
  'after_digest',
  'request_id',
  'details',
  'prev_hash',
] as const satisfies readonly (keyof AuditLogTable)[];

/**
 * sha256 over a fixed-order JSON array of the row's fields and the previous hash: an array of
 * strings, integers and nulls has exactly one JSON text, so no key sorting is needed; `details` is
 * hashed as the canonical JSON text it is stored as. Appends hash the row as it reads back from the
 * store, so the hash is of what verify will read.
 */
export function auditHash(row: Omit<Selectable<AuditLogTable>, 'hash' | 'mac'>): string {
  return sha256Digest(JSON.stringify([HASH_FORMAT, ...HASHED_FIELDS.map((field) => row[field])]));
}
