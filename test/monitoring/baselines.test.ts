import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataEngine, readFilesSql } from '../../src/data/index.js';
import { NotFoundError } from '../../src/common/errors.js';
import { frameOf } from '../../src/serving/index.js';
import { DIALECTS } from '../support/databases.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { age, blobFile } from '../artifacts/blob-files.js';
import {
  COLUMN_SIGNATURE,
  expectedScore,
  perColumnGraph,
  registerPackage,
  writeServingPackage,
} from '../serving/support.js';

const DAY = 86_400_000;

/** Rows of a, b and a label; `a` and `b` are what the test model (score = 2a + b) reads. */
function writeRows(file: string, rows: number, seed: number): void {
  const lines = ['id,a,b,label'];
  for (let i = 0; i < rows; i++) {
    const a = ((i * 7 + seed) % 13) / 4;
    const b = ((i * 3 + seed) % 5) - 2;
    lines.push(`${i},${a},${b},${(i + seed) % 2}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

describe.each(DIALECTS)('model baselines (%s)', (dialect) => {
  let test: TestContext;

  beforeEach(async () => {
    test = await openTestContext(dialect);
    writeRows(join(test.dir, 'train.csv'), 40, 1);
    writeRows(join(test.dir, 'test.csv'), 25, 2);
    await test.context.datasets.register('toy-train', join(test.dir, 'train.csv'));
    await test.context.datasets.register('toy-test', join(test.dir, 'test.csv'));
  });
  afterEach(async () => {
    await test?.drop();
  });

  /** A run that read toy-train (training) and toy-test (evaluation) and logged the package, registered as `name`. */
  async function registerWithLineage(name: string, files: Record<string, Uint8Array | string>): Promise<number> {
    const { tracking, datasets, registry } = test.context;
    const folder = join(test.dir, `package-${name}`);
    await writeServingPackage(folder, files, { flavor: 'onnx', entry: 'model.onnx', signature: COLUMN_SIGNATURE });
    const experiment = await tracking.getOrCreateExperiment('baselines');
    const run = await tracking.createRun({ experimentId: experiment.experimentId });
    await datasets.logInput(run.info.runId, 'toy-train', 'training');
    await datasets.logInput(run.info.runId, 'toy-test', 'evaluation');
    await tracking.logArtifactDirectory(run.info.runId, folder, 'model');
    return (await registry.register(name, { runId: run.info.runId, path: 'model' })).version;
  }

  it("stores a registered version's lineage datasets with their roles and profiles, and its predictions", async () => {
    const version = await registerWithLineage('toy', { 'model.onnx': perColumnGraph() });
    await test.context.baselines.settled();

    const baseline = await test.context.baselines.get('toy', version);
    expect(baseline).toMatchObject({ model: 'toy', version, source: 'lineage', predictionsError: null });
    expect(baseline.datasets.map((dataset) => [dataset.role, dataset.name, dataset.version])).toEqual([
      ['training', 'toy-train', 1],
      ['evaluation', 'toy-test', 1],
    ]);
    const stored = await test.context.datasets.show('toy-train@1');
    expect(baseline.datasets[0]!.profile).toEqual(stored.profile);
    expect(baseline.datasets[0]!.profile?.rowCount).toBe(40);
    expect(baseline.datasets[1]!.digest).toBe((await test.context.datasets.show('toy-test@1')).digest);

    const engine = await DataEngine.open({ threads: 1 });
    const model = await test.context.serving.load(`toy/${version}`);
    try {
      const view = await test.context.baselines.predictionsRelation(engine, baseline);
      expect(view).not.toBeNull();
      const rows = await engine.all(`SELECT id, a, b, label, prediction FROM ${view!} ORDER BY id`);
      expect(rows).toHaveLength(25);
      const scored = await model.score(
        frameOf(rows.length, [
          ['a', rows.map((row) => row.a as number)],
          ['b', rows.map((row) => row.b as number)],
        ]),
      );
      expect(rows.map((row) => row.prediction)).toEqual(scored.columns.get('score'));
      expect(rows.map((row) => row.prediction)).toEqual(
        rows.map((row) => expectedScore(row.a as number, row.b as number)),
      );

      const predictions = rows.map((row) => row.prediction as number);
      const mean = predictions.reduce((sum, value) => sum + value, 0) / predictions.length;
      expect(baseline.predictions).toMatchObject({
        dataset: 'toy-test@1',
        output: 'score',
        column: 'prediction',
        rows: 25,
      });
      expect(baseline.predictions?.mean).toBeCloseTo(mean, 10);
      expect(baseline.predictions?.min).toBe(Math.min(...predictions));
      expect(baseline.predictions?.quantiles?.p50).toBeDefined();

      const training = await test.context.baselines.trainingRelation(engine, baseline);
      const local = await test.context.datasets.resolve('toy-train@1');
      const [fromView] = await engine.all(`SELECT count(*) AS n, sum(a) AS a FROM ${training}`);
      const [fromFiles] = await engine.all(
        `SELECT count(*) AS n, sum(a) AS a FROM ${readFilesSql(local.files, local.format)}`,
      );
      expect(fromView).toEqual(fromFiles);
      expect(fromView!.n).toBe(40);
    } finally {
      engine.close();
      await model.close();
    }
  });

  it('keeps the predictions blob through gc and names it to fsck', async () => {
    const version = await registerWithLineage('toy', { 'model.onnx': perColumnGraph() });
    await test.context.baselines.settled();
    const { predictionsDigest } = await test.context.baselines.get('toy', version);
    expect(predictionsDigest).toMatch(/^sha256:/);
    const root = test.config.artifactRoot;
    age(root, predictionsDigest!, 2 * DAY);

    const report = await test.context.integrity.gc({ olderThanMs: DAY, dryRun: false });
    expect(report.deleted.map((blob) => blob.digest)).not.toContain(predictionsDigest);
    expect(existsSync(blobFile(root, predictionsDigest!))).toBe(true);
    expect((await test.context.integrity.fsck()).unreferenced.map((blob) => blob.digest)).not.toContain(
      predictionsDigest,
    );
  });

  it('registers a version whose model fails to load, with a baseline without predictions that says why', async () => {
    const version = await registerWithLineage('broken', { 'model.onnx': 'not an ONNX graph' });
    expect((await test.context.registry.show('broken', version)).version).toBe(1);
    await test.context.baselines.settled();

    const baseline = await test.context.baselines.get('broken', version);
    expect(baseline.datasets.map((dataset) => dataset.role)).toEqual(['training', 'evaluation']);
    expect(baseline.predictions).toBeNull();
    expect(baseline.predictionsDigest).toBeNull();
    expect(baseline.predictionsError).toMatch(/^the model failed to load: /);
  });

  it('gives a version without lineage no baseline until its datasets are named by hand', async () => {
    const folder = join(test.dir, 'package-plain');
    await writeServingPackage(
      folder,
      { 'model.onnx': perColumnGraph() },
      { flavor: 'onnx', entry: 'model.onnx', signature: COLUMN_SIGNATURE },
    );
    const version = await registerPackage(test.context, 'plain', folder);
    await test.context.baselines.settled();
    await expect(test.context.baselines.get('plain', version)).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'plain/1 has no baseline',
    });

    await expect(
      test.context.baselines.setExplicit('plain', version, { training: 'toy-train@7' }, 'alice'),
    ).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST', details: { where: 'training' } });
    await expect(
      test.context.baselines.setExplicit('plain', 9, { training: 'toy-train@1' }, 'alice'),
    ).rejects.toBeInstanceOf(NotFoundError);

    const set = await test.context.baselines.setExplicit(
      'plain',
      version,
      { training: 'toy-train@1', evaluation: 'toy-test' },
      'alice',
    );
    expect(set).toMatchObject({ source: 'explicit', createdBy: 'alice', predictionsError: null });
    const baseline = await test.context.baselines.get('plain', version);
    expect(baseline.datasets.map((dataset) => [dataset.role, `${dataset.name}@${dataset.version}`])).toEqual([
      ['training', 'toy-train@1'],
      ['evaluation', 'toy-test@1'],
    ]);
    expect(baseline.predictions?.rows).toBe(25);
    const engine = await DataEngine.open({ threads: 1 });
    try {
      const view = await test.context.baselines.predictionsRelation(engine, baseline);
      const [check] = await engine.all(`SELECT count(*) AS n, max(abs(prediction - (2 * a + b))) AS off FROM ${view!}`);
      expect(check).toEqual({ n: 25, off: 0 });
    } finally {
      engine.close();
    }
    const audit = await test.context.audit.list({ action: 'model.baseline.set' });
    expect(audit.map((entry) => [entry.actor, entry.target])).toEqual([
      ['alice', { type: 'model_version', id: 'plain/1' }],
    ]);

    // Only a training set: a baseline without predictions, saying there was nothing to score.
    const trainingOnly = await test.context.baselines.setExplicit('plain', version, { training: 'toy-train' }, 'bob');
    expect(trainingOnly).toMatchObject({ predictions: null, predictionsError: 'no evaluation dataset' });
    await expect(test.context.baselines.setExplicit('plain', version, { training: '' }, 'bob')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
  });
});
