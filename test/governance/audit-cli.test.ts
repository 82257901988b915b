// Runs the built CLI: `npm run build` first.
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, digestOf, type AuditRecord } from '../../src/governance/index.js';
import { openDatabase, type MetadataDatabase } from '../../src/store/index.js';
import { runCli } from '../cli/run-cli.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { makeTempDir } from '../support/temp.js';

describe.each(DIALECTS)('ciclo audit (%s)', (dialect) => {
  let database: TestDatabase;
  let store: MetadataDatabase;
  let home: { dir: string; remove(): void };
  const cli = (...args: string[]) => runCli(args, { CICLO_HOME: home.dir, CICLO_DATABASE_URL: database.url });

  beforeEach(async () => {
    database = await createTestDatabase(dialect);
    home = makeTempDir('ciclo-audit-cli-');
    store = await openDatabase(database.location);
    const audit = new AuditLog(store.db);
    for (let i = 0; i < 4; i += 1) {
      await audit.append({
        actor: i < 3 ? 'alice' : 'bob',
        action: 'model.update',
        target: { type: 'model', id: i % 2 === 0 ? 'churn' : 'fraud' },
        afterDigest: digestOf({ version: i }),
        requestId: `req-${i}`,
      });
    }
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
    home.remove();
  });

  it('lists entries with filters, as a table and as JSON', async () => {
    const table = await cli('audit', 'list');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/SEQ\s+TIME\s+ACTOR/);
    expect(table.stdout).toContain('model:churn');

    const byTarget = await cli('--json', 'audit', 'list', '--target', 'model:fraud');
    expect(byTarget.code).toBe(0);
    expect((JSON.parse(byTarget.stdout) as AuditRecord[]).map((e) => e.seq)).toEqual([2, 4]);

    const byActor = await cli('audit', 'list', '--actor', 'alice', '--max', '2', '--json');
    expect((JSON.parse(byActor.stdout) as AuditRecord[]).map((e) => e.seq)).toEqual([2, 3]);

    const after = await cli('audit', 'list', '--after', '2', '--max', '1', '--json');
    expect((JSON.parse(after.stdout) as AuditRecord[]).map((e) => e.seq)).toEqual([3]);

    expect((await cli('audit', 'list', '--max', '0')).code).toBe(2);
  });

  it('verify exits 0 on an intact chain and 1 with the first bad row after a direct edit', async () => {
    const intact = await cli('audit', 'verify');
    expect(intact.code).toBe(0);
    expect(intact.stdout).toContain('Audit chain intact: 4 row(s) checked.');
    const head = /head (\d+:sha256:[0-9a-f]{64})/.exec(intact.stdout)![1]!;

    await sql`update audit_log set actor = 'mallory' where seq = 2`.execute(store.db);
    const broken = await cli('audit', 'verify', '--json');
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, checked: 1, firstBad: { seq: 2, reason: 'hash mismatch' } });
    const text = await cli('audit', 'verify', '--anchor', head);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('BROKEN at row 2 (hash mismatch)');
  });
});
