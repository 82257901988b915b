import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataEngine } from '../../src/data/index.js';
import { loadFeatureViewYaml, materialize, openOnlineStore, prepareView } from '../../src/features/index.js';
import { writeFile, csv } from '../data/support.js';
import { writePackage } from '../registry/support.js';
import { DIALECTS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { api } from './http.js';

/**
 * Every resource is judged in its own project: datasets (with their sensitive columns), feature
 * views, and the admin-only moves of experiments, models and datasets. Callers:
 *  - dviewer: viewer of `default`; aviewer: viewer of `alpha`; bviewer: viewer of `beta`
 *  - editor: editor of `alpha` and `beta`; alphaadmin: admin of `alpha` only
 *  - admin: admin of `alpha` and `beta`; root: admin of every project (`*`)
 */
const GRANTS = {
  dviewer: [['default', 'viewer']],
  aviewer: [['alpha', 'viewer']],
  bviewer: [['beta', 'viewer']],
  editor: [
    ['alpha', 'editor'],
    ['beta', 'editor'],
  ],
  alphaadmin: [['alpha', 'admin']],
  admin: [
    ['alpha', 'admin'],
    ['beta', 'admin'],
  ],
  root: [['*', 'admin']],
} as const;
type Caller = keyof typeof GRANTS;

const SSN = '078-05-1120';

describe.each(DIALECTS)('resources in projects on %s', (dialect) => {
  let server: TestServer;
  const tokens = {} as Record<Caller, string>;
  const as = (caller: Caller) => api(server.url, { authorization: `Bearer ${tokens[caller]}` });

  beforeAll(async () => {
    server = await startTestServer(dialect, { auth: true });
    const { access } = server.context;
    await access.createProject('alpha');
    await access.createProject('beta');
    for (const [caller, grants] of Object.entries(GRANTS) as [Caller, readonly (readonly [string, string])[]][]) {
      await access.createUser(caller);
      for (const [project, role] of grants) await access.grant(project, caller, role);
      tokens[caller] = (await access.createToken(caller)).token;
    }
  });
  afterAll(async () => server?.stop());

  /** Registers `name` in `project` with a sensitive `ssn` column. */
  async function registerDataset(name: string, project?: string) {
    const file = writeFile(
      join(server.context.config.home, 'src', `${name}.csv`),
      csv('id,ssn,score', [
        [1, SSN, 0.5],
        [2, '219-09-9999', 0.7],
      ]),
    );
    return server.context.datasets.register(name, file, {
      sensitive: ['ssn'],
      ...(project === undefined ? {} : { project }),
    });
  }

  describe('datasets', () => {
    beforeAll(async () => {
      await registerDataset('open_rows');
      await registerDataset('secret_rows', 'alpha');
    });

    it(
      'keeps an alpha dataset from a default viewer: ' + 'not listed, 403 on show and versions, its columns never sent',
      async () => {
        const viewer = as('dviewer');
        const list = await viewer.get('/api/v1/datasets');
        expect(list.status).toBe(200);
        expect(list.body.items.map((d: { name: string; project: string }) => [d.name, d.project])).toEqual([
          ['open_rows', 'default'],
        ]);
        for (const path of [
          '/api/v1/datasets/secret_rows',
          '/api/v1/datasets/secret_rows/versions',
          '/api/v1/datasets/secret_rows/versions/1',
        ]) {
          const answer = await viewer.get(path);
          expect(answer.status, path).toBe(403);
          expect(answer.body.error_code).toBe('PERMISSION_DENIED');
          expect(JSON.stringify(answer.body)).not.toMatch(/ssn|score|078-05/);
        }
      },
    );

    it('reads exactly the dataset it judged: a NAME@version in the name path is no way around the check', async () => {
      const viewer = as('dviewer');
      const digest = (await server.context.datasets.show('secret_rows')).digest;
      for (const name of ['secret_rows@1', `secret_rows@${digest}`, 'secret_rows%401']) {
        const answer = await viewer.get(`/api/v1/datasets/${name}`);
        expect(answer.status, name).not.toBe(200);
        expect(JSON.stringify(answer.body)).not.toMatch(/ssn|score/);
      }
    });

    it('shows an alpha dataset to an alpha viewer, with its project and sensitive tags', async () => {
      const viewer = as('aviewer');
      const list = await viewer.get('/api/v1/datasets');
      expect(list.body.items.map((d: { name: string }) => d.name)).toEqual(['secret_rows']);
      const shown = await viewer.get('/api/v1/datasets/secret_rows');
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({ name: 'secret_rows', project: 'alpha', version: 1 });
      expect(shown.body.schema.find((c: { name: string }) => c.name === 'ssn')).toMatchObject({ sensitive: true });
      expect((await viewer.get('/api/v1/datasets/secret_rows/versions')).body.items).toMatchObject([
        { version: 1, project: 'alpha' },
      ]);
      expect((await viewer.get('/api/v1/datasets/open_rows')).status).toBe(403);
    });
  });

  describe('feature views', () => {
    beforeAll(async () => {
      const home = server.context.config.home;
      const source = writeFile(
        join(home, 'src', 'stats.csv'),
        csv('customer_id,event_time,spend', [[1, '2024-01-01T00:00:00Z', 10]]),
      );
      const store = openOnlineStore(server.context.config);
      const engine = await DataEngine.open({ threads: 1 });
      try {
        for (const [name, project] of [
          ['alpha_stats', 'alpha'],
          ['open_stats', undefined],
        ] as const) {
          const yaml = [
            `name: ${name}`,
            ...(project === undefined ? [] : [`project: ${project}`]),
            'entities: [customer_id]',
            'event_time: event_time',
            `source: { path: ${source} }`,
            'features: [spend]',
          ];
          const view = loadFeatureViewYaml(yaml.join('\n'), join(home, `${name}.yaml`));
          await materialize(engine, await prepareView(engine, view), store);
        }
      } finally {
        engine.close();
        await store.close();
      }
    });

    const lookup = (caller: Caller, view: string) =>
      as(caller).post('/api/v1/features/online', { view, entities: [{ customer_id: 1 }] });

    it("judges an online lookup in the view's project", async () => {
      const refused = await lookup('dviewer', 'alpha_stats');
      expect(refused.status).toBe(403);
      expect(JSON.stringify(refused.body)).not.toContain('spend');
      expect((await lookup('aviewer', 'alpha_stats')).body).toMatchObject({
        view: 'alpha_stats',
        results: [{ status: 'found', values: { spend: 10 } }],
      });
      expect((await lookup('dviewer', 'open_stats')).status).toBe(200);
      expect((await lookup('aviewer', 'open_stats')).status).toBe(403);
    });

    it('judges a view that was never materialized in default, then answers 404', async () => {
      expect((await lookup('dviewer', 'ghost')).status).toBe(404);
      expect((await lookup('aviewer', 'ghost')).status).toBe(403);
    });
  });

  describe('moving to another project', () => {
    /** The refusals every move gets, then the admin's move; returns the admin's answer. */
    async function moveChecked(path: string) {
      for (const caller of ['editor', 'alphaadmin', 'aviewer'] as const) {
        const refused = await as(caller).put(path, { project: 'beta' });
        expect(refused.status, caller).toBe(403);
        expect(refused.body.error_code).toBe('PERMISSION_DENIED');
      }
      // Admin of both, but the destination must exist; without one the body is refused.
      expect((await as('root').put(path, { project: 'nowhere' })).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      expect((await as('admin').put(path, {})).status).toBe(400);
      return as('admin').put(path, { project: 'beta' });
    }

    async function moveEntry(type: string, id: string) {
      const entries = await server.context.audit.list({ target: { type, id } });
      return entries.filter((entry) => entry.action.endsWith('.move'));
    }

    it('moves an experiment with its runs, admin of both projects only', async () => {
      const { tracking } = server.context;
      const experiment = await tracking.createExperiment({ name: 'churn-exp', project: 'alpha' });
      const run = await tracking.createRun({ experimentId: experiment.experimentId });
      const path = `/api/v1/experiments/${experiment.experimentId}/project`;
      expect((await tracking.getExperiment(experiment.experimentId)).project).toBe('alpha');

      const moved = await moveChecked(path);
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ experiment_id: experiment.experimentId, project: 'beta' });

      const names = async (caller: Caller) =>
        (await as(caller).get('/api/v1/experiments')).body.items.map((e: { name: string }) => e.name);
      expect(await names('aviewer')).not.toContain('churn-exp');
      expect(await names('bviewer')).toContain('churn-exp');
      expect((await as('bviewer').get(`/api/v1/runs/${run.info.runId}`)).status).toBe(200);
      expect((await as('aviewer').get(`/api/v1/runs/${run.info.runId}`)).status).toBe(403);
      expect(await moveEntry('experiment', experiment.experimentId)).toMatchObject([
        { action: 'experiment.move', actor: 'admin', details: { from: 'alpha', to: 'beta' } },
      ]);
    });

    it('moves a registered model with its versions', async () => {
      const { tracking } = server.context;
      const experiment = await tracking.createExperiment({ name: 'model-exp', project: 'alpha' });
      const run = await tracking.createRun({ experimentId: experiment.experimentId });
      const folder = join(server.context.config.home, 'package');
      await writePackage(folder);
      await tracking.logArtifactDirectory(run.info.runId, folder, 'model');
      await server.context.registry.register('scorer', { runId: run.info.runId, path: 'model' });
      expect((await as('aviewer').get('/api/v1/models/scorer')).body).toMatchObject({ project: 'alpha' });

      const moved = await moveChecked('/api/v1/models/scorer/project');
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ name: 'scorer', project: 'beta', version_count: 1 });

      const names = async (caller: Caller) =>
        (await as(caller).get('/api/v1/models')).body.items.map((m: { name: string }) => m.name);
      expect(await names('aviewer')).not.toContain('scorer');
      expect(await names('bviewer')).toContain('scorer');
      expect((await as('bviewer').get('/api/v1/models/scorer/versions')).body.items).toMatchObject([{ version: 1 }]);
      expect((await as('aviewer').get('/api/v1/models/scorer/versions/1')).status).toBe(403);
      expect(await moveEntry('registered_model', 'scorer')).toMatchObject([
        { action: 'model.move', actor: 'admin', details: { from: 'alpha', to: 'beta' } },
      ]);
    });

    it('moves a dataset with its versions', async () => {
      await registerDataset('moving_rows', 'alpha');
      const moved = await moveChecked('/api/v1/datasets/moving_rows/project');
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ name: 'moving_rows', project: 'beta', version_count: 1 });

      const names = async (caller: Caller) =>
        (await as(caller).get('/api/v1/datasets')).body.items.map((d: { name: string }) => d.name);
      expect(await names('aviewer')).not.toContain('moving_rows');
      expect(await names('bviewer')).toContain('moving_rows');
      expect((await as('bviewer').get('/api/v1/datasets/moving_rows/versions/1')).body).toMatchObject({
        project: 'beta',
      });
      expect((await as('aviewer').get('/api/v1/datasets/moving_rows')).status).toBe(403);
      expect(await moveEntry('dataset', 'moving_rows')).toMatchObject([
        { action: 'dataset.move', actor: 'admin', details: { from: 'alpha', to: 'beta' } },
      ]);
    });
  });
});
