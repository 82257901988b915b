import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_GENESIS_HASH, AuditLog, auditHash, digestOf, type AuditEntry } from '../../src/governance/index.js';
import { openKysely } from '../../src/store/dialect.js';
import type { Schema } from '../../src/store/index.js';
import { DIALECTS } from '../support/databases.js';
import { openTestContext, type TestContext } from '../support/context.js';

const APPENDER = fileURLToPath(new URL('./audit-appender.ts', import.meta.url));

function entry(i: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    actor: i % 2 === 0 ? 'alice' : 'bob',
    action: i % 3 === 0 ? 'model.create' : 'model.update',
    target: { type: 'model', id: `m${i % 2}` },
    beforeDigest: digestOf(i === 0 ? null : { version: i - 1 }),
    afterDigest: digestOf({ version: i }),
    requestId: `req-${i}`,
    details: { i, note: 'ok' },
    ...overrides,
  };
}

interface Appender {
  ready: Promise<void>;
  go(): void;
  exited: Promise<void>;
}

/** A writer process; it appends once `go()` is called, so all of them start together. */
function startAppender(locationJson: string, count: number, actor: string): Appender {
  const child = spawn(process.execPath, ['--import', 'tsx', APPENDER, locationJson, String(count), actor], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`appender ${actor} exited ${code}: ${stderr}`)),
    );
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('ready')) resolve();
    });
    exited.then(() => reject(new Error(`appender ${actor} exited before it was ready`)), reject);
  });
  return { ready, exited, go: () => child.stdin.end('go\n') };
}

