import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RegistryService } from '../../src/registry/index.js';
import { DIALECTS } from '../support/databases.js';
import { api } from '../server/http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { runWithPackage, writeMlmodelFolder } from './support.js';

const MLFLOW = '/api/2.0/mlflow';

describe.each(DIALECTS)('MLflow model registry REST API (%s)', (dialect) => {
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

  /** As mlflow.register_model: the registered model first (when new), then the version. */
  async function createVersion(name: string, runId: string, source = `runs:/${runId}/model`) {
    const model = await http.post(`${MLFLOW}/registered-models/create`, { name });
    expect([200, 400]).toContain(model.status); // 400 RESOURCE_ALREADY_EXISTS when it exists
    const answer = await http.post(`${MLFLOW}/model-versions/create`, { name, source, run_id: runId });
    expect(answer.status).toBe(200);
    return answer.body.model_version;
  }

  it('creates, gets, updates, tags and deletes a registered model, with MLflow error codes', async () => {
    const created = await http.post(`${MLFLOW}/registered-models/create`, {
      name: 'churn',
      description: 'who leaves',
      tags: [{ key: 'team', value: 'growth' }],
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      registered_model: {
        name: 'churn',
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
        description: 'who leaves',
        latest_versions: [],
        tags: [{ key: 'team', value: 'growth' }],
        aliases: [],
      },
    });

    const again = await http.post(`${MLFLOW}/registered-models/create`, { name: 'churn' });
    expect(again.status).toBe(400);
    expect(again.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    const badName = await http.post(`${MLFLOW}/registered-models/create`, { name: 'a/b' });
    expect(badName.status).toBe(400);
    expect(badName.body.error_code).toBe('INVALID_PARAMETER_VALUE');

    const fetched = await http.get(`${MLFLOW}/registered-models/get`, { name: 'churn' });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
    const missing = await http.get(`${MLFLOW}/registered-models/get`, { name: 'nope' });
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');

    const updated = await http.patch(`${MLFLOW}/registered-models/update`, {
      name: 'churn',
      description: 'who churns',
    });
    expect(updated.status).toBe(200);
    expect(updated.body.registered_model.description).toBe('who churns');
    expect((await http.patch(`${MLFLOW}/registered-models/update`, { name: 'nope', description: 'x' })).status).toBe(
      404,
    );

    expect(
      (await http.post(`${MLFLOW}/registered-models/set-tag`, { name: 'churn', key: 'owner', value: 'ana' })).body,
    ).toEqual({});
    expect((await http.delete(`${MLFLOW}/registered-models/delete-tag`, { name: 'churn', key: 'team' })).body).toEqual(
      {},
    );
    const tagged = await http.get(`${MLFLOW}/registered-models/get`, { name: 'churn' });
    expect(tagged.body.registered_model.tags).toEqual([{ key: 'owner', value: 'ana' }]);
    const noTag = await http.delete(`${MLFLOW}/registered-models/delete-tag`, { name: 'churn', key: 'team' });
    expect(noTag.status).toBe(404);
    expect(noTag.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');

    // The web UI's twin prefix answers the same.
    expect(
      (await http.get('/ajax-api/2.0/mlflow/registered-models/get', { name: 'churn' })).body.registered_model.name,
    ).toBe('churn');

    expect((await http.delete(`${MLFLOW}/registered-models/delete`, { name: 'churn' })).body).toEqual({});
    expect((await http.get(`${MLFLOW}/registered-models/get`, { name: 'churn' })).status).toBe(404);
    const deletedAgain = await http.delete(`${MLFLOW}/registered-models/delete`, { name: 'churn' });
    expect(deletedAgain.status).toBe(404);
    expect(deletedAgain.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('creates model versions from runs:/, mlflow-artifacts:/ and artifact-URI sources, in MLflow shape', async () => {
    const runId = await runWithPackage(server.context, dir);
    await http.post(`${MLFLOW}/registered-models/create`, { name: 'churn' });

    const v1 = await createVersion('churn', runId);
    expect(v1).toEqual({
      name: 'churn',
      version: '1',
      creation_timestamp: expect.any(Number),
      last_updated_timestamp: expect.any(Number),
      user_id: expect.any(String),
      current_stage: 'None',
      description: '',
      source: `runs:/${runId}/model`,
      run_id: runId,
      status: 'READY',
      tags: [{ key: 'ciclo.approval_status', value: 'pending' }],
      aliases: [],
      run_link: '',
    });

    const run = await server.context.tracking.getRun(runId);
    expect(run.info.artifactUri).toMatch(/^mlflow-artifacts:\//);
    const v2 = await createVersion('churn', runId, `${run.info.artifactUri}/model`);
    expect(v2.version).toBe('2');
    // Without run_id the mlflow-artifacts:/ form names the run itself.
    const v3 = await http.post(`${MLFLOW}/model-versions/create`, {
      name: 'churn',
      source: `${run.info.artifactUri}/model`,
      tags: [{ key: 'k', value: 'v' }],
      description: 'third',
    });
    expect(v3.body.model_version).toMatchObject({
      version: '3',
      run_id: runId,
      description: 'third',
      tags: [
        { key: 'k', value: 'v' },
        { key: 'ciclo.approval_status', value: 'pending' },
      ],
    });

    // As in MLflow, model-versions/create alone does not create the model (register_model() creates it first).
    const fresh = await http.post(`${MLFLOW}/model-versions/create`, { name: 'fresh', source: `runs:/${runId}/model` });
    expect(fresh.status).toBe(404);
    expect(fresh.body).toMatchObject({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Registered Model with name=fresh not found',
    });

    const badSource = await http.post(`${MLFLOW}/model-versions/create`, {
      name: 'churn',
      source: 's3://bucket/model',
      run_id: runId,
    });
    expect(badSource.status).toBe(400);
    expect(badSource.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'source' });
    const otherRun = await http.post(`${MLFLOW}/model-versions/create`, {
      name: 'churn',
      source: `runs:/${runId}/model`,
      run_id: 'f'.repeat(32),
    });
    expect(otherRun.status).toBe(404);
    // As MLflow, a folder without a package is accepted, marked unverified (mlflow-unverified.test.ts).
    const noPackage = await http.post(`${MLFLOW}/model-versions/create`, {
      name: 'churn',
      source: `runs:/${runId}/elsewhere`,
    });
    expect(noPackage.status).toBe(200);
    expect(noPackage.body.model_version).toMatchObject({
      version: '4',
      tags: [
        { key: 'ciclo.approval_status', value: 'pending' },
        { key: 'ciclo.package_status', value: 'unverified' },
      ],
    });

    const fetched = await http.get(`${MLFLOW}/model-versions/get`, { name: 'churn', version: '1' });
    expect(fetched.body.model_version).toEqual(v1);
    const missing = await http.get(`${MLFLOW}/model-versions/get`, { name: 'churn', version: '9' });
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const notNumber = await http.get(`${MLFLOW}/model-versions/get`, { name: 'churn', version: 'one' });
    expect(notNumber.status).toBe(400);
    expect(notNumber.body.error_code).toBe('INVALID_PARAMETER_VALUE');

    const download = await http.get(`${MLFLOW}/model-versions/get-download-uri`, { name: 'churn', version: '1' });
    expect(download.body).toEqual({ artifact_uri: `${run.info.artifactUri}/model` });
    expect((await http.get(`${MLFLOW}/model-versions/get-download-uri`, { name: 'churn', version: '7' })).status).toBe(
      404,
    );
  });

  it('updates, tags and deletes versions; the approval status tag is read-only', async () => {
    const runId = await runWithPackage(server.context, dir);
    await createVersion('churn', runId);
    await createVersion('churn', runId);

    const updated = await http.patch(`${MLFLOW}/model-versions/update`, {
      name: 'churn',
      version: '1',
      description: 'baseline',
    });
    expect(updated.body.model_version).toMatchObject({ version: '1', description: 'baseline' });
    expect(
      (await http.patch(`${MLFLOW}/model-versions/update`, { name: 'churn', version: '5', description: 'x' })).status,
    ).toBe(404);

    expect(
      (
        await http.post(`${MLFLOW}/model-versions/set-tag`, {
          name: 'churn',
          version: '1',
          key: 'reviewed',
          value: 'yes',
        })
      ).body,
    ).toEqual({});
    const reserved = await http.post(`${MLFLOW}/model-versions/set-tag`, {
      name: 'churn',
      version: '1',
      key: 'ciclo.approval_status',
      value: 'approved',
    });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await registry.show('churn', 1)).status).toBe('pending');
    expect(
      (await http.get(`${MLFLOW}/model-versions/get`, { name: 'churn', version: 1 })).body.model_version.tags,
    ).toEqual([
      { key: 'reviewed', value: 'yes' },
      { key: 'ciclo.approval_status', value: 'pending' },
    ]);
    // Query-string form of a DELETE, as some clients send it.
    expect(
      (
        await http.delete(`${MLFLOW}/model-versions/delete-tag`, undefined, {
          name: 'churn',
          version: '1',
          key: 'reviewed',
        })
      ).status,
    ).toBe(200);
    expect((await registry.show('churn', 1)).tags).toEqual({});
    expect(
      (await http.delete(`${MLFLOW}/model-versions/delete-tag`, { name: 'churn', version: '1', key: 'reviewed' }))
        .status,
    ).toBe(404);

    await http.post(`${MLFLOW}/registered-models/alias`, { name: 'churn', alias: 'champion', version: '1' });
    await registry.setStage('churn', 'prod', 1);
    expect((await http.delete(`${MLFLOW}/model-versions/delete`, { name: 'churn', version: '1' })).body).toEqual({});
    expect((await http.get(`${MLFLOW}/model-versions/get`, { name: 'churn', version: '1' })).status).toBe(404);
    const model = await registry.getModel('churn');
    expect(model).toMatchObject({ versionCount: 1, latestVersion: 2, aliases: {}, stages: {} });
    expect((await http.delete(`${MLFLOW}/model-versions/delete`, { name: 'churn', version: '1' })).status).toBe(404);
  });

  it('sets, reads by and deletes aliases', async () => {
    const runId = await runWithPackage(server.context, dir);
    await createVersion('churn', runId);
    await createVersion('churn', runId);

    expect(
      (await http.post(`${MLFLOW}/registered-models/alias`, { name: 'churn', alias: 'champion', version: '2' })).body,
    ).toEqual({});
    const byAlias = await http.get(`${MLFLOW}/registered-models/alias`, { name: 'churn', alias: 'champion' });
    expect(byAlias.body.model_version).toMatchObject({ version: '2', aliases: ['champion'] });
    const model = await http.get(`${MLFLOW}/registered-models/get`, { name: 'churn' });
    expect(model.body.registered_model.aliases).toEqual([{ alias: 'champion', version: '2' }]);

    const toMissing = await http.post(`${MLFLOW}/registered-models/alias`, {
      name: 'churn',
      alias: 'champion',
      version: '9',
    });
    expect(toMissing.status).toBe(404);
    const reserved = await http.post(`${MLFLOW}/registered-models/alias`, {
      name: 'churn',
      alias: 'latest',
      version: '1',
    });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error_code).toBe('INVALID_PARAMETER_VALUE');

    expect((await http.delete(`${MLFLOW}/registered-models/alias`, { name: 'churn', alias: 'champion' })).body).toEqual(
      {},
    );
    const gone = await http.get(`${MLFLOW}/registered-models/alias`, { name: 'churn', alias: 'champion' });
    expect(gone.status).toBe(404);
    expect(gone.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const viaQuery = await http.delete(`${MLFLOW}/registered-models/alias`, undefined, {
      name: 'churn',
      alias: 'champion',
    });
    expect(viaQuery.status).toBe(404);
    expect(viaQuery.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('renames a model with its versions, aliases, stages and tags', async () => {
    const runId = await runWithPackage(server.context, dir);
    await http.post(`${MLFLOW}/registered-models/create`, { name: 'churn', tags: [{ key: 'team', value: 'growth' }] });
    await createVersion('churn', runId);
    await createVersion('churn', runId);
    await http.post(`${MLFLOW}/registered-models/alias`, { name: 'churn', alias: 'champion', version: '1' });
    await http.post(`${MLFLOW}/model-versions/set-tag`, { name: 'churn', version: '2', key: 'note', value: 'new' });
    await registry.setStage('churn', 'prod', 1);
    await http.post(`${MLFLOW}/registered-models/create`, { name: 'taken' });

    const clash = await http.post(`${MLFLOW}/registered-models/rename`, { name: 'churn', new_name: 'taken' });
    expect(clash.status).toBe(400);
    expect(clash.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    expect((await http.post(`${MLFLOW}/registered-models/rename`, { name: 'nope', new_name: 'other' })).status).toBe(
      404,
    );

    const renamed = await http.post(`${MLFLOW}/registered-models/rename`, { name: 'churn', new_name: 'attrition' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.registered_model).toMatchObject({
      name: 'attrition',
      tags: [{ key: 'team', value: 'growth' }],
      aliases: [{ alias: 'champion', version: '1' }],
    });
    expect((await http.get(`${MLFLOW}/registered-models/get`, { name: 'churn' })).status).toBe(404);
    const byAlias = await http.get(`${MLFLOW}/registered-models/alias`, { name: 'attrition', alias: 'champion' });
    expect(byAlias.body.model_version).toMatchObject({ name: 'attrition', version: '1', current_stage: 'Production' });
    const versions = await registry.versions('attrition');
    expect(versions.map((v) => [v.version, v.tags, v.stages])).toEqual([
      [1, {}, ['prod']],
      [2, { note: 'new' }, []],
    ]);
    // A new registration continues the numbering under the new name.
    expect((await createVersion('attrition', runId)).version).toBe('3');
  });

  it('answers get-latest-versions per MLflow stage', async () => {
    const runId = await runWithPackage(server.context, dir);
    for (let i = 0; i < 4; i++) await createVersion('churn', runId);
    await registry.setStage('churn', 'prod', 1);
    await registry.setStage('churn', 'staging', 2);
    await registry.setStage('churn', 'dev', 4);

    const all = await http.post(`${MLFLOW}/registered-models/get-latest-versions`, { name: 'churn' });
    expect(
      all.body.model_versions.map((v: { version: string; current_stage: string }) => [v.version, v.current_stage]),
    ).toEqual([
      ['1', 'Production'],
      ['2', 'Staging'],
      ['4', 'None'],
    ]);
    const production = await http.get(`${MLFLOW}/registered-models/get-latest-versions`, {
      name: 'churn',
      stages: ['production'],
    });
    expect(production.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['1']);
    const model = await http.get(`${MLFLOW}/registered-models/get`, { name: 'churn' });
    expect(model.body.registered_model.latest_versions.map((v: { version: string }) => v.version)).toEqual([
      '1',
      '2',
      '4',
    ]);

    const badStage = await http.post(`${MLFLOW}/registered-models/get-latest-versions`, {
      name: 'churn',
      stages: ['Live'],
    });
    expect(badStage.status).toBe(400);
    expect(badStage.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await http.post(`${MLFLOW}/registered-models/get-latest-versions`, { name: 'nope' })).status).toBe(404);
  });

  it('searches registered models and versions with filters, order and page tokens', async () => {
    for (const name of ['alpha', 'beta', 'Churn-EU', 'churn-us', 'gamma'])
      await http.post(`${MLFLOW}/registered-models/create`, { name });
    await http.post(`${MLFLOW}/registered-models/set-tag`, { name: 'beta', key: 'team', value: 'growth' });

    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await http.get(`${MLFLOW}/registered-models/search`, {
        max_results: 2,
        ...(token ? { page_token: token } : {}),
      });
      expect(page.status).toBe(200);
      names.push(...page.body.registered_models.map((m: { name: string }) => m.name));
      token = page.body.next_page_token;
      pages++;
    } while (token !== undefined);
    expect(pages).toBe(3);
    expect(names).toEqual(['Churn-EU', 'alpha', 'beta', 'churn-us', 'gamma']);

    const like = await http.post(`${MLFLOW}/registered-models/search`, { filter: "name LIKE 'churn%'" });
    expect(like.body.registered_models.map((m: { name: string }) => m.name)).toEqual(['churn-us']);
    const ilike = await http.get(`${MLFLOW}/registered-models/search`, { filter: "name ILIKE 'churn%'" });
    expect(ilike.body.registered_models.map((m: { name: string }) => m.name)).toEqual(['Churn-EU', 'churn-us']);
    const byTag = await http.get(`${MLFLOW}/registered-models/search`, { filter: "tags.team = 'growth'" });
    expect(byTag.body.registered_models.map((m: { name: string }) => m.name)).toEqual(['beta']);
    const ordered = await http.get(`${MLFLOW}/registered-models/search`, { order_by: 'name DESC', max_results: 1 });
    expect(ordered.body.registered_models.map((m: { name: string }) => m.name)).toEqual(['gamma']);
    expect(ordered.body.next_page_token).toEqual(expect.any(String));

    const injection = await http.get(`${MLFLOW}/registered-models/search`, { filter: "name = 'x' OR 1=1 --" });
    expect(injection.status).toBe(400);
    expect(injection.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'filter' });
    const literal = await http.get(`${MLFLOW}/registered-models/search`, { filter: "name = 'alpha'' OR ''1''=''1'" });
    expect(literal.status).toBe(200);
    expect(literal.body.registered_models).toEqual([]);
    const badToken = await http.get(`${MLFLOW}/registered-models/search`, { page_token: 'not a token' });
    expect(badToken.status).toBe(400);
    expect(badToken.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'page_token' });
    const tooMany = await http.get(`${MLFLOW}/registered-models/search`, { max_results: 1001 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const badOrder = await http.get(`${MLFLOW}/registered-models/search`, { order_by: 'owner' });
    expect(badOrder.status).toBe(400);

    const first = await runWithPackage(server.context, dir);
    const second = await runWithPackage(server.context, dir, { content: 'forest-2' });
    await createVersion('alpha', first);
    await createVersion('alpha', second);
    await createVersion('beta', second);
    const byRun = await http.get(`${MLFLOW}/model-versions/search`, { filter: `run_id = '${second}'` });
    expect(byRun.body.model_versions.map((v: { name: string; version: string }) => `${v.name}/${v.version}`)).toEqual([
      'alpha/2',
      'beta/1',
    ]);
    const inRuns = await http.post(`${MLFLOW}/model-versions/search`, {
      filter: `name = 'alpha' AND run_id IN ('${first}', '${second}')`,
      max_results: 1,
    });
    expect(inRuns.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['1']);
    const next = await http.post(`${MLFLOW}/model-versions/search`, {
      filter: `name = 'alpha' AND run_id IN ('${first}', '${second}')`,
      max_results: 1,
      page_token: inRuns.body.next_page_token,
    });
    expect(next.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['2']);
    expect(next.body.next_page_token).toBeUndefined();
    const badField = await http.get(`${MLFLOW}/model-versions/search`, { filter: "source LIKE 'x%'" });
    expect(badField.status).toBe(400);
    expect(badField.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('registers a folder logged by an MLflow client (MLmodel, no ciclo-model.json)', async () => {
    const { tracking } = server.context;
    const run = await tracking.createRun({ experimentId: '0' });
    const runId = run.info.runId;
    writeMlmodelFolder(join(dir, 'mlflow-model'));
    await tracking.logArtifactDirectory(runId, join(dir, 'mlflow-model'), 'model');
    writeMlmodelFolder(join(dir, 'plain-model'), { signature: false });
    await tracking.logArtifactDirectory(runId, join(dir, 'plain-model'), 'plain');

    const created = await createVersion('sk', runId);
    expect(created).toMatchObject({ version: '1', status: 'READY', source: `runs:/${runId}/model` });
    const version = await registry.show('sk', 1);
    expect(version.flavor).toBe('mlflow:sklearn');
    expect(version.signature).toEqual({
      inputs: [
        { name: 'age', type: 'double' },
        { name: 'plan', type: 'string', optional: true },
      ],
      outputs: [{ name: 'output_0', type: 'tensor<float64>', shape: [-1] }],
    });
    const files = await tracking.listArtifacts(runId, 'model');
    expect(files.map((f) => f.path).sort()).toEqual(['model/MLmodel', 'model/model.pkl']);
    expect(version.manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);

    await createVersion('sk', runId, `runs:/${runId}/plain`);
    expect((await registry.show('sk', 2)).signature).toEqual({ inputs: [], outputs: [] });
  });

  it('appends an audit entry for every change made over the MLflow routes', async () => {
    const runId = await runWithPackage(server.context, dir);
    await http.post(`${MLFLOW}/registered-models/create`, { name: 'churn' });
    await createVersion('churn', runId);
    await http.post(`${MLFLOW}/registered-models/set-tag`, { name: 'churn', key: 'team', value: 'growth' });
    await http.delete(`${MLFLOW}/registered-models/delete-tag`, { name: 'churn', key: 'team' });
    await http.patch(`${MLFLOW}/registered-models/update`, { name: 'churn', description: 'd' });
    await http.post(`${MLFLOW}/model-versions/set-tag`, { name: 'churn', version: '1', key: 'k', value: 'v' });
    await http.delete(`${MLFLOW}/model-versions/delete-tag`, { name: 'churn', version: '1', key: 'k' });
    await http.patch(`${MLFLOW}/model-versions/update`, { name: 'churn', version: '1', description: 'v1' });
    await http.post(`${MLFLOW}/registered-models/rename`, { name: 'churn', new_name: 'attrition' });
    await http.delete(`${MLFLOW}/model-versions/delete`, { name: 'attrition', version: '1' });
    await http.delete(`${MLFLOW}/registered-models/delete`, { name: 'attrition' });
    // A refused change leaves no entry.
    await http.post(`${MLFLOW}/registered-models/rename`, { name: 'nope', new_name: 'other' });

    const entries = (await server.context.audit.list({ limit: 100 })).filter((e) => e.action.startsWith('model.'));
    expect(entries.map((e) => `${e.action} ${e.target.type}:${e.target.id}`).sort()).toEqual(
      [
        'model.create registered_model:churn',
        'model.register model_version:churn/1',
        'model.tag.set model_tag:churn#team',
        'model.tag.delete model_tag:churn#team',
        'model.update registered_model:churn',
        'model.version.tag.set model_version_tag:churn/1#k',
        'model.version.tag.delete model_version_tag:churn/1#k',
        'model.version.update model_version:churn/1',
        'model.rename registered_model:churn',
        'model.version.delete model_version:attrition/1',
        'model.delete registered_model:attrition',
      ].sort(),
    );
    for (const entry of entries) expect(entry.beforeDigest ?? entry.afterDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await server.context.audit.verify()).ok).toBe(true);
  });
});
