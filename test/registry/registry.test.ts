import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorruptArtifactError, InvalidInputError, InvalidStateError, NotFoundError } from '../../src/common/errors.js';
import { type RegistryService } from '../../src/registry/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { cicloErrorOf } from '../support/errors.js';
import { SIGNATURE, writePackage } from './support.js';

describe.each(DIALECTS)('model registry on %s', (dialect) => {
  let test: TestContext;
  let registry: RegistryService;
  beforeEach(async () => {
    test = await openTestContext(dialect);
    registry = test.context.registry;
  });
  afterEach(async () => {
    await test.drop();
  });

  /** A tracked run that logged a package under `model/`, with metrics, a commit, a dataset input. */
  async function trainedRun(content = 'forest-1', options: { parentRunId?: string } = {}): Promise<string> {
    const { tracking } = test.context;
    const experiment = await tracking.getOrCreateExperiment('churn');
    const run = await tracking.createRun({
      experimentId: experiment.experimentId,
      ...(options.parentRunId ? { parentRunId: options.parentRunId } : {}),
    });
    const runId = run.info.runId;
    await tracking.logBatch(runId, {
      metrics: [
        { key: 'auc', value: 0.8, step: 0 },
        { key: 'auc', value: 0.91, step: 1 },
        { key: 'loss', value: 0.3 },
      ],
      tags: [{ key: 'mlflow.source.git.commit', value: 'a'.repeat(40) }],
    });
    await tracking.logInputs(runId, [
      {
        name: 'customers',
        digest: 'sha256:' + 'b'.repeat(64),
        context: 'training',
        sourceType: 'ciclo',
        source: 'customers@1',
      },
    ]);
    const folder = join(test.dir, `pkg-${content}`);
    await writePackage(folder, content);
    await tracking.logArtifactDirectory(runId, folder, 'model');
    return runId;
  }

  it('registers versions 1 and 2 with flavor, signature, metrics snapshot, lineage, tags and description', async () => {
    const first = await trainedRun('forest-1');
    const v1 = await registry.register('churn', {
      runId: first,
      path: 'model/',
      description: 'first forest',
      tags: { team: 'growth' },
    });
    expect(v1).toMatchObject({
      name: 'churn',
      version: 1,
      runId: first,
      source: 'model',
      flavor: 'ml-random-forest',
      signature: SIGNATURE,
      metrics: { auc: 0.91, loss: 0.3 },
      lineage: {
        run: first,
        pipeline_run: null,
        git_commit: 'a'.repeat(40),
        datasets: [{ name: 'customers', digest: 'sha256:' + 'b'.repeat(64), context: 'training' }],
      },
      description: 'first forest',
      status: 'pending',
      tags: { team: 'growth' },
      aliases: [],
      stages: [],
    });
    expect(v1.manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);

    // The snapshot does not follow the run afterwards.
    await test.context.tracking.logMetric(first, { key: 'auc', value: 0.5, step: 9 });
    const v2 = await registry.register('churn', { runId: await trainedRun('forest-2'), path: 'model' });
    expect(v2.version).toBe(2);
    expect((await registry.show('churn', 1)).metrics.auc).toBe(0.91);
    expect((await registry.resolve('churn')).version).toBe(2);
    expect((await registry.resolve('churn/1')).description).toBe('first forest');
    expect((await registry.versions('churn')).map((v) => v.version)).toEqual([1, 2]);

    const [model] = await registry.list();
    expect(model).toMatchObject({ name: 'churn', latestVersion: 2, versionCount: 2 });
  });

  it('numbers concurrent registrations without gaps or duplicates', async () => {
    const runId = await trainedRun();
    const versions = await Promise.all(
      Array.from({ length: 6 }, () => registry.register('racy', { runId, path: 'model' })),
    );
    expect(versions.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('records the pipeline run of a step run', async () => {
    const { tracking } = test.context;
    const experiment = await tracking.getOrCreateExperiment('churn');
    const pipelineRun = await tracking.createRun({ experimentId: experiment.experimentId });
    const now = Date.now();
    await test.context.database.db
      .insertInto('pipeline_runs')
      .values({
        id: pipelineRun.info.runId,
        pipeline_name: 'churn',
        definition: '{}',
        definition_digest: 'sha256:' + 'c'.repeat(64),
        params: '{}',
        work_dir: test.dir,
        environment: null,
        trigger: null,
        no_cache: 0,
        status: 'SUCCEEDED',
        created_time: now,
        updated_time: now,
        lease_owner: null,
        lease_expires_at: null,
        source_file: null,
        git_commit: null,
        trigger_name: null,
        reproduces_run_id: null,
      })
      .execute();
    const step = await trainedRun('forest-1', { parentRunId: pipelineRun.info.runId });
    const version = await registry.register('churn', { runId: step, path: 'model' });
    expect(version.lineage.pipeline_run).toBe(pipelineRun.info.runId);
  });

  it('refuses a run without a package, and a package whose artifacts do not match its manifest', async () => {
    const runId = await trainedRun();
    const none = await cicloErrorOf(registry.register('churn', { runId, path: 'elsewhere' }));
    expect(none).toBeInstanceOf(NotFoundError);
    expect(none.message).toContain('has no artifact elsewhere/ciclo-model.json');

    // Overwrite one file of the logged package: its digest no longer matches the manifest.
    const changed = join(test.dir, 'changed.bin');
    writeFileSync(changed, 'tampered');
    await test.context.tracking.logArtifactFile(runId, changed, 'model/weights/w.bin');
    const tampered = await cicloErrorOf(registry.register('churn', { runId, path: 'model' }));
    expect(tampered).toBeInstanceOf(CorruptArtifactError);
    expect(tampered.details.where).toBe('weights/w.bin');

    const other = await trainedRun('forest-2');
    await test.context.tracking.logArtifactFile(other, changed, 'model/extra.txt');
    const extra = await cicloErrorOf(registry.register('churn', { runId: other, path: 'model' }));
    expect(extra).toBeInstanceOf(InvalidInputError);
    expect(extra.details.where).toBe('extra.txt');

    expect(await cicloErrorOf(registry.register('churn', { runId: 'nope', path: 'model' }))).toBeInstanceOf(
      NotFoundError,
    );
    expect((await cicloErrorOf(registry.register('bad@name', { runId, path: 'model' }))).details.where).toBe('name');
    expect(await registry.list()).toEqual([]);
  });

  it('sets, moves, resolves and deletes aliases; refuses a rejected version', async () => {
    const runId = await trainedRun();
    await registry.register('churn', { runId, path: 'model' });
    await registry.register('churn', { runId, path: 'model' });
    await registry.register('churn', { runId, path: 'model' });

    expect(await registry.setAlias('churn', 'champion', 1)).toEqual({ previous: null });
    expect((await registry.resolve('churn@champion')).version).toBe(1);
    expect(await registry.setAlias('churn', 'champion', 2)).toEqual({ previous: 1 });
    expect((await registry.resolve('churn@champion')).version).toBe(2);
    expect((await registry.show('churn', 2)).aliases).toEqual(['champion']);
    expect((await registry.getModel('churn')).aliases).toEqual({ champion: 2 });

    await test.context.database.db
      .updateTable('model_versions')
      .set({ status: 'rejected' })
      .where('name', '=', 'churn')
      .where('version', '=', 3)
      .execute();
    const rejected = await cicloErrorOf(registry.setAlias('churn', 'champion', 3));
    expect(rejected).toBeInstanceOf(InvalidStateError);
    expect(rejected.details.where).toBe('churn/3');
    expect((await registry.resolve('churn@champion')).version).toBe(2);

    expect(await cicloErrorOf(registry.setAlias('churn', 'champion', 9))).toBeInstanceOf(NotFoundError);
    expect(await cicloErrorOf(registry.setAlias('nomodel', 'champion', 1))).toBeInstanceOf(NotFoundError);
    expect((await cicloErrorOf(registry.setAlias('churn', 'latest', 1))).details.where).toBe('alias');
    expect((await cicloErrorOf(registry.setAlias('churn', 'v2', 1))).details.where).toBe('alias');

    await registry.deleteAlias('churn', 'champion');
    const gone = await cicloErrorOf(registry.resolve('churn@champion'));
    expect(gone).toBeInstanceOf(NotFoundError);
    expect(gone.message).toContain("no alias 'champion'");
    expect(await cicloErrorOf(registry.deleteAlias('churn', 'champion'))).toBeInstanceOf(NotFoundError);
    expect(await cicloErrorOf(registry.resolve('churn/x'))).toBeInstanceOf(InvalidInputError);
    expect(await cicloErrorOf(registry.resolve('ghost'))).toBeInstanceOf(NotFoundError);
  });

  it('keeps one version per environment', async () => {
    const runId = await trainedRun();
    await registry.register('churn', { runId, path: 'model' });
    await registry.register('churn', { runId, path: 'model' });
    expect(await registry.setStage('churn', 'staging', 1)).toEqual({ previous: null });
    await registry.setStage('churn', 'prod', 1);
    expect(await registry.setStage('churn', 'staging', 2)).toEqual({ previous: 1 });
    expect((await registry.getModel('churn')).stages).toEqual({ staging: 2, prod: 1 });
    expect((await registry.show('churn', 1)).stages).toEqual(['prod']);
    expect((await cicloErrorOf(registry.setStage('churn', 'qa', 1))).details.where).toBe('environment');
    await test.context.database.db
      .updateTable('model_versions')
      .set({ status: 'rejected' })
      .where('version', '=', 2)
      .execute();
    expect(await cicloErrorOf(registry.setStage('churn', 'prod', 2))).toBeInstanceOf(InvalidStateError);
  });

  it('searches by name pattern, ignoring case', async () => {
    const runId = await trainedRun();
    for (const name of ['churn-forest', 'Churn-Linear', 'fraud'])
      await registry.register(name, { runId, path: 'model' });
    expect((await registry.search({ nameLike: 'churn%' })).map((m) => m.name).sort()).toEqual([
      'Churn-Linear',
      'churn-forest',
    ]);
    expect((await registry.search({ nameLike: '%au%' })).map((m) => m.name)).toEqual(['fraud']);
    expect((await registry.list()).map((m) => m.name)).toHaveLength(3);
  });
});