describe('digestOf', () => {
  it('is the same whatever the key order, and null for no record', () => {
    expect(digestOf({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(digestOf({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    expect(digestOf({ a: 1 })).not.toBe(digestOf({ a: 2 }));
    expect(digestOf({ a: [1, 2] })).not.toBe(digestOf({ a: [2, 1] }));
    expect(digestOf(null)).toBeNull();
    expect(digestOf(undefined)).toBeNull();
    expect(digestOf({ a: 1 })).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe.each(DIALECTS)('audit log (%s)', (dialect) => {
  let test: TestContext;
  let db: Kysely<Schema>;
  let audit: AuditLog;

  beforeEach(async () => {
    test = await openTestContext(dialect);
    db = test.context.database.db;
    audit = new AuditLog(db);
  });

  afterEach(async () => {
    await test.drop();
  });

  async function appendFive(): Promise<void> {
    for (let i = 0; i < 5; i += 1) await audit.append(entry(i));
  }

  it('starts empty at the genesis head and verifies', async () => {
    expect(await audit.head()).toEqual({ seq: 0, hash: AUDIT_GENESIS_HASH });
    expect(await audit.verify()).toEqual({
      ok: true,
      checked: 0,
      head: { seq: 0, hash: AUDIT_GENESIS_HASH },
      keys: { status: 'no key', keyedFrom: null },
      problems: [],
      problemCount: 0,
    });
  });

  it('appends a chain and lists it with filters', async () => {
    const first = await audit.append(entry(0));
    expect(first).toMatchObject({
      seq: 1,
      actor: 'alice',
      action: 'model.create',
      target: { type: 'model', id: 'm0' },
      prevHash: AUDIT_GENESIS_HASH,
    });
    expect(first.beforeDigest).toBeNull();
    expect(first.details).toEqual({ i: 0, note: 'ok' });
    for (let i = 1; i < 6; i += 1) await audit.append(entry(i));
    await audit.append({ actor: 'carol', action: 'dataset.register', target: { type: 'dataset', id: 'iris' } });

    const all = await audit.list();
    expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (let i = 1; i < all.length; i += 1) expect(all[i]!.prevHash).toBe(all[i - 1]!.hash);
    expect(all[6]).toMatchObject({ beforeDigest: null, afterDigest: null, requestId: null, details: null });

    expect((await audit.list({ actor: 'bob' })).map((e) => e.seq)).toEqual([2, 4, 6]);
    expect((await audit.list({ action: 'model.create' })).map((e) => e.seq)).toEqual([1, 4]);
    expect((await audit.list({ target: { type: 'model' } })).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await audit.list({ target: { type: 'model', id: 'm1' } })).map((e) => e.seq)).toEqual([2, 4, 6]);
    expect((await audit.list({ target: { type: 'dataset', id: 'iris' } })).map((e) => e.actor)).toEqual(['carol']);
    expect((await audit.list({ after: 3, limit: 2 })).map((e) => e.seq)).toEqual([4, 5]);
    expect((await audit.list({ order: 'desc', limit: 2 })).map((e) => e.seq)).toEqual([7, 6]);
    expect((await audit.list({ before: 3 })).map((e) => e.seq)).toEqual([1, 2]);
    expect(await audit.head()).toEqual({ seq: 7, hash: all[6]!.hash });
    expect(await audit.verify({ pageSize: 2 })).toMatchObject({ ok: true, checked: 7 });
  });

  it('refuses an entry without an actor or with a malformed digest', async () => {
    await expect(audit.append({ ...entry(0), actor: ' ' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(audit.append({ ...entry(0), afterDigest: 'md5:abc' })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
    expect(await audit.head()).toMatchObject({ seq: 0 });
  });

  it('appends inside the caller’s transaction: a rollback leaves no row and no gap', async () => {
    await audit.append(entry(0));
    await expect(
      db.transaction().execute(async (trx) => {
        await audit.append(entry(1), trx);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await audit.head()).toMatchObject({ seq: 1 });
    await db.transaction().execute(async (trx) => {
      const row = await audit.append(entry(2), trx);
      expect(row.seq).toBe(2);
    });
    expect((await audit.list()).map((e) => e.seq)).toEqual([1, 2]);
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 2 });
  });

  it('finds a row edited directly in the database (hash mismatch)', async () => {
    await appendFive();
    await sql`update audit_log set actor = 'mallory' where seq = 3`.execute(db);
    expect(await audit.verify()).toMatchObject({
      ok: false,
      checked: 5,
      problems: [{ seq: 3, reason: 'hash mismatch' }],
    });
  });

  it('finds an edited details text even when it still parses to the same JSON value', async () => {
    await appendFive();
    await sql`update audit_log set details = '{"note":"ok","i":1}' where seq = 2`.execute(db);
    expect(await audit.verify()).toMatchObject({ ok: false, problems: [{ seq: 2, reason: 'hash mismatch' }] });
  });

  it('finds a row rewritten with a recomputed hash (the next row no longer links to it)', async () => {
    await appendFive();
    const [row] = await db.selectFrom('audit_log').selectAll().where('seq', '=', 2).execute();
    const forged = { ...row!, seq: Number(row!.seq), time: Number(row!.time), actor: 'mallory' };
    await db
      .updateTable('audit_log')
      .set({ actor: 'mallory', hash: auditHash(forged) })
      .where('seq', '=', 2)
      .execute();
    expect(await audit.verify()).toMatchObject({
      ok: false,
      checked: 5,
      problems: [{ seq: 3, reason: 'broken link' }],
    });
  });

  it('finds a row deleted from the middle (gap)', async () => {
    await appendFive();
    await sql`delete from audit_log where seq = 3`.execute(db);
    expect(await audit.verify()).toMatchObject({ ok: false, checked: 4, problems: [{ seq: 3, reason: 'gap' }] });
  });

  it('finds a deleted row whose successors were renumbered (hash mismatch: seq is hashed)', async () => {
    await appendFive();
    await sql`delete from audit_log where seq = 3`.execute(db);
    await sql`update audit_log set seq = seq - 1 where seq > 3`.execute(db);
    expect(await audit.verify()).toMatchObject({ ok: false, firstBad: { seq: 3, reason: 'hash mismatch' } });
  });

  it('finds rows cut from the tail through the head table', async () => {
    await appendFive();
    await sql`delete from audit_log where seq >= 4`.execute(db);
    expect(await audit.verify()).toMatchObject({ ok: false, checked: 3, problems: [{ seq: 4, reason: 'gap' }] });
  });

  it('cannot see a tail cut that also moves the head back, unless given an anchor recorded elsewhere', async () => {
    await appendFive();
    const anchor = (await audit.verify()).head;
    const [third] = await db.selectFrom('audit_log').select('hash').where('seq', '=', 3).execute();
    await sql`delete from audit_log where seq >= 4`.execute(db);
    await db.updateTable('audit_head').set({ seq: 3, hash: third!.hash }).where('id', '=', 1).execute();
    // Consistent as far as the database can tell: this is the limit of an in-database chain.
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 3 });
    expect(await audit.verify({ anchors: [{ ...anchor, source: 'the anchor' }] })).toMatchObject({
      ok: false,
      problems: [{ seq: 4, reason: 'anchor mismatch' }],
    });
    expect(
      await audit.verify({ anchors: [{ seq: 2, hash: (await audit.list())[1]!.hash, source: 'the anchor' }] }),
    ).toMatchObject({ ok: true });
  });

  it('finds a row inserted past the head behind the appender’s back', async () => {
    await appendFive();
    const head = await audit.head();
    const forged = {
      seq: 6,
      time: Date.now(),
      actor: 'mallory',
      action: 'model.delete',
      target_type: 'model',
      target_id: 'm0',
      before_digest: null,
      after_digest: null,
      request_id: null,
      details: null,
      prev_hash: head.hash,
    };
    await db
      .insertInto('audit_log')
      .values({ ...forged, hash: auditHash(forged) })
      .execute();
    expect(await audit.verify()).toMatchObject({
      ok: false,
      checked: 5,
      problems: [{ seq: 6, reason: 'head mismatch' }],
    });
  });

  it('keeps one gapless chain under 4 concurrent writers in this process (200 appends)', async () => {
    // PostgreSQL: four Kysely instances, four pools, really concurrent transactions. SQLite: one
    // instance (better-sqlite3 waits for a busy lock synchronously, so two connections in one
    // process would block the event loop); across processes it is the next test.
    const extra = dialect === 'postgres' ? [0, 1, 2, 3].map(() => openKysely(test.config.database)) : [];
    try {
      const logs = dialect === 'postgres' ? extra.map((k) => new AuditLog(k)) : [audit, audit, audit, audit];
      await Promise.all(
        logs.map(async (log, w) => {
          for (let i = 0; i < 50; i += 1)
            await log.append({
              actor: `writer-${w}`,
              action: 'test.append',
              target: { type: 'loop', id: `${w}-${i}` },
            });
        }),
      );
    } finally {
      await Promise.all(extra.map((k) => k.destroy()));
    }
    const all = await audit.list({ limit: 1000 });
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    for (let w = 0; w < 4; w += 1) expect(all.filter((e) => e.actor === `writer-${w}`)).toHaveLength(50);
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 200 });
  });

  it('keeps one gapless chain under 4 concurrent writer processes (200 appends)', async () => {
    const location = JSON.stringify(test.config.database);
    const appenders = [0, 1, 2, 3].map((w) => startAppender(location, 50, `process-${w}`));
    await Promise.all(appenders.map((a) => a.ready));
    for (const a of appenders) a.go();
    await Promise.all(appenders.map((a) => a.exited));
    const all = await audit.list({ limit: 1000 });
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    for (let w = 0; w < 4; w += 1) expect(all.filter((e) => e.actor === `process-${w}`)).toHaveLength(50);
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 200 });
  }, 60_000);
});
