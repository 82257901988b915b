import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AuditLog,
  auditHash,
  auditKeyring,
  createCheckpoint,
  readCheckpoint,
  type AuditEntry,
} from '../../src/governance/index.js';
import { macOf, rowMacMessage, headMacMessage } from '../../src/governance/audit/keyring.js';
import type { Schema } from '../../src/store/index.js';
import { configEnvironment, loadConfig } from '../../src/common/config.js';
import { DIALECTS } from '../support/databases.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { cicloErrorOf } from '../support/errors.js';

const KEY_A = 'a'.repeat(24) + '-first-audit-key';
const KEY_B = 'b'.repeat(24) + '-second-audit-key';

function entry(i: number): AuditEntry {
  return { actor: 'alice', action: 'model.update', target: { type: 'model', id: `m${i}` }, details: { i } };
}

describe('audit key configuration', () => {
  it('reads CICLO_AUDIT_KEY and CICLO_AUDIT_PREVIOUS_KEYS, refuses short keys, hands them to step processes', () => {
    const config = loadConfig({ CICLO_AUDIT_KEY: KEY_B, CICLO_AUDIT_PREVIOUS_KEYS: KEY_A }, '/project');
    expect(config).toMatchObject({ auditKey: KEY_B, auditPreviousKeys: [KEY_A] });
    expect(configEnvironment(config)).toMatchObject({ CICLO_AUDIT_KEY: KEY_B, CICLO_AUDIT_PREVIOUS_KEYS: KEY_A });
    expect(() => loadConfig({ CICLO_AUDIT_KEY: 'short' }, '/project')).toThrow(
      /CICLO_AUDIT_KEY is invalid: must be at least 32 characters/,
    );
    expect(() => loadConfig({ CICLO_AUDIT_KEY: KEY_B, CICLO_AUDIT_PREVIOUS_KEYS: `${KEY_A},x` }, '/project')).toThrow(
      /CICLO_AUDIT_PREVIOUS_KEYS is invalid/,
    );
  });
});

