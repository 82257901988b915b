// Runs the built CLI: `npm run build` first.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/governance/index.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { makeTempDir } from '../support/temp.js';
import { runCli } from './run-cli.js';

describe('ciclo users, tokens and projects', () => {
  let database: TestDatabase;
  let home: { dir: string; remove(): void };
  const env = (extra: Record<string, string> = {}) => ({
    CICLO_HOME: home.dir,
    CICLO_DATABASE_URL: database.url,
    ...extra,
  });
  const cli = (...args: string[]) => runCli(args, env());

  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    home = makeTempDir('ciclo-access-cli-');
  });
  afterEach(async () => {
    await database.drop();
    home.remove();
  });

  it('creates an admin and a token shown once, lists tokens without secrets, revokes', async () => {
    const admin = await cli('users', 'create', 'alice', '--admin', '--json');
    expect(admin.code).toBe(0);
    expect(JSON.parse(admin.stdout)).toMatchObject({
      name: 'alice',
      disabled: false,
      roles: [{ project: '*', role: 'admin' }],
    });

    const created = await cli('tokens', 'create', '--user', 'alice', '--scopes', 'read,write', '--expires', '30d');
    expect(created.code).toBe(0);
    const token = /ciclo_[A-Za-z0-9_-]{43}/.exec(created.stdout)?.[0];
    expect(token).toBeDefined();
    expect(created.stdout).toContain('only its hash is stored');
    const list = await cli('tokens', 'list', '--json');
    expect(list.stdout).not.toContain(token!);
    const [info] = JSON.parse(list.stdout) as { id: string; scopes: string[]; expiresTime: number }[];
    expect(info!.scopes).toEqual(['read', 'write']);
    expect(info!.expiresTime).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    // The embedded CLI acts as the token's user.
    const asAlice = await runCli(['projects', 'create', 'fraud'], env({ CICLO_TOKEN: token! }));
    expect(asAlice.code).toBe(0);
    const audit = await cli('audit', 'list', '--action', 'project.create', '--json');
    expect((JSON.parse(audit.stdout) as AuditRecord[]).map((e) => `${e.actor}:${e.target.id}`)).toEqual([
      'alice:fraud',
    ]);

    expect((await cli('tokens', 'revoke', info!.id)).code).toBe(0);
    const revoked = await runCli(['models', 'list'], env({ CICLO_TOKEN: token! }));
    expect(revoked.code).toBe(5);
    expect(revoked.stderr).toContain(`UNAUTHENTICATED: token ${info!.id} was revoked`);
    const garbage = await runCli(['models', 'list'], env({ CICLO_TOKEN: 'not-a-token' }));
    expect(garbage.code).toBe(5);
    expect(garbage.stderr).toContain('the token is malformed');
  });

  it('grants roles per project and refuses bad input with exit 2 or 3, changing nothing', async () => {
    expect((await cli('users', 'create', 'bob')).code).toBe(0);
    expect((await cli('projects', 'create', 'fraud', '--description', 'card fraud')).code).toBe(0);
    expect((await cli('projects', 'grant', 'fraud', 'bob', 'editor')).code).toBe(0);
    const members = await cli('projects', 'members', 'fraud', '--json');
    expect(JSON.parse(members.stdout)).toMatchObject([{ user: 'bob', role: 'editor' }]);

    const badRole = await cli('projects', 'grant', 'fraud', 'bob', 'owner');
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('role: ');
    const badScope = await cli('tokens', 'create', '--user', 'bob', '--scopes', 'read,fly');
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain("'fly' is not an action");
    const unknownUser = await cli('tokens', 'create', '--user', 'nobody');
    expect(unknownUser.code).toBe(3);
    const duplicate = await cli('users', 'create', 'bob');
    expect(duplicate.code).toBe(4);
    expect(JSON.parse((await cli('projects', 'members', 'fraud', '--json')).stdout)).toMatchObject([
      { user: 'bob', role: 'editor' },
    ]);
    expect(JSON.parse((await cli('tokens', 'list', '--json')).stdout)).toEqual([]);
  });

  it('refuses to serve beyond loopback without authentication', async () => {
    const refused = await cli('server', '--host', '0.0.0.0', '--port', '0');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refusing to listen on 0.0.0.0 without authentication');
  });
});
