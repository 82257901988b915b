import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS, type RouteEntry } from '../../src/governance/index.js';
import { DIALECTS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectedAccess } from './expected-access.js';
import { writePackage } from '../registry/support.js';

/**
 * The authorization matrix: every route the server has (read from its route table, so a new route
 * cannot escape it) × every kind of caller. Callers hold the same role in `alpha` and `default` (a
 * deleted resource falls back to `default`), `outsider` is an admin of `beta` only, `root` an admin
 * of every project. Who may call each route is written by hand in expected-access.ts; a caller below
 * it gets 403, one at or above it anything but 401/403 (the request may still be a bad one:
 * authorization comes first).
 */
const CALLERS = ['outsider', 'viewer', 'editor', 'approver', 'admin', 'root'] as const;
type Caller = (typeof CALLERS)[number];
const RANK: Record<string, number> = { viewer: 0, editor: 1, approver: 2, admin: 3 };

interface Fixture {
  experimentId: string;
  experimentName: string;
  runId: string;
  model: string;
  tokens: Record<Caller, string>;
}

async function call(
  server: TestServer,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; authorization?: string } = {},
) {
  const headers: Record<string, string> = {};
  const authorization = options.authorization ?? (options.token === undefined ? undefined : `Bearer ${options.token}`);
  if (authorization !== undefined) headers.authorization = authorization;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(server.url + path, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: { error_code?: string; message?: string } | undefined;
  try {
    body = text === '' ? undefined : (JSON.parse(text) as typeof body);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, headers: response.headers };
}

async function setUp(server: TestServer): Promise<Fixture> {
  const { access, tracking, database } = server.context;
  await access.createProject('alpha');
  await access.createProject('beta');
  const tokens = {} as Record<Caller, string>;
  for (const caller of CALLERS) {
    await access.createUser(caller);
    tokens[caller] = (await access.createToken(caller)).token;
  }
  await grantAll(server);

  const experiment = await tracking.createExperiment({ name: 'alpha-exp' });
  const run = await tracking.createRun({ experimentId: experiment.experimentId });
  const folder = join(server.context.config.home, 'package');
  await writePackage(folder);
  await tracking.logArtifactDirectory(run.info.runId, folder, 'model');
  await server.context.registry.register('alpha-model', { runId: run.info.runId, path: 'model' });
  await database.db
    .updateTable('experiments')
    .set({ project: 'alpha' })
    .where('experiment_id', '=', Number(experiment.experimentId))
    .execute();
  await database.db
    .updateTable('registered_models')
    .set({ project: 'alpha' })
    .where('name', '=', 'alpha-model')
    .execute();
  return {
    experimentId: experiment.experimentId,
    experimentName: 'alpha-exp',
    runId: run.info.runId,
    model: 'alpha-model',
    tokens,
  };
}

/** Re-grants every caller's roles: a route under test may have changed them (revoke a member). */
async function grantAll(server: TestServer): Promise<void> {
  const { access } = server.context;
  for (const role of ['viewer', 'editor', 'approver', 'admin'] as const) {
    await access.setUserDisabled(role, false);
    await access.grant('alpha', role, role);
    await access.grant('default', role, role);
  }
  await access.grant('beta', 'outsider', 'admin');
  await access.grant('*', 'root', 'admin');
}

/** A request whose every identifying field names an alpha resource. */
function requestFor(
  route: RouteEntry,
  f: Fixture,
): {
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: Record<string, unknown> | undefined;
} {
  const params: Record<string, string> = {};
  const isMlflowArtifacts = route.url.includes('mlflow-artifacts');
  const path = route.url.replace(/:([A-Za-z_]+)|\*/g, (match, name: string | undefined) => {
    let value: string;
    if (match === '*')
      value = isMlflowArtifacts ? `${f.experimentId}/${f.runId}/artifacts/model/model.json` : 'model/model.json';
    else if (name === 'experimentId') value = f.experimentId;
    else if (name === 'runId') value = f.runId;
    else if (name === 'name') value = route.url.includes('/experiments/') ? f.experimentName : f.model;
    else if (name === 'version') value = '1';
    else if (name === 'project') value = 'alpha';
    else if (name === 'user') value = 'viewer';
    else if (name === 'alias') value = 'champion';
    else value = 'x';
    params[match === '*' ? '*' : name!] = value;
    return encodeURIComponent(value).replace(/%2F/g, '/');
  });
  const query = {
    experiment_id: f.experimentId,
    experiment_name: f.experimentName,
    run_id: f.runId,
    name: f.model,
    version: '1',
    alias: 'champion',
    path: `${f.experimentId}/${f.runId}/artifacts`,
    node: `run:${f.runId}`,
  };
  const body = ['POST', 'PUT', 'PATCH'].includes(route.method)
    ? { ...query, experimentId: f.experimentId, experiment_ids: [f.experimentId], experimentIds: [f.experimentId] }
    : undefined;
  return { path: `${path}?${new URLSearchParams(query).toString()}`, params, query, body };
}

/** Who may call the route, from the hand-written table (never from the route's own declaration). */
function allowed(route: RouteEntry): Set<Caller> | undefined {
  const expected = expectedAccess(route.method, route.url);
  if (expected === undefined) return undefined;
  if (expected === 'public' || expected === 'own') return new Set(CALLERS);
  if (expected === 'server') return new Set(['root']);
  const rank = ACTIONS.indexOf(expected);
  return new Set<Caller>([
    'root',
    ...(['viewer', 'editor', 'approver', 'admin'] as const).filter((role) => RANK[role]! >= rank),
  ]);
}

describe.each(DIALECTS)('authorization over HTTP, on %s', (dialect) => {
  let server: TestServer;
  let fixture: Fixture;
  beforeAll(async () => {
    server = await startTestServer(dialect, { auth: true }, { failedAuthLimits: { maxFailures: 1_000_000 } });
    fixture = await setUp(server);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('has every route in its table, each declaring its access', () => {
    const routes = server.routes.filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS');
    expect(routes.length).toBeGreaterThan(60);
    expect(routes.filter((r) => r.access === undefined).map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });

  it('lets each caller through exactly as the route declares, for every route', async () => {
    const routes = server.routes.filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS');
    const mismatches: string[] = [];
    for (const route of routes) {
      const request = requestFor(route, fixture);
      const expected = allowed(route);
      if (expected === undefined) {
        mismatches.push(`${route.method} ${route.url}: no expected access written in test/server/expected-access.ts`);
        continue;
      }
      const isPublic = expectedAccess(route.method, route.url) === 'public';
      if (isPublic !== 'public' in route.access!)
        mismatches.push(`${route.method} ${route.url}: public is ${'public' in route.access!}, expected ${isPublic}`);
      if (!isPublic) {
        const anonymous = await call(server, route.method, request.path, { body: request.body });
        if (anonymous.status !== 401)
          mismatches.push(`${route.method} ${route.url} without a token: ${anonymous.status}`);
      }
      for (const caller of CALLERS) {
        const answer = await call(server, route.method, request.path, {
          token: fixture.tokens[caller],
          body: request.body,
        });
        const denied = answer.status === 403 && answer.body?.error_code === 'PERMISSION_DENIED';
        if (answer.status === 401 || answer.status >= 500)
          mismatches.push(`${route.method} ${route.url} as ${caller}: ${answer.status} ${answer.body?.message ?? ''}`);
        else if (expected.has(caller) === denied && !isPublic) {
          mismatches.push(
            `${route.method} ${route.url} as ${caller}: expected ${expected.has(caller) ? 'allowed' : 'denied'}, ` +
              `got ${answer.status} ${answer.body?.message ?? ''}`,
          );
        }
      }
      // Routes about users and members may have changed the callers' roles: restore them.
      if (/\/(users|members)\b/.test(route.url)) await grantAll(server);
    }
    expect(mismatches).toEqual([]);
  }, 120_000);

  it('answers 401 for a missing, malformed, tampered, expired or revoked token; 403 for a narrow scope', async () => {
    const path = `/api/v1/runs/${fixture.runId}`;
    await server.context.access.createUser('erin');
    await server.context.access.grant('alpha', 'erin', 'editor');
    const good = await server.context.access.createToken('erin');
    expect((await call(server, 'GET', path, { token: good.token })).status).toBe(200);

    const missing = await call(server, 'GET', path);
    expect(missing.status).toBe(401);
    expect(missing.body?.error_code).toBe('UNAUTHENTICATED');
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await call(server, 'GET', path, { authorization: `Basic ${good.token}` })).status).toBe(401);
    const flipped = good.token.slice(0, 10) + (good.token[10] === 'a' ? 'b' : 'a') + good.token.slice(11);
    expect((await call(server, 'GET', path, { token: flipped })).body?.message).toMatch(/not known/);

    const expiring = await server.context.access.createToken('erin', { expiresInDays: 1 });
    await server.context.database.db
      .updateTable('api_tokens')
      .set({ expires_time: Date.now() - 1 })
      .where('id', '=', expiring.id)
      .execute();
    const expired = await call(server, 'GET', path, { token: expiring.token });
    expect(expired.status).toBe(401);
    expect(expired.body?.message).toMatch(/expired at/);

    const revoked = await server.context.access.createToken('erin');
    await server.context.access.revokeToken(revoked.id);
    expect((await call(server, 'GET', path, { token: revoked.token })).body?.message).toMatch(/was revoked/);

    const readOnly = await server.context.access.createToken('erin', { scopes: ['read'] });
    expect((await call(server, 'GET', path, { token: readOnly.token })).status).toBe(200);
    const write = await call(server, 'PUT', `${path}/tags/team`, { token: readOnly.token, body: { value: 'x' } });
    expect(write.status).toBe(403);
    expect(write.body?.message).toMatch(/not scoped for 'write'/);
    // Nor can it mint itself a wider token.
    const wider = await call(server, 'POST', '/api/v1/tokens', {
      token: readOnly.token,
      body: { scopes: ['read', 'write'] },
    });
    expect(wider.status).toBe(403);
  });

  it('keeps projects apart: an editor of alpha reaches nothing of beta', async () => {
    const { tracking, access, database } = server.context;
    await access.createUser('frank');
    await access.grant('alpha', 'frank', 'editor');
    const token = (await access.createToken('frank')).token;
    const betaExperiment = await tracking.createExperiment({ name: 'beta-exp' });
    const betaRun = await tracking.createRun({ experimentId: betaExperiment.experimentId });
    await database.db.updateTable('experiments').set({ project: 'beta' }).where('name', '=', 'beta-exp').execute();

    for (const [method, path, body] of [
      ['GET', `/api/v1/experiments/${betaExperiment.experimentId}`, undefined],
      ['GET', `/api/v1/runs/${betaRun.info.runId}`, undefined],
      ['PUT', `/api/v1/runs/${betaRun.info.runId}/tags/x`, { value: 'y' }],
      ['GET', `/api/2.0/mlflow/runs/get?run_id=${betaRun.info.runId}`, undefined],
      ['POST', '/api/2.0/mlflow/runs/search', { experiment_ids: [fixture.experimentId, betaExperiment.experimentId] }],
      ['POST', '/api/2.0/mlflow/runs/log-metric', { run_id: betaRun.info.runId, key: 'm', value: 1, timestamp: 1 }],
      ['GET', `/api/v1/runs/${betaRun.info.runId}/artifacts`, undefined],
      ['GET', '/api/v1/users', undefined],
      ['GET', '/api/v1/audit', undefined],
    ] as const) {
      const answer = await call(server, method, path, { token, body });
      expect(answer.status, `${method} ${path}`).toBe(403);
    }
    // Its own project works, and the whole of alpha's runs can be searched.
    const own = await call(server, 'POST', '/api/2.0/mlflow/runs/search', {
      token,
      body: { experiment_ids: [fixture.experimentId] },
    });
    expect(own.status).toBe(200);
    // Nothing was written to beta's run.
    expect((await tracking.getRun(betaRun.info.runId)).data.tags.x).toBeUndefined();

    // Lists show only what the caller may read.
    const native = await call(server, 'GET', '/api/v1/experiments', { token });
    expect(native.status).toBe(200);
    const names = (native.body as unknown as { items: { name: string; project: string }[] }).items.map(
      (e) => `${e.name}:${e.project}`,
    );
    expect(names).toContain('alpha-exp:alpha');
    expect(names.some((n) => n.startsWith('beta-exp'))).toBe(false);
    const mlflow = await call(server, 'POST', '/api/2.0/mlflow/experiments/search', {
      token,
      body: { max_results: 100 },
    });
    expect(
      (mlflow.body as unknown as { experiments: { name: string }[] }).experiments.map((e) => e.name),
    ).not.toContain('beta-exp');
    const models = await call(server, 'POST', '/api/2.0/mlflow/registered-models/search', {
      token: fixture.tokens.outsider,
      body: {},
    });
    expect(models.status).toBe(200);
    expect((models.body as unknown as { registered_models?: unknown[] }).registered_models ?? []).toEqual([]);
    // A model first registered from an alpha run belongs to alpha (the matrix may have deleted alpha-model).
    // (under a path of its own: the matrix's artifact upload has rewritten model/model.json)
    const folder = join(server.context.config.home, 'package-2');
    await writePackage(folder, 'forest-2');
    await tracking.logArtifactDirectory(fixture.runId, folder, 'model-2');
    const registered = await server.context.registry.register('frank-model', { runId: fixture.runId, path: 'model-2' });
    expect(registered.name).toBe('frank-model');
    const alphaModels = await call(server, 'GET', '/api/v1/models', { token });
    const listed = (alphaModels.body as unknown as { items: { name: string; project: string }[] }).items;
    expect(listed.map((m) => `${m.name}:${m.project}`)).toContain('frank-model:alpha');
    // Registering into alpha's model from a beta run would copy beta's model out: it needs read on the run too.
    const fromBeta = await call(server, 'POST', '/api/v1/models/frank-model/versions', {
      token,
      body: { run_id: betaRun.info.runId, path: 'model' },
    });
    expect(fromBeta.status).toBe(403);
    expect(fromBeta.body?.message).toMatch(/may not read in project 'beta'/);
    const mlflowFromBeta = await call(server, 'POST', '/api/2.0/mlflow/model-versions/create', {
      token,
      body: { name: 'frank-model', source: `runs:/${betaRun.info.runId}/model` },
    });
    expect(mlflowFromBeta.status).toBe(403);

    // New experiments go where the caller may write, and nowhere else.
    const inBeta = await fetch(`${server.url}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-ciclo-project': 'beta' },
      body: JSON.stringify({ name: 'sneaky' }),
    });
    expect(inBeta.status).toBe(403);
    const inAlpha = await call(server, 'POST', '/api/v1/experiments', {
      token,
      body: { name: 'frank-exp', project: 'alpha' },
    });
    expect(inAlpha.status).toBe(201);
    expect((inAlpha.body as unknown as { project: string }).project).toBe('alpha');
    const inDefault = await call(server, 'POST', '/api/v1/experiments', { token, body: { name: 'frank-default' } });
    expect(inDefault.status).toBe(403);
  });

  it('audits a refused attempt to approve or administer, with who tried and on what', async () => {
    const { audit } = server.context;
    const approve = await call(server, 'POST', `/api/v1/models/${fixture.model}/versions/1/approve`, {
      token: fixture.tokens.editor,
      body: { comment: 'mine' },
    });
    expect(approve.status).toBe(403);
    const grant = await call(server, 'PUT', '/api/v1/projects/alpha/members/editor', {
      token: fixture.tokens.approver,
      body: { role: 'admin' },
    });
    expect(grant.status).toBe(403);
    const refused = await audit.list({ action: 'access.approve.refused', order: 'desc', limit: 1 });
    expect(refused.at(-1)).toMatchObject({ actor: 'editor', target: { type: 'model', id: fixture.model } });
    expect(refused.at(-1)!.requestId).toMatch(/^req-/);
    expect((await audit.list({ action: 'access.admin.refused', order: 'desc', limit: 1 }))[0]).toMatchObject({
      actor: 'approver',
      target: { type: 'project', id: 'alpha' },
    });
    // A plain read refused is not a governed action: nothing recorded for it.
    const last = async () => (await audit.list({ order: 'desc', limit: 1 }))[0]?.seq;
    const before = await last();
    expect(
      (await call(server, 'GET', `/api/v1/runs/${fixture.runId}`, { token: fixture.tokens.outsider })).status,
    ).toBe(403);
    expect(await last()).toBe(before);
  });

  it('records the token user and the request id as the actor of a change', async () => {
    const { access, audit } = server.context;
    await access.createUser('grace');
    await access.grant('alpha', 'grace', 'editor');
    const token = (await access.createToken('grace')).token;
    const answer = await call(server, 'PUT', `/api/v1/runs/${fixture.runId}/tags/reviewed`, {
      token,
      body: { value: 'yes' },
    });
    expect(answer.status).toBe(204);
    // Grants made outside a request (here by the test) are not grace's.
    await access.grant('alpha', 'grace', 'admin');
    const entries = await audit.list({ actor: 'grace' });
    expect(entries.map((e) => `${e.action} ${e.target.id}`)).toEqual([`run.tag.set ${fixture.runId}/reviewed`]);
    expect(entries[0]!.requestId).toMatch(/^req-/);
    const created = await call(server, 'POST', '/api/v1/projects', {
      token: fixture.tokens.root,
      body: { name: 'gamma' },
    });
    expect(created.status).toBe(201);
    const [entry] = await audit.list({ action: 'project.create', target: { type: 'project', id: 'gamma' } });
    expect(entry).toMatchObject({ actor: 'root' });
    expect(entry!.requestId).toMatch(/^req-/);
  });
});

describe('failed authentication is rate limited per address', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(
      'sqlite',
      { auth: true },
      { failedAuthLimits: { maxFailures: 3, windowMs: 60_000 } },
    );
  });
  afterAll(async () => {
    await server.stop();
  });

  it('refuses every attempt after three failures, good tokens too, with Retry-After', async () => {
    await server.context.access.createUser('hank');
    await server.context.access.grant('*', 'hank', 'viewer');
    const good = (await server.context.access.createToken('hank')).token;
    for (let i = 0; i < 3; i++)
      expect((await call(server, 'GET', '/api/v1/auth/whoami', { token: `ciclo_${'y'.repeat(43)}` })).status).toBe(401);
    const limited = await call(server, 'GET', '/api/v1/auth/whoami', { token: good });
    expect(limited.status).toBe(429);
    expect(limited.body?.error_code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Public routes stay reachable.
    expect((await call(server, 'GET', '/api/v1/health')).status).toBe(200);
  });
});

describe('a server without authentication', () => {
  it('refuses to listen beyond loopback, and listens there once authentication is on', async () => {
    const refused = startTestServer('sqlite', {}, { host: '0.0.0.0' } as never);
    await expect(refused).rejects.toThrow(/refusing to listen on 0.0.0.0 without authentication/);
    const open = await startTestServer('sqlite', { auth: true }, { host: '0.0.0.0' } as never);
    try {
      expect((await call(open, 'GET', '/api/v1/health')).status).toBe(200);
      expect((await call(open, 'GET', '/api/v1/experiments')).status).toBe(401);
    } finally {
      await open.stop();
    }
  });

  it('lets anyone in on loopback, as anonymous, and still refuses a route that declares no access', async () => {
    const server = await startTestServer('sqlite');
    try {
      const whoami = await call(server, 'GET', '/api/v1/auth/whoami');
      expect(whoami.status).toBe(200);
      expect(whoami.body).toMatchObject({ user: 'anonymous', authenticated: false });
    } finally {
      await server.stop();
    }
    const { buildServer } = await import('../../src/server/index.js');
    const { openTestContext } = await import('../support/context.js');
    const test = await openTestContext('sqlite');
    try {
      const app = buildServer(test.context, { logLevel: 'silent' });
      app.get('/api/v1/undeclared', async () => ({ leaked: true }));
      const answer = await app.inject({ method: 'GET', url: '/api/v1/undeclared' });
      expect(answer.statusCode).toBe(403);
      expect(answer.json()).toMatchObject({ error_code: 'PERMISSION_DENIED' });
      expect(answer.body).not.toContain('leaked');
      await app.close();
    } finally {
      await test.drop();
    }
  });
});
