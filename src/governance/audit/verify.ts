import type { Kysely, Selectable } from 'kysely';
import type { AuditLogTable, Schema } from '../../store/index.js';
import { auditHash, AUDIT_GENESIS_HASH } from './hash.js';
import { checkMac, headMacMessage, rowMacMessage, type AuditKeyring } from './keyring.js';

export type AuditFailureReason =
  | 'hash mismatch'
  | 'broken link'
  | 'gap'
  | 'head mismatch'
  | 'anchor mismatch'
  | 'mac mismatch'
  | 'retired key'
  | 'unkeyed head';

export interface AuditProblem {
  seq: number;
  reason: AuditFailureReason;
  message: string;
}

/** A head recorded outside the database (`--anchor`, a checkpoint file): the row at `seq` must still have `hash`. */
export interface AuditAnchor {
  seq: number;
  hash: string;
  /** What the anchor came from, for messages: `--anchor`, `checkpoint cp.json`. */
  source: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Rows read and checked. */
  checked: number;
  /** The chain head when verification started: record it elsewhere to use as an anchor later. */
  head: { seq: number; hash: string };
  /**
   * MACs: `checked` (a key is configured and rows from `keyedFrom` on were checked), `no key` (none
   * configured: a database writer can rewrite the chain and recompute every hash undetected) or
   * `unkeyed` (a key is configured but no row was appended with one yet).
   */
  keys: { status: 'checked' | 'no key' | 'unkeyed'; keyedFrom: number | null };
  /** Every problem found, in chain order (at most MAX_PROBLEMS; `problemCount` has them all). */
  problems: AuditProblem[];
  problemCount: number;
  /** The first problem, when there is one. */
  firstBad?: AuditProblem;
}

export interface AuditVerifyOptions {
  anchors?: readonly AuditAnchor[];
  /** Rows read per query; default 1000. */
  pageSize?: number;
}

type AuditRow = Selectable<AuditLogTable>;
type Db = Kysely<Schema>;

const MAX_PROBLEMS = 1000;

/**
 * Walks the whole chain and reports every problem, not just the first: a later forgery must not
 * hide behind an earlier edit. Each row is judged against what is stored before it (its
 * predecessor's stored hash), so one edited row is one problem.
 *
 * What it finds: an edited row (hash mismatch); a deleted row (gap, or a hash mismatch if later
 * rows were renumbered: seq is hashed); rows cut from the tail (gap: the head says the chain is
 * longer); rows inserted behind the appender (head mismatch); with a key, any row from `keyed_from`
 * on whose MAC is missing or wrong (a forged row with a recomputed sha256), and a head moved without
 * the key. Without a key, someone with write access who rewrites rows, recomputes every later hash
 * and moves the head is only caught by an anchor (a head or checkpoint recorded elsewhere).
 *
 * Safe while others append: the head is read first and only rows up to it are walked.
 */
