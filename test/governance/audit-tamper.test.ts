import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, digestOf, type AuditEntry } from '../../src/governance/index.js';
import type { Schema } from '../../src/store/index.js';
import { DIALECTS } from '../support/databases.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { cicloErrorOf } from '../support/errors.js';

/**
 * Every field a row's hash must cover, written here independently of the code: dropping one from
 * the hash makes its tamper test fail. `hash` and `mac` are the row's seals, not sealed fields.
 */
const SEALED_FIELDS = [
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
];

function entry(i: number): AuditEntry {
  return {
    actor: `actor-${i}`,
    action: 'model.update',
    target: { type: 'model', id: `m${i}` },
    beforeDigest: digestOf({ version: i - 1 }),
    afterDigest: digestOf({ version: i }),
    requestId: `req-${i}`,
    details: { i, note: 'ok' },
    time: 1_700_000_000_000 + i,
  };
}

describe.each(DIALECTS)('audit chain tampering (%s)', (dialect) => {
  let test: TestContext;
  let db: Kysely<Schema>;
  let audit: AuditLog;

  beforeEach(async () => {
    test = await openTestContext(dialect);
    db = test.context.database.db;
    audit = new AuditLog(db);
    for (let i = 1; i <= 5; i += 1) await audit.append(entry(i));
  });

  afterEach(async () => {
    await test.drop();
  });

  it('has a tamper test for every column of audit_log but its seals', async () => {
    const row = await db.selectFrom('audit_log').selectAll().where('seq', '=', 1).executeTakeFirstOrThrow();
    expect(
      Object.keys(row)
        .filter((column) => column !== 'hash' && column !== 'mac')
        .sort(),
    ).toEqual([...SEALED_FIELDS].sort());
  });

  const edits: Record<string, string> = {
    time: 'time = time + 1',
    actor: "actor = 'mallory'",
    action: "action = 'model.delete'",
    target_type: "target_type = 'dataset'",
    target_id: "target_id = 'm9'",
    before_digest: `before_digest = '${digestOf({ forged: true })}'`,
    after_digest: `after_digest = '${digestOf({ forged: true })}'`,
    request_id: "request_id = 'req-x'",
    details: `details = '{"i":3,"note":"forged"}'`,
    prev_hash: `prev_hash = 'sha256:${'a'.repeat(64)}'`,
  };

  it.each(Object.keys(edits))('finds row 3 with its %s edited in the database', async (field) => {
    await sql.raw(`update audit_log set ${edits[field]} where seq = 3`).execute(db);
    const result = await audit.verify();
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual(expect.objectContaining({ seq: 3, reason: 'hash mismatch' }));
  });

  it('finds a row whose seq was edited (seq is hashed), with the head moved along', async () => {
    const last = await db.selectFrom('audit_log').select('hash').where('seq', '=', 5).executeTakeFirstOrThrow();
    await sql`update audit_log set seq = 7 where seq = 5`.execute(db);
    await db.updateTable('audit_head').set({ seq: 7, hash: last.hash }).where('id', '=', 1).execute();
    const result = await audit.verify();
    expect(result.problems).toContainEqual(expect.objectContaining({ seq: 7, reason: 'hash mismatch' }));
  });

  it('covers every sealed field with an edit above', () => {
    expect([...Object.keys(edits), 'seq'].sort()).toEqual([...SEALED_FIELDS].sort());
  });

  it('reports every broken row, not only the first', async () => {
    await sql`update audit_log set actor = 'mallory' where seq = 2`.execute(db);
    await sql`update audit_log set details = '{"i":4,"note":"forged"}' where seq = 4`.execute(db);
    const result = await audit.verify();
    expect(result).toMatchObject({
      ok: false,
      checked: 5,
      problemCount: 2,
      problems: [
        { seq: 2, reason: 'hash mismatch' },
        { seq: 4, reason: 'hash mismatch' },
      ],
    });
  });

  it('hashes exactly what is stored: unicode, -0, large numbers and key order read back and verify', async () => {
    const details = {
      z: -0,
      a: [1e21, 2 ** 53, 0.1, -1.5e-7],
      emoji: '😀 e\u0301 \u202e',
      quote: 'say "hi"\n\t\\',
      nested: { b: 1, a: { d: null, c: true } },
    };
    const row = await audit.append({
      action: 'model.tag.set',
      target: { type: 'model_tag', id: 'churn:😀\u00e9' },
      details,
    });
    const [back] = await audit.list({ after: 5 });
    expect(back!.hash).toBe(row.hash);
    expect(back!.target.id).toBe('churn:😀\u00e9');
    expect(back!.details).toEqual({ ...details, z: 0 });
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 6 });
  });

  it(
    'refuses text the store cannot keep as given (lone surrogate, NUL), ' + 'naming the field, and writes nothing',
    async () => {
      const head = await audit.head();
      const surrogate = await cicloErrorOf(
        audit.append({ action: 'model.tag.set', target: { type: 'model_tag', id: 'churn:\ud800' } }),
      );
      expect(surrogate).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', details: { where: 'target.id' } });
      expect(surrogate.message).toContain('lone UTF-16 surrogate');
      const nul = await cicloErrorOf(
        audit.append({ actor: 'a\u0000b', action: 'model.update', target: { type: 'model', id: 'm' } }),
      );
      expect(nul).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', details: { where: 'actor' } });
      expect(await audit.head()).toEqual(head);
      expect(await audit.verify()).toMatchObject({ ok: true });
    },
  );
});
