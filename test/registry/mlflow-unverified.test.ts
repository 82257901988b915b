import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withActor } from '../../src/governance/index.js';
import { type RegistryService } from '../../src/registry/index.js';
import { DIALECTS } from '../support/databases.js';
import { api } from '../server/http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { runWithPackage, writePackage } from './support.js';

const MLFLOW = '/api/2.0/mlflow';
const CALLERS = ['viewer', 'editor', 'approver'] as const;
type Caller = (typeof CALLERS)[number];
const UNVERIFIED = { key: 'ciclo.package_status', value: 'unverified' };

/**
 * Where Ciclo used to be stricter than MLflow: `model-versions/create` from files without a package
 * (accepted, marked unverified, never approved), and `model-versions/transition-stage` (mapped onto
 * Ciclo's per-environment stages, governed as the native stage route).
 */
describe.each(DIALECTS)('MLflow versions without a package, and transition-stage (%s)', (dialect) => {
  let server: TestServer;
  let registry: RegistryService;
  const tokens = {} as Record<Caller, string>;
  const as = (caller: Caller) => api(server.url, { authorization: `Bearer ${tokens[caller]}` });

  beforeAll(async () => {
    server = await startTestServer(dialect, { auth: true });
    registry = server.context.registry;
    const { access } = server.context;
    for (const caller of CALLERS) {
      await access.createUser(caller);
      await access.grant('default', caller, caller);
      tokens[caller] = (await access.createToken(caller)).token;
    }
  });
  afterAll(async () => server?.stop());

  /** A run that logged `weights/w.bin` and nothing a package is made of; returns its id. */
  async function runWithLooseFiles(): Promise<string> {
    const { tracking } = server.context;
    const experiment = await tracking.getOrCreateExperiment('loose');
    const run = await tracking.createRun({ experimentId: experiment.experimentId });
    await tracking.logBatch(run.info.runId, { metrics: [{ key: 'auc', value: 0.93 }] });
    const folder = join(server.context.config.home, `loose-${run.info.runId}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'w.bin'), 'weights logged the client’s own way');
    await tracking.logArtifactDirectory(run.info.runId, folder, 'weights');
    return run.info.runId;
  }

  /** As mlflow.register_model: the model first, then the version, by the editor. */
  async function createVersion(name: string, source: string) {
    const model = await as('editor').post(`${MLFLOW}/registered-models/create`, { name });
    expect([200, 400]).toContain(model.status);
    return as('editor').post(`${MLFLOW}/model-versions/create`, { name, source });
  }

  const transition = (caller: Caller, name: string, version: string, stage: string) =>
    as(caller).post(`${MLFLOW}/model-versions/transition-stage`, {
      name,
      version,
      stage,
      archive_existing_versions: false,
    });

  it('accepts a package-less source as MLflow does, marked by the read-only tag ciclo.package_status', async () => {
    const runId = await runWithLooseFiles();
    const created = await createVersion('loose', `runs:/${runId}/weights`);
    expect(created.status).toBe(200);
    expect(created.body.model_version).toMatchObject({
      version: '1',
      source: `runs:/${runId}/weights`,
      status: 'READY',
      tags: [{ key: 'ciclo.approval_status', value: 'pending' }, UNVERIFIED],
    });
    // MLflow does not check that the folder exists: its files may be uploaded after.
    const notYet = await createVersion('loose', `runs:/${runId}/uploaded-later`);
    expect(notYet.status).toBe(200);
    expect(notYet.body.model_version.tags).toContainEqual(UNVERIFIED);

    const native = await as('viewer').get('/api/v1/models/loose/versions/1');
    expect(native.body).toMatchObject({
      source: 'weights',
      manifest_digest: null,
      flavor: 'unknown',
      signature: { inputs: [], outputs: [] },
    });

    for (const answer of [
      await as('editor').post(`${MLFLOW}/model-versions/set-tag`, {
        name: 'loose',
        version: '1',
        key: 'ciclo.package_status',
        value: 'verified',
      }),
      await as('editor').delete(`${MLFLOW}/model-versions/delete-tag`, {
        name: 'loose',
        version: '1',
        key: 'ciclo.package_status',
      }),
      await as('editor').put('/api/v1/models/loose/versions/1/tags/ciclo.package_status', { value: 'verified' }),
    ]) {
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({
        error_code: 'INVALID_PARAMETER_VALUE',
        where: 'key',
        message: expect.stringContaining("'ciclo.package_status' is read-only"),
      });
    }
    expect((await registry.show('loose', 1)).tags).toEqual({});
    expect(
      (await as('viewer').get(`${MLFLOW}/model-versions/get`, { name: 'loose', version: '1' })).body.model_version.tags,
    ).toContainEqual(UNVERIFIED);

    // Only MLflow's route is lenient: the native route still requires a package.
    const strict = await as('editor').post('/api/v1/models/loose/versions', { run_id: runId, path: 'weights' });
    expect(strict.status).toBe(404);
    expect(strict.body).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST', where: 'path' });

    // A version without a package names no blob: fsck finds nothing missing for it.
    const report = await server.context.integrity.fsck();
    expect(report.missing).toEqual([]);
    expect(report.corrupt).toEqual([]);
  });

  it(
    'refuses to approve a version without a verified package, saying why; ' +
      'a later version with a package is approvable',
    async () => {
      const runId = await runWithLooseFiles();
      await createVersion('unpackaged', `runs:/${runId}/weights`);

      const refused = await as('approver').post('/api/v1/models/unpackaged/versions/1/approve', { comment: 'ship it' });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error_code: 'INVALID_STATE', where: 'unpackaged/1' });
      expect(refused.body.message).toContain('unpackaged/1 has no verified package');
      expect(refused.body.message).toContain(`run ${runId}: weights/`);
      expect(refused.body.hint).toContain('register that folder again as a new version');
      expect((await registry.show('unpackaged', 1)).status).toBe('pending');
      const [audit] = await server.context.audit.list({ action: 'model.approve.refused' });
      expect(audit).toMatchObject({ target: { type: 'model_version', id: 'unpackaged/1' } });

      const folder = join(server.context.config.home, `package-${runId}`);
      await writePackage(folder);
      await server.context.tracking.logArtifactDirectory(runId, folder, 'model');
      const packaged = await createVersion('unpackaged', `runs:/${runId}/model`);
      expect(packaged.body.model_version.tags).toEqual([{ key: 'ciclo.approval_status', value: 'pending' }]);
      const approved = await as('approver').post('/api/v1/models/unpackaged/versions/2/approve', {});
      expect(approved.status).toBe(200);
      expect((await registry.show('unpackaged', 2)).status).toBe('approved');

      // Rejecting needs no package.
      expect((await as('approver').post('/api/v1/models/unpackaged/versions/1/reject', {})).status).toBe(200);
    },
  );

  it('does not auto-approve a version without a verified package, even when every gate passed', async () => {
    const runId = await runWithLooseFiles();
    await createVersion('auto', `runs:/${runId}/weights`);
    const approvals = server.context.approvals;
    const outcome = await withActor({ actor: 'approver' }, async () => {
      await approvals.setPolicy('auto', 'metrics:\n  auc: { min: 0.5 }\nauto_approve: true\n');
      const evaluation = await approvals.evaluateGates('auto', 1);
      expect(evaluation.passed).toBe(true);
      return approvals.autoApprove(evaluation);
    });
    expect(outcome.outcome).toBeUndefined();
    expect(outcome.reason).toBe('auto/1 has no verified package (registered over MLflow without one)');
    expect((await registry.show('auto', 1)).status).toBe('pending');
  });

  it('maps transition-stage onto the stages: Production, Staging, None and Archived', async () => {
    const runId = await runWithPackage(server.context, server.context.config.home);
    await createVersion('staged', `runs:/${runId}/model`);
    await createVersion('staged', `runs:/${runId}/model`);
    const stages = async () => (await registry.getModel('staged')).stages;

    const toProduction = await transition('editor', 'staged', '1', 'Production');
    expect(toProduction.status).toBe(200);
    expect(toProduction.body.model_version).toMatchObject({
      name: 'staged',
      version: '1',
      current_stage: 'Production',
    });
    expect(await stages()).toEqual({ prod: 1 });

    // One version per environment: the previous holder is replaced (archive_existing_versions has no say).
    expect((await transition('editor', 'staged', '2', 'production')).body.model_version.current_stage).toBe(
      'Production',
    );
    expect(await stages()).toEqual({ prod: 2 });
    expect(
      (await as('viewer').get(`${MLFLOW}/model-versions/get`, { name: 'staged', version: '1' })).body.model_version
        .current_stage,
    ).toBe('None');

    // Staging takes the version out of prod, so that it reads as Staging.
    expect((await transition('editor', 'staged', '2', 'Staging')).body.model_version.current_stage).toBe('Staging');
    expect(await stages()).toEqual({ staging: 2 });

    // None leaves dev, which MLflow does not see, as it was.
    await registry.setStage('staged', 'dev', 2);
    expect((await transition('editor', 'staged', '2', 'None')).body.model_version.current_stage).toBe('None');
    expect(await stages()).toEqual({ dev: 2 });

    await transition('editor', 'staged', '1', 'Production');
    const archived = await as('editor').post(`/ajax-api/2.0/mlflow/model-versions/transition-stage`, {
      name: 'staged',
      version: '1',
      stage: 'Archived',
    });
    expect(archived.status).toBe(200);
    expect(archived.body.model_version.current_stage).toBe('None');
    expect(await stages()).toEqual({ dev: 2 });

    const entries = (await server.context.audit.list({ limit: 1000 })).filter((e) => e.target.id.startsWith('staged:'));
    expect(entries.map((e) => `${e.action} ${e.target.id}`)).toEqual(
      expect.arrayContaining([
        'model.stage.set staged:prod',
        'model.stage.set staged:staging',
        'model.stage.delete staged:prod',
        'model.stage.delete staged:staging',
      ]),
    );

    const badStage = await transition('editor', 'staged', '1', 'Live');
    expect(badStage.status).toBe(400);
    expect(badStage.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'stage' });
    expect((await transition('editor', 'staged', '9', 'Production')).status).toBe(404);
    expect((await transition('editor', 'staged', '9', 'None')).status).toBe(404);
    expect((await transition('editor', 'nope', '1', 'Staging')).status).toBe(404);
  });

  it('refuses a rejected version as the native stage route does, and lets one be moved out', async () => {
    const runId = await runWithPackage(server.context, server.context.config.home);
    await createVersion('judged', `runs:/${runId}/model`);
    await transition('editor', 'judged', '1', 'Staging');
    expect(
      (await as('approver').post('/api/v1/models/judged/versions/1/reject', { comment: 'leaks labels' })).status,
    ).toBe(200);

    const viaMlflow = await transition('editor', 'judged', '1', 'Production');
    const native = await as('editor').put('/api/v1/models/judged/stages/prod', { version: 1 });
    expect(viaMlflow.status).toBe(400);
    expect(viaMlflow.body).toMatchObject({
      error_code: 'INVALID_STATE',
      where: 'judged/1',
      message: 'judged/1 was rejected; stage prod cannot point at it',
    });
    expect(native.status).toBe(400);
    expect({ ...native.body, request_id: undefined }).toEqual({ ...viaMlflow.body, request_id: undefined });
    expect(await registry.getModel('judged')).toMatchObject({ stages: { staging: 1 } });

    const out = await transition('editor', 'judged', '1', 'Archived');
    expect(out.status).toBe(200);
    expect((await registry.getModel('judged')).stages).toEqual({});
  });

  it('answers 403 to a viewer, who cannot change stages', async () => {
    const runId = await runWithPackage(server.context, server.context.config.home);
    await createVersion('guarded', `runs:/${runId}/model`);
    const denied = await transition('viewer', 'guarded', '1', 'Production');
    expect(denied.status).toBe(403);
    expect(denied.body.error_code).toBe('PERMISSION_DENIED');
    expect((await registry.getModel('guarded')).stages).toEqual({});
  });
});