describe.each(DIALECTS)('keyed audit chain (%s)', (dialect) => {
  let test: TestContext;
  let db: Kysely<Schema>;
  const keyed = () => new AuditLog(db, { keyring: auditKeyring(KEY_A) });

  beforeEach(async () => {
    test = await openTestContext(dialect);
    db = test.context.database.db;
  });

  afterEach(async () => {
    await test.drop();
  });

  async function appendKeyed(count: number, log = keyed()): Promise<void> {
    for (let i = 0; i < count; i += 1) await log.append(entry(i));
  }

  /** What a database writer without the key can do: a row with a correct sha256, and the head moved to it. */
  async function forgeRowAndMoveHead(): Promise<void> {
    const head = await db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
    const seq = Number(head.seq) + 1;
    const forged = {
      seq,
      time: Date.now(),
      actor: 'mallory',
      action: 'model.approve',
      target_type: 'model_version',
      target_id: 'churn/1',
      before_digest: null,
      after_digest: null,
      request_id: null,
      details: null,
      prev_hash: head.hash,
    };
    const hash = auditHash(forged);
    const lastMac = (
      await db.selectFrom('audit_log').select('mac').where('seq', '=', Number(head.seq)).executeTakeFirstOrThrow()
    ).mac;
    await db
      .insertInto('audit_log')
      .values({ ...forged, hash, mac: lastMac })
      .execute();
    await db.updateTable('audit_head').set({ seq, hash }).where('id', '=', 1).execute();
  }

  it('finds a forged row appended with a recomputed hash and a moved head, which hashes alone cannot', async () => {
    await appendKeyed(3);
    expect(await keyed().verify()).toMatchObject({ ok: true, checked: 3, keys: { status: 'checked', keyedFrom: 1 } });
    await forgeRowAndMoveHead();
    // The limit of an unkeyed chain: consistent as far as the database can tell.
    expect(await new AuditLog(db).verify()).toMatchObject({ ok: true, checked: 4, keys: { status: 'no key' } });
    const result = await keyed().verify();
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({ seq: 4, reason: 'mac mismatch' }),
      expect.objectContaining({ seq: 4, reason: 'mac mismatch', message: expect.stringContaining('chain head') }),
    ]);
  });

  it('finds a tail cut whose head was moved back (the head MAC covers where the chain ends)', async () => {
    await appendKeyed(5);
    const third = await db.selectFrom('audit_log').select('hash').where('seq', '=', 3).executeTakeFirstOrThrow();
    await sql`delete from audit_log where seq > 3`.execute(db);
    await db.updateTable('audit_head').set({ seq: 3, hash: third.hash }).where('id', '=', 1).execute();
    expect(await new AuditLog(db).verify()).toMatchObject({ ok: true });
    expect((await keyed().verify()).problems).toEqual([expect.objectContaining({ seq: 3, reason: 'mac mismatch' })]);
  });

  it('finds a row MAC, the head MAC or keyed_from edited, and MACs stripped', async () => {
    await appendKeyed(4);
    await sql`update audit_log set mac = (select mac from audit_log where seq = 1) where seq = 2`.execute(db);
    expect((await keyed().verify()).problems).toEqual([expect.objectContaining({ seq: 2, reason: 'mac mismatch' })]);
    await sql`update audit_head set keyed_from = 3`.execute(db);
    expect((await keyed().verify()).problems).toEqual([
      expect.objectContaining({ seq: 4, reason: 'mac mismatch', message: expect.stringContaining('head') }),
    ]);
    await sql`update audit_log set mac = null`.execute(db);
    await sql`update audit_head set mac = null, keyed_from = null`.execute(db);
    expect((await keyed().verify()).problems).toEqual([expect.objectContaining({ seq: 4, reason: 'unkeyed head' })]);
  });

  it('keys a chain started without a key from its first keyed row, then refuses appends without the key', async () => {
    await appendKeyed(2, new AuditLog(db));
    await appendKeyed(2);
    expect(await keyed().verify()).toMatchObject({ ok: true, checked: 4, keys: { status: 'checked', keyedFrom: 3 } });
    const refused = await cicloErrorOf(new AuditLog(db).append(entry(9)));
    expect(refused).toMatchObject({ code: 'INVALID_STATE', details: { where: 'CICLO_AUDIT_KEY' } });
    expect((await keyed().head()).seq).toBe(4);
  });

  it(
    'rotates keys: rows of a previous key still verify, ' + 'a retired key cannot extend the chain after the new one',
    async () => {
      await appendKeyed(2);
      const rotated = new AuditLog(db, { keyring: auditKeyring(KEY_B, [KEY_A]) });
      await appendKeyed(2, rotated);
      expect(await rotated.verify()).toMatchObject({ ok: true, checked: 4 });
      expect(
        (await new AuditLog(db, { keyring: auditKeyring(KEY_B) }).verify()).problems.map((p) => [p.seq, p.reason]),
      ).toEqual([
        [1, 'mac mismatch'],
        [2, 'mac mismatch'],
      ]);
      // Someone holding only the leaked old key appends a row and moves the head, all MACs under KEY_A.
      await forgeRowAndMoveHead();
      const old = auditKeyring(KEY_A).current;
      const row = await db.selectFrom('audit_log').selectAll().where('seq', '=', 5).executeTakeFirstOrThrow();
      await db
        .updateTable('audit_log')
        .set({ mac: macOf(old, rowMacMessage(row.hash)) })
        .where('seq', '=', 5)
        .execute();
      await db
        .updateTable('audit_head')
        .set({ mac: macOf(old, headMacMessage(5, row.hash, 1)) })
        .where('id', '=', 1)
        .execute();
      expect((await rotated.verify()).problems).toEqual([expect.objectContaining({ seq: 5, reason: 'retired key' })]);
    },
  );

  it('a signed checkpoint finds a rewrite at or before it even by someone holding the key', async () => {
    await appendKeyed(3);
    const log = keyed();
    const checkpoint = await createCheckpoint(log, 'file', 1_700_000_000_000);
    expect(checkpoint).toMatchObject({
      format: 'ciclo-audit-checkpoint/1',
      seq: 4,
      time: 1_700_000_000_000,
      mac: expect.stringMatching(/^hmac-sha256:/),
    });
    expect((await log.list({ after: 3 }))[0]).toMatchObject({
      action: 'audit.checkpoint',
      details: { destination: 'file' },
    });
    const anchor = readCheckpoint(JSON.stringify(checkpoint), log.keyring, 'cp.json');
    await appendKeyed(1, log);
    expect(await log.verify({ anchors: [anchor] })).toMatchObject({ ok: true, checked: 5 });

    // Rewrite row 2 and reseal every later row and the head, as a holder of the key could.
    const rows = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
    const key = auditKeyring(KEY_A).current;
    let prev = rows[0]!.hash;
    for (const raw of rows.slice(1)) {
      const row = {
        ...raw,
        seq: Number(raw.seq),
        time: Number(raw.time),
        prev_hash: prev,
        actor: raw.seq === 2 ? 'mallory' : raw.actor,
      };
      const hash = auditHash(row);
      await db
        .updateTable('audit_log')
        .set({ actor: row.actor, prev_hash: prev, hash, mac: macOf(key, rowMacMessage(hash)) })
        .where('seq', '=', row.seq)
        .execute();
      prev = hash;
    }
    await db
      .updateTable('audit_head')
      .set({ hash: prev, mac: macOf(key, headMacMessage(rows.length, prev, 1)) })
      .where('id', '=', 1)
      .execute();
    expect(await log.verify()).toMatchObject({ ok: true });
    expect((await log.verify({ anchors: [anchor] })).problems).toEqual([
      expect.objectContaining({ seq: 4, reason: 'anchor mismatch' }),
    ]);
  });

  it('refuses an altered checkpoint or one checked without the key', async () => {
    await appendKeyed(1);
    const checkpoint = await createCheckpoint(keyed(), 'file');
    const altered = JSON.stringify({ ...checkpoint, seq: checkpoint.seq - 1 });
    expect(() => readCheckpoint(altered, auditKeyring(KEY_A), 'cp.json')).toThrow(
      /cp\.json carries a MAC that does not match/,
    );
    expect(() => readCheckpoint(JSON.stringify(checkpoint), undefined, 'cp.json')).toThrow(
      /CICLO_AUDIT_KEY is not set/,
    );
    expect(() => readCheckpoint('{"format":"x"}', auditKeyring(KEY_A), 'cp.json')).toThrow(/not an audit checkpoint/);
    await expect(createCheckpoint(new AuditLog(db), 'file')).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });
});
