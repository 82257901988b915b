import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { sha256Digest } from '../../artifacts/index.js';
import { parseInput } from '../../common/validation.js';
import { dialectOf, type AuditLogTable, type Schema } from '../../store/index.js';
import { canonicalJson } from '../../common/canonical-json.js';
import { currentActor } from '../actor.js';

/** The `prev_hash` of row 1 (also what migration `0007_audit` puts in the empty chain's head). */
export const AUDIT_GENESIS_HASH = 'sha256:0000000000000000000000000000000000000000000000000000000000000000';

/** Bumped if the hashed encoding ever changes; it is part of every hash. */
const HASH_FORMAT = 'ciclo-audit/1';

const nonEmpty = z.string().trim().min(1).max(1000);
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256: and 64 lowercase hex digits');

const AuditEntrySchema = z.object({
  /** Defaults to the current actor scope (the request's user, else the OS user). */
  actor: nonEmpty.optional(),
  action: nonEmpty,
  target: z.object({ type: nonEmpty, id: z.string().max(1000) }),
  beforeDigest: digest.nullish(),
  afterDigest: digest.nullish(),
  requestId: z.string().max(200).nullish(),
  details: z.record(z.string(), z.unknown()).nullish(),
  /** Epoch millis; defaults to now. Only tests and imports should need it. */
  time: z.number().int().nonnegative().optional(),
});

/** What a capability records about one change. Digests come from `digestOf(record)`. */
export type AuditEntry = z.input<typeof AuditEntrySchema>;

export interface AuditTarget {
  type: string;
  id: string;
}

/** One row of the chain, as read back. */
export interface AuditRecord {
  seq: number;
  time: number;
  actor: string;
  action: string;
  target: AuditTarget;
  beforeDigest: string | null;
  afterDigest: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

export interface AuditListQuery {
  /** `type` alone matches every id of that type. */
  target?: { type: string; id?: string };
  actor?: string;
  action?: string;
  /** Only rows with seq greater than this (paging forward). */
  after?: number;
  /** Only rows with seq less than this (paging backward). */
  before?: number;
  /** Default 100, at most 10 000. */
  limit?: number;
  /** By seq; default `asc`. */
  order?: 'asc' | 'desc';
}

export type AuditFailureReason = 'hash mismatch' | 'broken link' | 'gap' | 'head mismatch' | 'anchor mismatch';

export interface AuditVerification {
  ok: boolean;
  /** Rows whose hash and link were checked before the first bad one (all of them when ok). */
  checked: number;
  /** The chain head when verification started: record it elsewhere to use as an `anchor` later. */
  head: { seq: number; hash: string };
  firstBad?: { seq: number; reason: AuditFailureReason; message: string };
}

export interface AuditVerifyOptions {
  /** A head recorded earlier outside the database: the row at `seq` must still have `hash`. */
  anchor?: { seq: number; hash: string };
  /** Rows read per query; default 1000. */
  pageSize?: number;
}

type AuditRow = Selectable<AuditLogTable>;
type Db = Kysely<Schema>;

const MAX_LIMIT = 10_000;

/**
 * The append-only audit log: every change a capability makes is one row of a hash chain (actor,
 * action, target, before/after digests, time, request id, details), each row's hash covering its
 * fields and the previous row's hash.
 *
 * **How capabilities call it.** In the same transaction as the change it records, so the change and
 * its audit row commit or roll back together:
 *
 * ```ts
 * await db.transaction().execute(async (trx) => {
 *   const before = await store.get(trx, id);
 *   const after = await store.update(trx, id, patch);
 *   await audit.append({ actor, action: 'model.stage', target: { type: 'model', id },
 *     beforeDigest: digestOf(before), afterDigest: digestOf(after), requestId }, trx);
 * });
 * ```
 *
 * Append as late as possible in that transaction: on PostgreSQL the chain head stays locked from
 * the append until the commit, and every other appender waits for it.
 *
 * **Concurrency.** Reading the head and inserting the next row happen in one transaction that holds
 * the chain head exclusively: on PostgreSQL `SELECT … FOR UPDATE` on the one-row `audit_head`
 * (a waiting appender re-reads the committed head when the lock is released, READ COMMITTED); on
 * SQLite the store opens every transaction as BEGIN IMMEDIATE, which takes the database's single
 * write lock up front. So seq is 1, 2, 3 … without gaps (never a sequence, which a rollback would
 * skip) across connections and processes.
 */
export class AuditLog {
  constructor(private readonly db: Db) {}

