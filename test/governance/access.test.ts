import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectLookups } from '../../src/app/project-lookups.js';
import { PermissionDeniedError, UnauthenticatedError } from '../../src/common/errors.js';
import { AccessControl, FailedAuthLimiter, type Principal } from '../../src/governance/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';

describe.each(DIALECTS)('access control, on %s', (dialect) => {
  let test: TestContext;
  let control: AccessControl;
  beforeEach(async () => {
    test = await openTestContext(dialect);
    control = test.context.access;
  });
  afterEach(async () => {
    await test.drop();
  });

  it('creates a token shown once and stores only its hash', async () => {
    await control.createUser('alice');
    const created = await control.createToken('alice', { scopes: ['read'], description: 'ci' });
    expect(created.token).toMatch(/^ciclo_[A-Za-z0-9_-]{43}$/);
    expect(created.scopes).toEqual(['read']);
    const rows = await test.context.database.db.selectFrom('api_tokens').selectAll().execute();
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows[0]);
    expect(stored).not.toContain(created.token);
    expect(stored).not.toContain(created.token.slice(6));
    expect(rows[0]!.secret_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Listing never shows the secret.
    expect(JSON.stringify(await control.listTokens())).not.toContain(created.token);

    const principal = await control.authenticate(created.token);
    expect(principal).toMatchObject({ user: 'alice', tokenId: created.id, scopes: ['read'], unrestricted: false });
  });

  it('refuses malformed, tampered, unknown, revoked and expired tokens and disabled users', async () => {
    let clock = 1_000_000;
    const { db } = test.context.database;
    const timed = new AccessControl({ db, projects: projectLookups(db), now: () => clock });
    await timed.createUser('bob');
    const token = (await timed.createToken('bob')).token;
    const expiring = await timed.createToken('bob', { expiresInDays: 1 });

    await expect(timed.authenticate('not-a-token')).rejects.toThrow(/malformed/);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    await expect(timed.authenticate(token.slice(0, -1) + last)).rejects.toThrow(/not known/);
    await expect(timed.authenticate(`ciclo_${'x'.repeat(43)}`)).rejects.toBeInstanceOf(UnauthenticatedError);

    expect((await timed.authenticate(expiring.token)).user).toBe('bob');
    clock += 86_400_000;
    await expect(timed.authenticate(expiring.token)).rejects.toThrow(/expired at/);

    await timed.setUserDisabled('bob', true);
    await expect(timed.authenticate(token)).rejects.toThrow(/user 'bob' is disabled/);
    await timed.setUserDisabled('bob', false);
    expect((await timed.authenticate(token)).user).toBe('bob');

    const revoked = await timed.revokeToken((await timed.authenticate(token)).tokenId!);
    expect(revoked.revokedTime).toBe(clock);
    await expect(timed.authenticate(token)).rejects.toThrow(/was revoked/);
  });

  it('allows actions by role rank within the token scopes, per project', async () => {
    await control.createProject('alpha');
    await control.createProject('beta');
    for (const name of ['viewer', 'editor', 'approver', 'admin']) {
      await control.createUser(name);
      await control.grant('alpha', name, name);
    }
    const order = ['read', 'write', 'approve', 'admin'] as const;
    const ranks = ['viewer', 'editor', 'approver', 'admin'];
    for (const [rank, user] of ranks.entries()) {
      const principal: Principal = { user, tokenId: 't', scopes: order, unrestricted: false };
      for (const [needed, action] of order.entries()) {
        const decision = control.authorize(principal, action, { kind: 'project', project: 'alpha' });
        if (needed <= rank) await expect(decision).resolves.toBeUndefined();
        else await expect(decision).rejects.toBeInstanceOf(PermissionDeniedError);
        // Nobody here holds a role in beta, nor on the server.
        await expect(control.authorize(principal, action, { kind: 'project', project: 'beta' })).rejects.toThrow(
          /no role there/,
        );
        await expect(control.authorize(principal, action, { kind: 'server' })).rejects.toThrow(/this server/);
      }
    }
    // A read-only token of an admin cannot write.
    const readOnly: Principal = { user: 'admin', tokenId: 't', scopes: ['read'], unrestricted: false };
    await expect(control.authorize(readOnly, 'write', { kind: 'project', project: 'alpha' })).rejects.toThrow(
      /not scoped for 'write'/,
    );
    // `*` reaches every project and the server.
    await control.createUser('root');
    await control.grant('*', 'root', 'admin');
    const root: Principal = { user: 'root', tokenId: 't', scopes: order, unrestricted: false };
    await expect(control.authorize(root, 'admin', { kind: 'server' })).resolves.toBeUndefined();
    await expect(control.authorize(root, 'write', { kind: 'project', project: 'beta' })).resolves.toBeUndefined();
    expect(await control.readableProjects(root)).toBe('all');
    expect(
      await control.readableProjects({ user: 'viewer', tokenId: 't', scopes: order, unrestricted: false }),
    ).toEqual(['alpha']);
  });

  it('finds the project of experiments, runs and models, and falls back for missing ones', async () => {
    await control.createProject('alpha');
    const experiment = await test.context.tracking.createExperiment({ name: 'fraud' });
    const run = await test.context.tracking.createRun({ experimentId: experiment.experimentId });
    await test.context.database.db
      .updateTable('experiments')
      .set({ project: 'alpha' })
      .where('name', '=', 'fraud')
      .execute();

    expect(await control.projectOf({ kind: 'experiment', id: experiment.experimentId })).toBe('alpha');
    expect(await control.projectOf({ kind: 'experiment-name', name: 'fraud' })).toBe('alpha');
    expect(await control.projectOf({ kind: 'run', id: run.info.runId })).toBe('alpha');
    expect(await control.projectOf({ kind: 'run', id: 'nope' })).toBe('default');
    expect(await control.projectOf({ kind: 'model', name: 'nope', orElse: { kind: 'run', id: run.info.runId } })).toBe(
      'alpha',
    );
    // Ids that cannot be experiment ids never reach SQL as such.
    expect(await control.projectOf({ kind: 'experiment', id: '1 or 1=1' })).toBe('default');
  });

  it('rejects bad names, roles and scopes with the field, and changes nothing', async () => {
    await expect(control.createUser('bad name!')).rejects.toThrow(/^name: must be letters/);
    await expect(control.createProject('Upper')).rejects.toThrow(/^name: must be lowercase/);
    await control.createUser('carol');
    await expect(control.grant('default', 'carol', 'owner')).rejects.toThrow(/^role: /);
    await expect(control.grant('nowhere', 'carol', 'viewer')).rejects.toThrow(/no project named 'nowhere'/);
    await expect(control.grant('default', 'nobody', 'viewer')).rejects.toThrow(/no user named 'nobody'/);
    await expect(control.createToken('carol', { scopes: [] })).rejects.toThrow(/^scopes: /);
    await expect(control.createToken('nobody')).rejects.toThrow(/no user named/);
    expect((await control.getUser('carol')).roles).toEqual([]);
    expect(await control.listTokens()).toEqual([]);
  });

  it('appends every change to the audit chain without the secret', async () => {
    await control.createUser('dave');
    const token = await control.createToken('dave');
    await control.grant('default', 'dave', 'editor');
    await control.revoke('default', 'dave');
    await control.revokeToken(token.id);
    await control.setUserDisabled('dave', true);
    const entries = await test.context.audit.list({});
    expect(entries.map((e) => e.action)).toEqual([
      'user.create',
      'token.create',
      'role.grant',
      'role.revoke',
      'token.revoke',
      'user.disable',
    ]);
    expect(JSON.stringify(entries)).not.toContain(token.token);
    expect((await test.context.audit.verify()).ok).toBe(true);
  });
});

describe('failed authentication limiter', () => {
  it('refuses an address once it used up its failures, until the window ends', () => {
    let now = 0;
    const limiter = new FailedAuthLimiter({ maxFailures: 3, windowMs: 10_000 }, () => now);
    for (let i = 0; i < 3; i++) {
      limiter.check('10.0.0.1');
      limiter.fail('10.0.0.1');
    }
    expect(() => limiter.check('10.0.0.1')).toThrow(/too many failed authentications from 10.0.0.1; try again in 10 s/);
    expect(() => limiter.check('10.0.0.2')).not.toThrow();
    now = 10_000;
    expect(() => limiter.check('10.0.0.1')).not.toThrow();
  });
});
