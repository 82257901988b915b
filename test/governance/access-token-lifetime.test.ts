import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectLookups } from '../../src/app/project-lookups.js';
import { InvalidInputError } from '../../src/common/errors.js';
import { loadConfig } from '../../src/common/config.js';
import { AccessControl } from '../../src/governance/index.js';
import { api } from '../server/http.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { cicloErrorOf } from '../support/errors.js';
import { startTestServer, type TestServer } from '../support/server.js';

const DAY = 86_400_000;

describe.each(DIALECTS)('token lifetimes, on %s', (dialect) => {
  let test: TestContext;
  let clock: number;
  beforeEach(async () => {
    test = await openTestContext(dialect);
    clock = 1_000_000;
  });
  afterEach(async () => {
    await test.drop();
  });

  it('gives a token asked for without a lifetime the CICLO_TOKEN_MAX_DAYS cap and refuses a longer one', async () => {
    const { db } = test.context.database;
    const capped = new AccessControl({ db, projects: projectLookups(db), now: () => clock, maxTokenDays: 30 });
    await capped.createUser('bob');
    expect((await capped.createToken('bob')).expiresTime).toBe(clock + 30 * DAY);
    expect((await capped.createToken('bob', { expiresInDays: 7 })).expiresTime).toBe(clock + 7 * DAY);

    const refused = await cicloErrorOf(capped.createToken('bob', { expiresInDays: 31 }));
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect(refused.message).toMatch(/at most 30 days \(CICLO_TOKEN_MAX_DAYS\)/);
    expect(refused.details).toMatchObject({ where: 'expires_in_days', hint: expect.stringMatching(/at most 30 days/) });
    expect(await capped.listTokens('bob')).toHaveLength(2);
  });

  it('never lets a token outlive the one it was created with', async () => {
    const { db } = test.context.database;
    const control = new AccessControl({ db, projects: projectLookups(db), now: () => clock });
    await control.createUser('bob');
    const notAfter = clock + 2 * DAY;
    expect((await control.createToken('bob', {}, { notAfter })).expiresTime).toBe(notAfter);
    expect((await control.createToken('bob', { expiresInDays: 1 }, { notAfter })).expiresTime).toBe(clock + DAY);
    const refused = await cicloErrorOf(control.createToken('bob', { expiresInDays: 3 }, { notAfter }));
    expect(refused.message).toMatch(/expires at 1970-01-03T00:16:40.000Z, and a token it creates may not outlive it/);
    expect(refused.details.hint).toMatch(/at most 2 days/);
  });
});

describe('CICLO_TOKEN_MAX_DAYS', () => {
  it('is read from the environment, and a value that is not a positive number is refused', () => {
    expect(loadConfig({ CICLO_TOKEN_MAX_DAYS: '90' }, '/tmp').tokenMaxDays).toBe(90);
    expect(loadConfig({}, '/tmp').tokenMaxDays).toBeUndefined();
    expect(() => loadConfig({ CICLO_TOKEN_MAX_DAYS: '0' }, '/tmp')).toThrow(/CICLO_TOKEN_MAX_DAYS is invalid/);
  });
});

describe.each(DIALECTS)('POST /api/v1/tokens with an expiring token, on %s', (dialect) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer(dialect, { auth: true, tokenMaxDays: 90 });
  });
  afterEach(async () => {
    await server.stop();
  });

  it('creates tokens that expire no later than the caller’s, answered with Cache-Control: no-store', async () => {
    const { access } = server.context;
    await access.createUser('ann');
    const parent = await access.createToken('ann', { expiresInDays: 1 });
    const http = api(server.url, { authorization: `Bearer ${parent.token}` });

    const child = await http.post('/api/v1/tokens', { description: 'no lifetime asked' });
    expect(child.status).toBe(201);
    expect(child.headers.get('cache-control')).toBe('no-store');
    expect(child.body.expires_time).toBe(parent.expiresTime);

    const longer = await http.post('/api/v1/tokens', { expires_in_days: 30 });
    expect(longer.status).toBe(400);
    expect(longer.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'expires_in_days' });
    expect(longer.headers.get('cache-control')).toBeNull();

    // A grandchild made with the child is bound by the same expiry.
    const grandchild = await api(server.url, { authorization: `Bearer ${child.body.token}` }).post(
      '/api/v1/tokens',
      {},
    );
    expect(grandchild.body.expires_time).toBe(parent.expiresTime);
    expect((await access.listTokens('ann')).map((t) => t.expiresTime)).toEqual([
      parent.expiresTime,
      parent.expiresTime,
      parent.expiresTime,
    ]);
  });

  it('gives a token created with a lasting token the server’s cap', async () => {
    const { access } = server.context;
    await access.createUser('ann');
    // Created before the cap existed, so it never expires: what the cap is for.
    const { db } = server.context.database;
    const lasting = await new AccessControl({ db, projects: projectLookups(db) }).createToken('ann');
    expect(lasting.expiresTime).toBeNull();
    const before = Date.now();
    const child = await api(server.url, { authorization: `Bearer ${lasting.token}` }).post('/api/v1/tokens', {});
    expect(child.status).toBe(201);
    expect(child.body.expires_time).toBeGreaterThanOrEqual(before + 90 * DAY);
    expect(child.body.expires_time).toBeLessThanOrEqual(Date.now() + 90 * DAY);
  });
});