  /**
   * Appends one entry and returns its row. `trx`, when given, is the caller's transaction: the row
   * is written in it (and commits with it). Without one, the append runs in a transaction of its own.
   */
  async append(entry: AuditEntry, trx?: Db): Promise<AuditRecord> {
    const input = parseInput(AuditEntrySchema, entry);
    const scope = currentActor();
    const details = input.details === null || input.details === undefined ? null : canonicalJson(input.details);
    const fields = {
      time: input.time ?? Date.now(),
      actor: input.actor ?? scope.actor,
      action: input.action,
      target_type: input.target.type,
      target_id: input.target.id,
      before_digest: input.beforeDigest ?? null,
      after_digest: input.afterDigest ?? null,
      request_id: input.requestId ?? scope.requestId ?? null,
      details,
    };
    const write = async (t: Db): Promise<AuditRecord> => {
      let head = t.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
      if (dialectOf(t) === 'postgres') head = head.forUpdate();
      const current = await head.executeTakeFirst();
      if (current === undefined) throw new Error('the audit chain head is missing (audit_head row 1): the store was altered');
      const seq = Number(current.seq) + 1;
      const row: AuditRow = { seq, ...fields, prev_hash: current.hash, hash: '' };
      row.hash = auditHash(row);
      await t.insertInto('audit_log').values(row).execute();
      await t.updateTable('audit_head').set({ seq, hash: row.hash }).where('id', '=', 1).execute();
      return toRecord(row);
    };
    const db = trx ?? this.db;
    return db.isTransaction ? write(db) : db.transaction().execute(write);
  }

  async list(query: AuditListQuery = {}): Promise<AuditRecord[]> {
    const limit = Math.min(Math.max(1, Math.trunc(query.limit ?? 100)), MAX_LIMIT);
    let select = this.db.selectFrom('audit_log').selectAll();
    if (query.target !== undefined) {
      select = select.where('target_type', '=', query.target.type);
      if (query.target.id !== undefined) select = select.where('target_id', '=', query.target.id);
    }
    if (query.actor !== undefined) select = select.where('actor', '=', query.actor);
    if (query.action !== undefined) select = select.where('action', '=', query.action);
    if (query.after !== undefined) select = select.where('seq', '>', query.after);
    if (query.before !== undefined) select = select.where('seq', '<', query.before);
    const rows = await select
      .orderBy('seq', query.order ?? 'asc')
      .limit(limit)
      .execute();
    return rows.map((row) => toRecord(normalize(row)));
  }

  /** The last seq and hash (seq 0 and the genesis hash for an empty chain). */
  async head(): Promise<{ seq: number; hash: string }> {
    const head = await this.db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
    return head === undefined ? { seq: -1, hash: '' } : { seq: Number(head.seq), hash: head.hash };
  }

