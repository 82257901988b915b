import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../server/http.js';
import { DIALECTS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Users, tokens, projects, members and the audit log over HTTP, as docs/rest-api.md writes them:
 * snake_case fields, every list in `{ items, next_page_token? }`, camelCase refused.
 */
describe.each(DIALECTS)('access and audit REST routes on %s', (dialect) => {
  let server: TestServer;
  let http: ReturnType<typeof api>;
  beforeAll(async () => {
    server = await startTestServer(dialect, { auth: true });
    const { access } = server.context;
    await access.createUser('root');
    await access.grant('*', 'root', 'admin');
    http = api(server.url, { authorization: `Bearer ${(await access.createToken('root')).token}` });
  });
  afterAll(async () => server?.stop());

  it('lists users, tokens, projects and members in the list envelope', async () => {
    expect((await http.post('/api/v1/users', { name: 'ann' })).status).toBe(201);
    const users = await http.get('/api/v1/users');
    expect(users.status).toBe(200);
    expect(users.body).toEqual({
      items: expect.arrayContaining([{ name: 'ann', created_time: expect.any(Number), disabled: false, roles: [] }]),
    });

    const created = await http.post('/api/v1/tokens', { user: 'ann', description: 'ci', expires_in_days: 5 });
    expect(created).toMatchObject({
      status: 201,
      body: { user: 'ann', expires_time: expect.any(Number), token: expect.any(String) },
    });
    const tokens = await http.get('/api/v1/tokens', { user: 'ann' });
    expect(tokens.body.items).toEqual([
      expect.objectContaining({
        id: created.body.id,
        description: 'ci',
        created_time: expect.any(Number),
        revoked_time: null,
      }),
    ]);

    expect((await http.post('/api/v1/projects', { name: 'risk', description: 'models that decide' })).status).toBe(201);
    expect((await http.put('/api/v1/projects/risk/members/ann', { role: 'editor' })).status).toBe(204);
    const projects = await http.get('/api/v1/projects');
    expect(projects.body.items).toEqual(
      expect.arrayContaining([{ name: 'risk', description: 'models that decide', created_time: expect.any(Number) }]),
    );
    const members = await http.get('/api/v1/projects/risk/members');
    expect(members.body).toEqual({ items: [{ user: 'ann', role: 'editor', granted_time: expect.any(Number) }] });
    const whoami = await http.get('/api/v1/auth/whoami');
    expect(whoami.body).toMatchObject({ user: 'root', token_id: expect.any(String), authenticated: true });
  });

  it('refuses a camelCase field or query parameter, naming it', async () => {
    const body = await http.post('/api/v1/tokens', { expiresInDays: 5 });
    expect(body).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('expiresInDays') },
    });
    const query = await http.get('/api/v1/audit', { maxResults: 5 });
    expect(query).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('maxResults') },
    });
  });

  it('pages the audit log with page_token, its entries in snake_case', async () => {
    const all = (await http.get('/api/v1/audit', { max_results: 1000 })).body;
    expect(all.items.length).toBeGreaterThanOrEqual(3);
    expect(all).not.toHaveProperty('next_page_token');
    expect(all.items[0]).toEqual({
      seq: expect.any(Number),
      time: expect.any(Number),
      actor: expect.any(String),
      action: expect.any(String),
      target: { type: expect.any(String), id: expect.any(String) },
      before_digest: null,
      after_digest: expect.stringMatching(/^sha256:/),
      request_id: null,
      details: null,
      prev_hash: expect.any(String),
      hash: expect.any(String),
    });

    const seen: number[] = [];
    let token: string | undefined;
    do {
      const page = await http.get('/api/v1/audit', {
        max_results: 2,
        ...(token === undefined ? {} : { page_token: token }),
      });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((entry: { seq: number }) => entry.seq));
      token = page.body.next_page_token;
    } while (token !== undefined);
    expect(seen).toEqual(all.items.map((entry: { seq: number }) => entry.seq));

    const bad = await http.get('/api/v1/audit', { page_token: 'abc' });
    expect(bad).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', where: 'page_token' } });
  });

  it('verifies the chain, answering in snake_case', async () => {
    const verified = await http.get('/api/v1/audit/verify');
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({
      ok: true,
      checked: expect.any(Number),
      head: { seq: expect.any(Number), hash: expect.any(String) },
      keys: { status: 'no key', keyed_from: null },
      problems: [],
      problem_count: 0,
    });
  });
});
