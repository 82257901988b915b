// Runs the built CLI: `npm run build` first.
import { sql } from 'kysely';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
    expect(JSON.parse(broken.stdout)).toMatchObject({
      ok: false,
      checked: 4,
      problems: [{ seq: 2, reason: 'hash mismatch' }],
    });
    const text = await cli('audit', 'verify', '--anchor', head);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('Audit chain BROKEN: 1 problem(s) in 4 row(s) checked.');
    expect(text.stdout).toContain('row 2 (hash mismatch)');
    expect(text.stdout).toContain('Unkeyed: CICLO_AUDIT_KEY is not set');
  });

  it(
    'checkpoint --out writes a signed head that verify --checkpoint checks; ' +
      'without the key, or altered, it is refused',
    async () => {
      const key = { CICLO_AUDIT_KEY: 'k'.repeat(40) };
      const keyed = (...args: string[]) =>
        runCli(args, { CICLO_HOME: home.dir, CICLO_DATABASE_URL: database.url, ...key });
      const file = join(home.dir, 'checkpoint.json');
      expect((await cli('audit', 'checkpoint', '--out', file)).code).toBe(4);

      const written = await keyed('audit', 'checkpoint', '--out', file);
      expect(written.code).toBe(0);
      expect(written.stdout).toContain('Checkpoint at row 5');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ format: 'ciclo-audit-checkpoint/1', seq: 5 });
      const intact = await keyed('audit', 'verify', '--checkpoint', file);
      expect(intact.code).toBe(0);
      expect(intact.stdout).toContain('MACs checked from row 5.');

      const altered = join(home.dir, 'altered.json');
      writeFileSync(altered, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), seq: 4 }));
      const refused = await keyed('audit', 'verify', '--checkpoint', altered);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('carries a MAC that does not match');
      expect((await keyed('audit', 'checkpoint', '--out', file, '--webhook', 'http://127.0.0.1:1/x')).code).toBe(2);

      // A row changed in the database after the checkpoint.
      await sql`update audit_log set actor = 'mallory' where seq = 5`.execute(store.db);
      const broken = await keyed('--json', 'audit', 'verify', '--checkpoint', file);
      expect(broken.code).toBe(1);
      expect(
        JSON.parse(broken.stdout).problems.map((p: { seq: number; reason: string }) => `${p.seq} ${p.reason}`),
      ).toEqual(['5 hash mismatch']);
    },
  );

  it('checkpoint --webhook POSTs the signed head, and fails when the webhook does', async () => {
    const received: unknown[] = [];
    let status = 204;
    const hook = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        received.push({ method: req.method, type: req.headers['content-type'], body: JSON.parse(body) as unknown });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/audit`;
      const env = { CICLO_HOME: home.dir, CICLO_DATABASE_URL: database.url, CICLO_AUDIT_KEY: 'k'.repeat(40) };
      const sent = await runCli(['audit', 'checkpoint', '--webhook', url], env);
      expect(sent.code).toBe(0);
      expect(received).toEqual([
        {
          method: 'POST',
          type: 'application/json',
          body: expect.objectContaining({ seq: 5, mac: expect.stringMatching(/^hmac-sha256:/) }),
        },
      ]);
      status = 500;
      const failed = await runCli(['audit', 'checkpoint', '--webhook', url], env);
      expect(failed.code).toBe(4);
      expect(failed.stderr).toContain('answered 500');
    } finally {
      await new Promise((resolve) => hook.close(resolve));
    }
  });
});