export async function verifyChain(
  db: Db,
  keyring: AuditKeyring | undefined,
  options: AuditVerifyOptions = {},
): Promise<AuditVerification> {
  const pageSize = options.pageSize ?? 1000;
  const anchors = options.anchors ?? [];
  const problems: AuditProblem[] = [];
  let problemCount = 0;
  const report = (seq: number, reason: AuditFailureReason, message: string): void => {
    problemCount += 1;
    if (problems.length < MAX_PROBLEMS) problems.push({ seq, reason, message });
  };
  const stored = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash', 'mac', 'keyed_from'])
    .where('id', '=', 1)
    .executeTakeFirst();
  if (stored === undefined) {
    report(0, 'head mismatch', 'the audit chain head (audit_head row 1) is missing');
    return result(
      { seq: -1, hash: '' },
      0,
      { status: keyring ? 'unkeyed' : 'no key', keyedFrom: null },
      problems,
      problemCount,
    );
  }
  const head = { seq: Number(stored.seq), hash: stored.hash };
  const keyedFrom = stored.keyed_from === null ? null : Number(stored.keyed_from);
  const checkMacs = keyring !== undefined && keyedFrom !== null;

  let expected = 1;
  let prev = AUDIT_GENESIS_HASH;
  let linked = true;
  let newestRank = Number.POSITIVE_INFINITY;
  let checked = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>=', expected)
      .where('seq', '<=', head.seq)
      .orderBy('seq', 'asc')
      .limit(pageSize)
      .execute();
    for (const raw of rows) {
      const row = normalizeRow(raw);
      if (row.seq !== expected) {
        const missing =
          row.seq - 1 === expected ? `row ${expected} is missing` : `rows ${expected}..${row.seq - 1} are missing`;
        report(expected, 'gap', `${missing} (the next row is ${row.seq})`);
        linked = false;
      }
      if (auditHash(row) !== row.hash) {
        report(
          row.seq,
          'hash mismatch',
          `row ${row.seq} does not hash to its stored hash: it was changed after it was written`,
        );
      }
      if (linked && row.prev_hash !== prev)
        report(row.seq, 'broken link', `row ${row.seq} does not link to the row before it`);
      for (const anchor of anchors) {
        if (anchor.seq === row.seq && anchor.hash !== row.hash) {
          report(
            row.seq,
            'anchor mismatch',
            `row ${row.seq} is not the row ${anchor.source} recorded: the chain was rewritten at or before it`,
          );
        }
      }
      if (checkMacs && row.seq >= keyedFrom) {
        const mac = checkMac(keyring, rowMacMessage(row.hash), row.mac);
        if (!mac.valid)
          report(row.seq, 'mac mismatch', `row ${row.seq} ${mac.why}: it was not written by a holder of the audit key`);
        else if (mac.rank > newestRank)
          report(
            row.seq,
            'retired key',
            `row ${row.seq} is keyed with a retired key after rows keyed with a newer one`,
          );
        else newestRank = mac.rank;
      }
      checked += 1;
      prev = row.hash;
      expected = row.seq + 1;
      linked = true;
    }
    if (rows.length < pageSize) break;
  }
  if (expected <= head.seq) {
    report(
      expected,
      'gap',
      `rows ${expected}..${head.seq} are missing: the head says the chain is ${head.seq} rows long`,
    );
  } else if (head.hash !== prev) {
    report(head.seq, 'head mismatch', `the chain head's hash is not the hash of row ${head.seq}`);
  }
  for (const anchor of anchors) {
    if (anchor.seq > head.seq) {
      report(
        head.seq + 1,
        'anchor mismatch',
        `${anchor.source} is at row ${anchor.seq} but the chain ends at ${head.seq}: its tail was cut`,
      );
    }
  }
  if (keyring !== undefined && keyedFrom !== null) {
    const mac = checkMac(keyring, headMacMessage(head.seq, head.hash, keyedFrom), stored.mac);
    if (!mac.valid)
      report(head.seq, 'mac mismatch', `the chain head ${mac.why}: it was moved by someone without the audit key`);
  } else if (keyring !== undefined && head.seq > 0) {
    report(
      head.seq,
      'unkeyed head',
      'CICLO_AUDIT_KEY is set but the chain head carries no MAC: ' +
        'nothing was appended with the key yet, or the MACs were stripped',
    );
  }
  // Rows past the head that no appender wrote (an append moves the head in the same transaction).
  // max(seq) is read before the head again, so a concurrent legitimate append never looks like one.
  const max = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.max('seq').as('max'))
    .executeTakeFirst();
  const after = await db.selectFrom('audit_head').select('seq').where('id', '=', 1).executeTakeFirst();
  const maxSeq = max?.max === null || max?.max === undefined ? 0 : Number(max.max);
  const afterSeq = after === undefined ? head.seq : Number(after.seq);
  if (maxSeq > afterSeq)
    report(
      afterSeq + 1,
      'head mismatch',
      `row ${afterSeq + 1} lies past the chain head: it was not written by an append`,
    );

  const keys: AuditVerification['keys'] = {
    status: keyring === undefined ? 'no key' : keyedFrom === null ? 'unkeyed' : 'checked',
    keyedFrom,
  };
  return result(head, checked, keys, problems, problemCount);
}

function result(
  head: AuditVerification['head'],
  checked: number,
  keys: AuditVerification['keys'],
  problems: AuditProblem[],
  problemCount: number,
): AuditVerification {
  return {
    ok: problemCount === 0,
    checked,
    head,
    keys,
    problems,
    problemCount,
    ...(problems[0] ? { firstBad: problems[0] } : {}),
  };
}

/** PostgreSQL bigints arrive as numbers through the store's parser; this keeps that an invariant here. */
export function normalizeRow(row: AuditRow): AuditRow {
  return { ...row, seq: Number(row.seq), time: Number(row.time) };
}
