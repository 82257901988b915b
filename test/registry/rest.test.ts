import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RegistryService } from '../../src/registry/index.js';
import { buildServer } from '../../src/server/app.js';
import { DIALECTS } from '../support/databases.js';
import { api } from '../server/http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { runWithPackage, SIGNATURE } from './support.js';

const API = '/api/v1';

describe.each(DIALECTS)('native registry REST routes (%s)', (dialect) => {
  let server: TestServer;
  let http: ReturnType<typeof api>;
  let registry: RegistryService;
  let dir: string;
  beforeEach(async () => {
    server = await startTestServer(dialect);
    http = api(server.url);
    registry = server.context.registry;
    dir = server.context.config.home;
  });
  afterEach(async () => {
    await server.stop();
  });

  it('creates a model in the X-Ciclo-Project project and registers versions from runs', async () => {
    const created = await api(server.url, { 'x-ciclo-project': 'risk' }).post(`${API}/models`, {
      name: 'churn',
      description: 'who leaves',
      tags: { team: 'growth' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      name: 'churn',
      project: 'risk',
      description: 'who leaves',
      tags: { team: 'growth' },
      latest_version: null,
      version_count: 0,
      aliases: {},
      stages: {},
      created_time: expect.any(Number),
      updated_time: expect.any(Number),
    });
    const again = await http.post(`${API}/models`, { name: 'churn' });
    expect(again.status).toBe(400);
    expect(again.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');

    const runId = await runWithPackage(server.context, dir);
    const v1 = await http.post(`${API}/models/churn/versions`, {
      run_id: runId,
      path: 'model/',
      description: 'first',
      tags: { note: 'x' },
    });
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({
      name: 'churn',
      version: 1,
      run_id: runId,
      source: 'model',
      flavor: 'ml-random-forest',
      signature: SIGNATURE,
      metrics: { auc: 0.91 },
      lineage: { run: runId, pipeline_run: null },
      description: 'first',
      status: 'pending',
      tags: { note: 'x' },
      aliases: [],
      stages: [],
      created_by: expect.any(String),
    });
    expect(v1.body.manifest_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // An existing model keeps its project.
    expect((await http.get(`${API}/models/churn`)).body).toMatchObject({
      project: 'risk',
      latest_version: 1,
      version_count: 1,
    });

    const unknownRun = await http.post(`${API}/models/churn/versions`, { run_id: 'f'.repeat(32), path: 'model' });
    expect(unknownRun.status).toBe(404);
    const noPackage = await http.post(`${API}/models/churn/versions`, { run_id: runId, path: 'nothing' });
    expect(noPackage.status).toBe(404);
    expect(noPackage.body).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST', where: 'path' });
    const extra = await http.post(`${API}/models/churn/versions`, { run_id: runId, path: 'model', flavor: 'x' });
    expect(extra.status).toBe(400);
    expect(extra.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    // camelCase is not the wire's spelling: refused, never read as the snake_case field.
    const camel = await http.post(`${API}/models/churn/versions`, { runId, path: 'model' });
    expect(camel).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', where: 'run_id' } });
    const camelQuery = await http.get(`${API}/models`, { maxResults: 1 });
    expect(camelQuery).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('maxResults') },
    });
  });

  it("gives a model first created by registration the project of the run's experiment", async () => {
    const runId = await runWithPackage(server.context, dir, { experiment: 'fraud' });
    await server.context.database.db
      .updateTable('experiments')
      .set({ project: 'payments' })
      .where('name', '=', 'fraud')
      .execute();
    await http.post(`${API}/models/fraud-detector/versions`, { run_id: runId, path: 'model' });
    expect((await http.get(`${API}/models/fraud-detector`)).body.project).toBe('payments');
    expect((await registry.getModel('fraud-detector')).project).toBe('payments');

    const defaultRun = await runWithPackage(server.context, dir);
    await http.post(`${API}/models/plain/versions`, { run_id: defaultRun, path: 'model' });
    expect((await registry.getModel('plain')).project).toBe('default');
  });

  it('reads versions, resolves aliases and sets aliases, stages and tags', async () => {
    const runId = await runWithPackage(server.context, dir);
    await http.post(`${API}/models/churn/versions`, { run_id: runId, path: 'model' });
    await http.post(`${API}/models/churn/versions`, { run_id: runId, path: 'model' });

    expect(
      (await http.get(`${API}/models/churn/versions`)).body.items.map((v: { version: number }) => v.version),
    ).toEqual([1, 2]);
    expect((await http.get(`${API}/models/churn/versions/2`)).body.version).toBe(2);
    expect((await http.get(`${API}/models/churn/versions/3`)).status).toBe(404);
    expect((await http.get(`${API}/models/churn/versions/two`)).status).toBe(400);
    expect((await http.get(`${API}/models/nope/versions`)).status).toBe(404);

    expect((await http.put(`${API}/models/churn/aliases/champion`, { version: 1 })).body).toEqual({ previous: null });
    expect((await http.put(`${API}/models/churn/aliases/champion`, { version: 2 })).body).toEqual({ previous: 1 });
    expect((await http.get(`${API}/models/churn/aliases/champion`)).body).toMatchObject({
      version: 2,
      aliases: ['champion'],
    });
    expect((await http.put(`${API}/models/churn/aliases/latest`, { version: 2 })).status).toBe(400);
    expect((await http.delete(`${API}/models/churn/aliases/champion`)).status).toBe(204);
    expect((await http.get(`${API}/models/churn/aliases/champion`)).status).toBe(404);
    expect((await http.delete(`${API}/models/churn/aliases/champion`)).status).toBe(404);

    expect((await http.put(`${API}/models/churn/stages/prod`, { version: 1 })).body).toEqual({ previous: null });
    expect((await http.put(`${API}/models/churn/stages/moon`, { version: 1 })).status).toBe(400);
    expect((await http.get(`${API}/models/churn`)).body.stages).toEqual({ prod: 1 });

    expect((await http.put(`${API}/models/churn/tags/team`, { value: 'growth' })).status).toBe(204);
    expect((await http.put(`${API}/models/churn/versions/1/tags/checked`, { value: 'yes' })).status).toBe(204);
    expect(
      (await http.put(`${API}/models/churn/versions/1/tags/ciclo.approval_status`, { value: 'approved' })).status,
    ).toBe(400);
    expect((await http.get(`${API}/models/churn`)).body.tags).toEqual({ team: 'growth' });
    expect((await http.get(`${API}/models/churn/versions/1`)).body.tags).toEqual({ checked: 'yes' });
    expect((await http.delete(`${API}/models/churn/tags/team`)).status).toBe(204);
    expect((await http.delete(`${API}/models/churn/versions/1/tags/checked`)).status).toBe(204);
    expect((await http.delete(`${API}/models/churn/versions/1/tags/checked`)).status).toBe(404);
    expect((await registry.getModel('churn')).tags).toEqual({});
  });

  it('renames and describes a model in one PATCH, moving versions, aliases and stages', async () => {
    const runId = await runWithPackage(server.context, dir);
    await http.post(`${API}/models/churn/versions`, { run_id: runId, path: 'model' });
    await http.put(`${API}/models/churn/aliases/champion`, { version: 1 });
    await http.put(`${API}/models/churn/stages/staging`, { version: 1 });

    const patched = await http.patch(`${API}/models/churn`, { name: 'attrition', description: 'renamed' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'attrition',
      description: 'renamed',
      aliases: { champion: 1 },
      stages: { staging: 1 },
      version_count: 1,
    });
    expect((await http.get(`${API}/models/churn`)).status).toBe(404);
    expect((await http.get(`${API}/models/attrition/aliases/champion`)).body).toMatchObject({
      name: 'attrition',
      version: 1,
      stages: ['staging'],
    });
    expect((await http.patch(`${API}/models/churn`, { description: 'x' })).status).toBe(404);
    const badName = await http.patch(`${API}/models/attrition`, { name: 'bad name' });
    expect(badName.status).toBe(400);
    expect(badName.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'new_name' });

    const version = await http.patch(`${API}/models/attrition/versions/1`, { description: 'v1' });
    expect(version.body.description).toBe('v1');
  });

  it('refuses a PATCH with a new name and a too-long description without renaming', async () => {
    await http.post(`${API}/models`, { name: 'churn', description: 'who leaves' });
    const refused = await http.patch(`${API}/models/churn`, { name: 'attrition', description: 'x'.repeat(5001) });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'description' });
    expect((await http.get(`${API}/models/churn`)).body).toMatchObject({ name: 'churn', description: 'who leaves' });
    expect((await http.get(`${API}/models/attrition`)).status).toBe(404);
    const audited = (await server.context.audit.list({ limit: 100 })).map((e) => e.action);
    expect(audited.filter((action) => action === 'model.rename' || action === 'model.update')).toEqual([]);
  });

  it('deletes a version (dropping its aliases and stages) and a model with everything under it', async () => {
    const runId = await runWithPackage(server.context, dir);
    for (let i = 0; i < 2; i++)
      await http.post(`${API}/models/churn/versions`, { run_id: runId, path: 'model', tags: { n: String(i) } });
    await http.put(`${API}/models/churn/aliases/champion`, { version: 2 });
    await http.put(`${API}/models/churn/stages/prod`, { version: 2 });
    await http.put(`${API}/models/churn/tags/team`, { value: 'growth' });

    expect((await http.delete(`${API}/models/churn/versions/2`)).status).toBe(204);
    expect((await http.get(`${API}/models/churn`)).body).toMatchObject({ latest_version: 1, aliases: {}, stages: {} });
    expect((await http.delete(`${API}/models/churn/versions/2`)).status).toBe(404);

    expect((await http.delete(`${API}/models/churn`)).status).toBe(204);
    expect((await http.get(`${API}/models/churn`)).status).toBe(404);
    const { db } = server.context.database;
    for (const table of [
      'registered_models',
      'registered_model_tags',
      'model_versions',
      'model_version_tags',
      'model_aliases',
      'model_stages',
    ] as const) {
      const { count } = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow();
      expect([table, Number(count)]).toEqual([table, 0]);
    }
    // The name is free again, and numbering starts over.
    expect((await http.post(`${API}/models/churn/versions`, { run_id: runId, path: 'model' })).body.version).toBe(1);
  });

  it('searches models and versions with filters and page tokens', async () => {
    for (const name of ['a1', 'a2', 'a3', 'b1']) await http.post(`${API}/models`, { name });
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await http.get(`${API}/models`, {
        filter: "name LIKE 'a%'",
        max_results: 2,
        ...(token ? { page_token: token } : {}),
      });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((m: { name: string }) => m.name));
      token = page.body.next_page_token;
    } while (token !== undefined);
    expect(seen).toEqual(['a1', 'a2', 'a3']);

    const injection = await http.get(`${API}/models`, { filter: "name = 'a1' OR 1=1 --" });
    expect(injection.status).toBe(400);
    expect(injection.body.where).toBe('filter');

    const runId = await runWithPackage(server.context, dir);
    await http.post(`${API}/models/b1/versions`, { run_id: runId, path: 'model' });
    const versions = await http.get(`${API}/model-versions`, { filter: `run_id = '${runId}'` });
    expect(versions.body.items.map((v: { name: string; version: number }) => [v.name, v.version])).toEqual([['b1', 1]]);
  });

  it('appends audit entries for the changes it makes', async () => {
    const runId = await runWithPackage(server.context, dir);
    await http.post(`${API}/models`, { name: 'churn' });
    await http.post(`${API}/models/churn/versions`, { run_id: runId, path: 'model' });
    await http.patch(`${API}/models/churn`, { name: 'attrition', description: 'd' });
    await http.put(`${API}/models/attrition/tags/team`, { value: 'growth' });
    await http.delete(`${API}/models/attrition/versions/1`);
    await http.delete(`${API}/models/attrition`);

    const entries = (await server.context.audit.list({ limit: 100 })).filter((e) => e.action.startsWith('model.'));
    expect(entries.map((e) => `${e.action} ${e.target.id}`).sort()).toEqual(
      [
        'model.create churn',
        'model.register churn/1',
        'model.rename churn',
        'model.update attrition',
        'model.tag.set attrition#team',
        'model.version.delete attrition/1',
        'model.delete attrition',
      ].sort(),
    );
    const rename = entries.find((e) => e.action === 'model.rename')!;
    expect(rename.beforeDigest).not.toBe(rename.afterDigest);
    expect((await server.context.audit.verify()).ok).toBe(true);
  });

  it('declares access on every registry route, native and MLflow', async () => {
    const app = buildServer(server.context);
    await app.ready();
    const registryRoutes = app.cicloRoutes.filter((route) =>
      /^\/api\/v1\/(models|model-versions)|\/mlflow\/(registered-models|model-versions)\//.test(route.url),
    );
    expect(registryRoutes.length).toBeGreaterThanOrEqual(18 + 2 * 19);
    expect(
      registryRoutes.filter((route) => route.access === undefined).map((route) => `${route.method} ${route.url}`),
    ).toEqual([]);
    expect(
      registryRoutes
        .filter((route) => route.access !== undefined && 'public' in route.access)
        .map((route) => route.url),
    ).toEqual([]);
    await app.close();
  });
});
