import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRuleSchema, type ResultToJudge } from '../../src/monitoring/index.js';
import { DIALECTS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { api } from '../server/http.js';

const rule = AlertRuleSchema.parse({ name: 'psi-high', metric: 'drift.psi', above: 0.2, severity: 'critical' });
const psi = (id: number, value: number): ResultToJudge => ({
  id,
  time: id * 1000,
  status: 'ok',
  metrics: [{ metric: 'drift.psi', feature: 'income', value }],
});

/** Two monitors in two projects; ana edits alpha, bob only views beta. */
describe.each(DIALECTS)('alert routes (%s)', (dialect) => {
  let server: TestServer;
  const tokens: Record<string, string> = {};
  const as = (user: string) => api(server.url, { authorization: `Bearer ${tokens[user]!}` });

  beforeAll(async () => {
    server = await startTestServer(dialect, { auth: true });
    const { access, alerts, database } = server.context;
    for (const project of ['alpha', 'beta']) await access.createProject(project);
    for (const [user, project, role] of [
      ['ana', 'alpha', 'editor'],
      ['bob', 'beta', 'viewer'],
    ] as const) {
      await access.createUser(user);
      await access.grant(project, user, role);
      tokens[user] = (await access.createToken(user)).token;
    }
    for (const project of ['alpha', 'beta']) {
      const name = `${project}-drift`;
      await database.db
        .insertInto('monitors')
        .values({
          name,
          project,
          deployment: `${project}-prod`,
          definition: '{}',
          source: '',
          created_by: 'test',
          created_time: 0,
          updated_time: 0,
        })
        .execute();
      await alerts.evaluate({ name, deployment: `${project}-prod`, project }, [rule], psi(1, 0.9));
    }
  });
  afterAll(async () => server?.stop());

  it('lists the alerts of the projects the caller reads, by monitor and state, in snake_case', async () => {
    const list = await as('ana').get('/api/v1/alerts');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      items: [
        {
          monitor: 'alpha-drift',
          rule: 'psi-high',
          state: 'FIRING',
          severity: 'critical',
          consecutive: 1,
          since: 1000,
          last_fired: 1000,
          last_value: 0.9,
          acked_by: null,
          acked_time: null,
        },
      ],
    });
    expect(
      (await as('bob').get('/api/v1/alerts', { state: 'FIRING' })).body.items.map(
        (s: { monitor: string }) => s.monitor,
      ),
    ).toEqual(['beta-drift']);
    expect((await as('bob').get('/api/v1/alerts', { state: 'OK' })).body).toEqual({ items: [] });
    expect((await as('ana').get('/api/v1/alerts', { monitor: 'beta-drift' })).status).toBe(403);
    const refused = await as('ana').get('/api/v1/alerts', { state: 'firing' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'state' });
    const unknown = await as('ana').get('/api/v1/alerts', { monitors: 'x' });
    expect(unknown.status).toBe(400);
  });

  it("shows a rule's state and history and acknowledges it with the caller as actor", async () => {
    const shown = await as('bob').get('/api/v1/alerts/beta-drift/psi-high');
    expect(shown.status).toBe(200);
    expect(shown.body.state).toMatchObject({ monitor: 'beta-drift', state: 'FIRING' });
    expect(shown.body.events).toEqual([
      expect.objectContaining({
        kind: 'FIRING',
        actor: 'ciclo-alerts',
        result_id: 1,
        value: 0.9,
        payload: expect.objectContaining({ deployment: 'beta-prod', state: 'FIRING' }),
        actions: [],
      }),
    ]);
    expect((await as('ana').get('/api/v1/alerts/beta-drift/psi-high')).status).toBe(403);
    expect((await as('bob').post('/api/v1/alerts/beta-drift/psi-high/ack', {})).status).toBe(403);
    expect((await as('ana').get('/api/v1/alerts/alpha-drift/nope')).status).toBe(404);

    const acked = await as('ana').post('/api/v1/alerts/alpha-drift/psi-high/ack', { comment: 'looking' });
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ kind: 'ACKED', actor: 'ana', payload: { comment: 'looking', actor: 'ana' } });
    expect((await as('ana').get('/api/v1/alerts', { monitor: 'alpha-drift' })).body.items[0].acked_by).toBe('ana');
    const extra = await as('ana').post('/api/v1/alerts/alpha-drift/psi-high/ack', { reason: 'x' });
    expect(extra.status).toBe(400);
  });
});