  /**
   * Walks the whole chain: recomputes every hash, checks each row links to the one before and that
   * seq runs 1, 2, 3 … without gaps, and that the chain ends where `audit_head` says it does.
   *
   * What it finds: an edited row (hash mismatch); a deleted row in the middle (gap, or a broken link
   * if later rows were renumbered); rows deleted from the tail (gap: the head says the chain is
   * longer); rows inserted behind the server's back (head mismatch). What it cannot find on its own:
   * someone with write access who rewrites a row, recomputes every later hash *and* updates
   * `audit_head` consistently, or truncates the tail and moves the head back with it. Only a head
   * recorded outside the database catches that: pass it as `anchor` (the CLI prints the head).
   *
   * Safe while others append: the head is read first and only rows up to it are walked.
   */
  async verify(options: AuditVerifyOptions = {}): Promise<AuditVerification> {
    const pageSize = options.pageSize ?? 1000;
    const head = await this.head();
    const bad = (checked: number, seq: number, reason: AuditFailureReason, message: string): AuditVerification => ({
      ok: false,
      checked,
      head,
      firstBad: { seq, reason, message },
    });
    if (head.seq < 0) return bad(0, 0, 'head mismatch', 'the audit chain head (audit_head row 1) is missing');

    let expected = 1;
    let prev = AUDIT_GENESIS_HASH;
    let checked = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>=', expected)
        .where('seq', '<=', head.seq)
        .orderBy('seq', 'asc')
        .limit(pageSize)
        .execute();
      for (const raw of rows) {
        const row = normalize(raw);
        if (row.seq !== expected) {
          return bad(checked, expected, 'gap', `row ${expected} is missing (the next row is ${row.seq})`);
        }
        if (auditHash(row) !== row.hash) {
          return bad(checked, row.seq, 'hash mismatch', `row ${row.seq} does not hash to its stored hash: it was changed after it was written`);
        }
        if (row.prev_hash !== prev) {
          return bad(checked, row.seq, 'broken link', `row ${row.seq} does not link to the row before it`);
        }
        if (options.anchor !== undefined && options.anchor.seq === row.seq && options.anchor.hash !== row.hash) {
          return bad(checked, row.seq, 'anchor mismatch', `row ${row.seq} is not the row the anchor recorded: the chain was rewritten from here or earlier`);
        }
        checked += 1;
        prev = row.hash;
        expected += 1;
      }
      if (rows.length < pageSize) break;
    }
    if (expected <= head.seq) {
      return bad(checked, expected, 'gap', `rows ${expected}..${head.seq} are missing: the head says the chain is ${head.seq} rows long`);
    }
    if (head.hash !== prev) {
      return bad(checked, head.seq, 'head mismatch', `the chain head's hash is not the hash of row ${head.seq}`);
    }
    if (options.anchor !== undefined && options.anchor.seq > head.seq) {
      return bad(checked, head.seq + 1, 'anchor mismatch', `the anchor is at row ${options.anchor.seq} but the chain ends at ${head.seq}: its tail was cut`);
    }
    // Rows past the head that no appender wrote (an append moves the head in the same transaction).
    // max(seq) is read before the head again, so a concurrent legitimate append never looks like one.
    const max = await this.db.selectFrom('audit_log').select((eb) => eb.fn.max('seq').as('max')).executeTakeFirst();
    const after = await this.head();
    const maxSeq = max?.max === null || max?.max === undefined ? 0 : Number(max.max);
    if (maxSeq > after.seq) {
      return bad(checked, after.seq + 1, 'head mismatch', `row ${after.seq + 1} lies past the chain head: it was not written by an append`);
    }
    return { ok: true, checked, head };
  }
}

/**
 * sha256 over a fixed-order JSON array of the row's fields and the previous hash: an array of
 * strings, integers and nulls has exactly one JSON text, so no key sorting is needed; `details` is
 * hashed as the canonical JSON text it is stored as.
 */
export function auditHash(row: Omit<AuditRow, 'hash'>): string {
  return sha256Digest(
    JSON.stringify([
      HASH_FORMAT,
      row.seq,
      row.time,
      row.actor,
      row.action,
      row.target_type,
      row.target_id,
      row.before_digest,
      row.after_digest,
      row.request_id,
      row.details,
      row.prev_hash,
    ]),
  );
}

/** PostgreSQL bigints arrive as numbers through the store's parser; this keeps that an invariant here. */
function normalize(row: AuditRow): AuditRow {
  return { ...row, seq: Number(row.seq), time: Number(row.time) };
}

function toRecord(row: AuditRow): AuditRecord {
  return {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    beforeDigest: row.before_digest,
    afterDigest: row.after_digest,
    requestId: row.request_id,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
