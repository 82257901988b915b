import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { InvalidInputError, InvalidStateError } from '../../common/errors.js';
import { parseInput, unstorableText } from '../../common/validation.js';
import { dialectOf, inTransaction, type AuditLogTable, type Schema } from '../../store/index.js';
import { canonicalJson } from '../../common/canonical-json.js';
import { currentActor } from '../actor.js';
import { auditHash, HASHED_FIELDS } from './hash.js';
import { headMacMessage, macOf, rowMacMessage, type AuditKeyring } from './keyring.js';
import { normalizeRow, verifyChain, type AuditVerification, type AuditVerifyOptions } from './verify.js';

/**
 * Text the stores keep exactly as given (no lone surrogate, no NUL): a field that changed on its
 * way into the database would make its row's hash wrong forever.
 */
const storable = (schema: z.ZodString) =>
  schema.check((ctx) => {
    const problem = unstorableText(ctx.value);
    if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });
const nonEmpty = storable(z.string().trim().min(1).max(1000));
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256: and 64 lowercase hex digits');

const AuditEntrySchema = z.object({
  /** Defaults to the current actor scope (the request's user, else the OS user). */
  actor: nonEmpty.optional(),
  action: nonEmpty,
  target: z.object({ type: nonEmpty, id: storable(z.string().max(1000)) }),
  beforeDigest: digest.nullish(),
  afterDigest: digest.nullish(),
  requestId: storable(z.string().max(200)).nullish(),
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
 *
 * **Keys.** With a keyring (CICLO_AUDIT_KEY), each row also gets an HMAC of its hash and the head an
 * HMAC of where the chain ends, so a database writer without the key cannot append or rewrite rows
 * that verify. The first keyed row is recorded in the head (`keyed_from`); once keyed, appending
 * without a key is refused rather than breaking the chain.
 */
export class AuditLog {
  readonly #db: Db;
  readonly #keyring: AuditKeyring | undefined;

  /** `keyring` (from CICLO_AUDIT_KEY): every appended row and the head get an HMAC, and verify checks them. */
  constructor(db: Db, options: { keyring?: AuditKeyring } = {}) {
    this.#db = db;
    this.#keyring = options.keyring;
  }

  /** Whether this log keys what it appends (CICLO_AUDIT_KEY is set). */
  get keyring(): AuditKeyring | undefined {
    return this.#keyring;
  }

  /**
   * Appends one entry and returns its row. `trx`, when given, is the caller's transaction: the row
   * is written in it (and commits with it). Without one, the append runs in a transaction of its own.
   */
  async append(entry: AuditEntry, trx?: Db): Promise<AuditRecord> {
    const input = parseInput(AuditEntrySchema, entry);
    const scope = currentActor();
    const actor = input.actor ?? scope.actor;
    const requestId = input.requestId ?? scope.requestId ?? null;
    // The scope's values come from a token's user and a request header, not through the schema above.
    for (const [field, text] of [
      ['actor', actor],
      ['requestId', requestId ?? ''],
    ] as const) {
      const problem = unstorableText(text);
      if (problem !== undefined) throw new InvalidInputError(`${field}: ${problem}`, { where: field });
    }
    const details = input.details === null || input.details === undefined ? null : canonicalJson(input.details);
    const fields = {
      time: input.time ?? Date.now(),
      actor,
      action: input.action,
      target_type: input.target.type,
      target_id: input.target.id,
      before_digest: input.beforeDigest ?? null,
      after_digest: input.afterDigest ?? null,
      request_id: requestId,
      details,
    };
    const keyring = this.#keyring;
    const write = async (t: Db): Promise<AuditRecord> => {
      let head = t.selectFrom('audit_head').select(['seq', 'hash', 'keyed_from']).where('id', '=', 1);
      if (dialectOf(t) === 'postgres') head = head.forUpdate();
      const current = await head.executeTakeFirst();
      if (current === undefined)
        throw new Error('the audit chain head is missing (audit_head row 1): the store was altered');
      const seq = Number(current.seq) + 1;
      const keyedFrom = current.keyed_from !== null ? Number(current.keyed_from) : keyring === undefined ? null : seq;
      if (keyedFrom !== null && keyring === undefined) {
        throw new InvalidStateError(
          `the audit chain is keyed (from row ${keyedFrom}) and this process has no audit key: ` +
            'its change would break the chain',
          {
            where: 'CICLO_AUDIT_KEY',
            hint: 'set CICLO_AUDIT_KEY (and CICLO_AUDIT_PREVIOUS_KEYS) to the keys the server uses',
          },
        );
      }
      const row: AuditRow = { seq, ...fields, prev_hash: current.hash, hash: '', mac: null };
      row.hash = auditHash(row);
      row.mac = keyring === undefined ? null : macOf(keyring.current, rowMacMessage(row.hash));
      await t.insertInto('audit_log').values(row).execute();
      await assertStoredAsWritten(t, row);
      const headMac =
        keyring === undefined || keyedFrom === null
          ? null
          : macOf(keyring.current, headMacMessage(seq, row.hash, keyedFrom));
      await t
        .updateTable('audit_head')
        .set({ seq, hash: row.hash, mac: headMac, keyed_from: keyedFrom })
        .where('id', '=', 1)
        .execute();
      return toRecord(row);
    };
    return inTransaction(trx ?? this.#db, write);
  }

  async list(query: AuditListQuery = {}): Promise<AuditRecord[]> {
    const limit = Math.min(Math.max(1, Math.trunc(query.limit ?? 100)), MAX_LIMIT);
    let select = this.#db.selectFrom('audit_log').selectAll();
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
    return rows.map((row) => toRecord(normalizeRow(row)));
  }

  /** The last seq and hash (seq 0 and the genesis hash for an empty chain). */
  async head(): Promise<{ seq: number; hash: string }> {
    const head = await this.#db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
    return head === undefined ? { seq: -1, hash: '' } : { seq: Number(head.seq), hash: head.hash };
  }

  /** Walks the whole chain and reports every problem (see verifyChain); MACs are checked with this log's keys. */
  async verify(options: AuditVerifyOptions = {}): Promise<AuditVerification> {
    return verifyChain(this.#db, this.#keyring, options);
  }
}

/**
 * The hash must be of what verify will read. Every field is checked before it is written, so this
 * only fails if a store changes text or numbers in a way nothing here foresaw; then the change is
 * refused (its transaction rolls back) rather than leaving a row that can never verify.
 */
async function assertStoredAsWritten(t: Db, row: AuditRow): Promise<void> {
  const stored = normalizeRow(
    await t.selectFrom('audit_log').selectAll().where('seq', '=', row.seq).executeTakeFirstOrThrow(),
  );
  if (auditHash(stored) === row.hash) return;
  const field = HASHED_FIELDS.find((name) => stored[name] !== row[name]) ?? 'a field';
  throw new InvalidInputError(`the audit entry's ${field} does not read back from the store as it was written`, {
    where: field,
    hint: 'use well-formed Unicode text without NUL characters',
  });
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
