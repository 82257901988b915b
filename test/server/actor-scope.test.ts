import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { currentActor } from '../../src/governance/index.js';
import { buildBaseApp } from '../../src/server/app.js';
import { openTestContext, type TestContext } from '../support/context.js';

/**
 * The handler runs in the caller's actor scope (what the audit log records), except on routes that declare
 * they read no actor (`actorless`: scoring, probes, metrics), which skip the scope and its promise hooks.
 */
describe('the actor scope of a request', () => {
  let test: TestContext;
  let app: FastifyInstance;
  let token: string;

  beforeAll(async () => {
    test = await openTestContext('sqlite');
    await test.context.access.createUser('ann');
    await test.context.access.grant('*', 'ann', 'admin');
    token = (await test.context.access.createToken('ann')).token;
    app = buildBaseApp(test.context, { auth: true, logLevel: 'silent' });
    const access = { action: 'read' as const };
    const scope = async () => {
      await Promise.resolve();
      return currentActor();
    };
    app.get('/scoped', { config: { access } }, scope);
    app.get('/actorless', { config: { access, actorless: true } }, scope);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await test?.drop();
  });

  const get = async (url: string) =>
    (
      await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, 'x-request-id': 'r1' } })
    ).json<{ actor: string; requestId?: string }>();

  it('names the caller and the request id across awaits', async () => {
    const answer = await get('/scoped');
    expect(answer.actor).toBe('ann');
    expect(answer.requestId).toEqual(expect.any(String));
  });

  it('refuses an actorless route that changes anything: its audit entries would name no caller', async () => {
    const other = buildBaseApp(test.context, { auth: true, logLevel: 'silent' });
    const declare = (action: 'write' | 'approve' | 'admin') => () =>
      other.post(`/change-${action}`, { config: { access: { action }, actorless: true } }, () => ({}));
    expect(declare('write')).toThrow("route /change-write declares actorless but needs 'write'");
    expect(declare('approve')).toThrow(/only read routes may skip the scope/);
    expect(declare('admin')).toThrow(/only read routes may skip the scope/);
    await other.close();
  });

  it('is not entered on an actorless route, which is still authenticated and authorized', async () => {
    const answer = await get('/actorless');
    expect(answer.actor).not.toBe('ann');
    expect(answer.requestId).toBeUndefined();
    expect((await app.inject({ method: 'GET', url: '/actorless' })).statusCode).toBe(401);
  });
});
