import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelPackage } from '../../src/registry/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { AGE_BANDS, logsOf, metricsOf, runExample, stepNamed, type ExampleRun } from './support.js';

/**
 * The example churn pipeline (examples/churn), run for real on SQLite: five `ts` steps in child
 * processes, logging to the test's store through the SDK, then the built-in `register` and `gate`
 * steps that make the model a registered version approved by examples/churn/policy.yaml.
 */
const EXAMPLE = fileURLToPath(new URL('../../examples/churn', import.meta.url));
// The default size: with fewer rows the test set's age bands are small enough for the noise in their
// positive rates to fail policy.yaml's four-fifths gate.
const PARAMS = { rows: 5000 };
const STEPS = ['generate', 'dedupe', 'clean', 'validate', 'split', 'train', 'evaluate', 'register', 'gate'];

let test: TestContext;
let first: ExampleRun;

beforeAll(async () => {
  test = await openTestContext('sqlite');
  first = await runExample(test.context.pipelines, EXAMPLE, { params: PARAMS, noCache: false });
}, 120_000);

afterAll(async () => {
  await test?.drop();
});

describe('examples/churn', () => {
  it('runs every step to SUCCEEDED', async () => {
    expect(first.status, await logsOf(test.context.pipelines, first)).toBe('SUCCEEDED');
    const statuses = Object.fromEntries(first.steps.map((step) => [step.step_name, step.status]));
    expect(statuses).toEqual(Object.fromEntries(STEPS.map((name) => [name, 'SUCCEEDED'])));
  });

  it('logs the data counts of generate, dedupe, clean and split', async () => {
    const generated = await metricsOf(test.context.tracking, stepNamed(first.steps, 'generate'));
    expect(generated).toMatchObject({ rows: 5000, duplicates_injected: 100 });
    expect(generated.churn_rate).toBeGreaterThan(0.15);
    expect(generated.churn_rate).toBeLessThan(0.45);

    const deduped = await metricsOf(test.context.tracking, stepNamed(first.steps, 'dedupe'));
    expect(deduped).toEqual({ 'rows_in.raw': 5000, 'rows_out.data': 5000 - 100 });

    const cleaned = await metricsOf(test.context.tracking, stepNamed(first.steps, 'clean'));
    expect(cleaned.rows_in).toBe(5000 - 100);
    expect(cleaned.invalid_removed).toBeGreaterThan(0);
    expect(cleaned.rows_out).toBe(5000 - 100 - cleaned.invalid_removed!);

    const validated = await metricsOf(test.context.tracking, stepNamed(first.steps, 'validate'));
    expect(validated).toEqual({ 'expectations.passed': 12, 'expectations.errors': 0, 'expectations.warnings': 0 });

    const split = await metricsOf(test.context.tracking, stepNamed(first.steps, 'split'));
    expect(split['rows_out.train']! + split['rows_out.test']!).toBe(cleaned.rows_out);
    expect(split['rows_out.test']! / cleaned.rows_out!).toBeCloseTo(0.2, 2);
    // Stratified by churned: both parts keep the churn rate.
    const rate = async (part: string) => {
      const table = await readFile(
        path.join(test.context.pipelines.scheduler.stepFolder(first.pipelineRunId, 'split'), 'outputs', part),
        'utf8',
      );
      const [header, ...rows] = table.trim().split('\n');
      const churned = header!.split(',').indexOf('churned');
      return rows.filter((row) => row.split(',')[churned] === '1').length / rows.length;
    };
    expect(await rate('test')).toBeCloseTo(await rate('train'), 2);
  });

  it('trains a model and logs its params', async () => {
    const train = stepNamed(first.steps, 'train');
    const run = await test.context.tracking.getRun(train.run_id!);
    expect(run.data.params).toMatchObject({ trees: '50', max_depth: '6', seed: '42', trainer: 'steps/forest.ts' });
    const packageFolder = path.join(
      test.context.pipelines.scheduler.stepFolder(first.pipelineRunId, 'train'),
      'outputs',
      'model',
    );
    const modelFile = path.join(packageFolder, 'model.json');
    expect((await stat(modelFile)).size).toBeGreaterThan(1000);
    const model = JSON.parse(await readFile(modelFile, 'utf8')) as {
      forest: { trees: unknown[] };
      encoding: { features: unknown[] };
    };
    expect(model.forest.trees).toHaveLength(50);
    expect(model.encoding.features).toHaveLength(14);
    // A model package: the registry's own loader verifies it.
    const { manifest } = await loadModelPackage(packageFolder);
    expect(manifest).toMatchObject({ flavor: 'onnx', entry: 'model.onnx' });
    expect(manifest.files.map((file) => file.path).sort()).toEqual(['model.json', 'model.onnx']);
    expect(manifest.signature.inputs.map((c) => c.name)).toContain('tenure_months');
    expect(JSON.parse(train.output_digests!)).toHaveProperty('model');
  });

  it('evaluates with a sane AUC, per-age-band metrics, a metrics file and the model as an artifact', async () => {
    const evaluate = stepNamed(first.steps, 'evaluate');
    const metrics = await metricsOf(test.context.tracking, evaluate);
    for (const key of ['accuracy', 'precision', 'recall', 'f1', 'auc']) expect(metrics, key).toHaveProperty(key);
    expect(metrics.auc).toBeGreaterThan(0.7);
    expect(metrics.auc).toBeLessThan(0.95);
    for (const band of AGE_BANDS) {
      expect(metrics, band).toHaveProperty(`recall.${band}`);
      expect(metrics, band).toHaveProperty(`positive_rate.${band}`);
      expect(metrics[`rows.${band}`]).toBeGreaterThan(0);
    }
    const file = path.join(
      test.context.pipelines.scheduler.stepFolder(first.pipelineRunId, 'evaluate'),
      'outputs',
      'metrics',
    );
    const written = JSON.parse(await readFile(file, 'utf8')) as { metrics: Record<string, number> };
    expect(written.metrics.auc).toBe(metrics.auc);
    const artifacts = await test.context.tracking.listArtifacts(evaluate.run_id!);
    expect(artifacts.map((entry) => entry.path)).toContain('model.json');
  });

  it('logs the fairness gaps between age bands', async () => {
    const metrics = await metricsOf(test.context.tracking, stepNamed(first.steps, 'evaluate'));
    expect(metrics['fairness.age_band.disparate_impact_ratio']).toBeGreaterThan(0.8);
    expect(metrics['fairness.age_band.disparate_impact_ratio']).toBeLessThanOrEqual(1);
    expect(metrics['fairness.age_band.demographic_parity_difference']).toBeLessThan(0.1);
    expect(metrics['fairness.age_band.equal_opportunity_difference']).toBeLessThan(0.1);
  });

  it('registers the model with the evaluation in its snapshot; policy.yaml approves it as churn@champion', async () => {
    const registry = test.context.registry;
    const champion = await registry.resolve('churn@champion');
    const evaluation = await metricsOf(test.context.tracking, stepNamed(first.steps, 'evaluate'));
    expect(champion).toMatchObject({
      version: 1,
      status: 'approved',
      flavor: 'onnx',
      runId: stepNamed(first.steps, 'register').run_id,
    });
    expect(champion.metrics.auc).toBe(evaluation.auc);
    expect(champion.metrics['fairness.age_band.disparate_impact_ratio']).toBe(
      evaluation['fairness.age_band.disparate_impact_ratio'],
    );
    expect(champion.lineage.pipeline_run).toBe(first.pipelineRunId);

    const approvals = test.context.approvals;
    const [gates] = await approvals.gateResults('churn', 1);
    expect(gates!.passed).toBe(true);
    expect(gates!.results.map((r) => r.gate)).toEqual([
      'metric:accuracy',
      'metric:auc',
      'champion:auc',
      'fairness:age_band.disparate_impact_ratio',
      'fairness:age_band.demographic_parity_difference',
      'fairness:age_band.equal_opportunity_difference',
      'data_validation',
    ]);
    expect(await approvals.history('churn', 1)).toEqual([
      expect.objectContaining({ decision: 'approved', actor: 'policy:churn', automatic: true }),
    ]);
    const decision = path.join(
      test.context.pipelines.scheduler.stepFolder(first.pipelineRunId, 'gate'),
      'outputs',
      'decision',
    );
    expect(JSON.parse(await readFile(decision, 'utf8'))).toMatchObject({
      model: 'churn',
      version: 1,
      status: 'approved',
      alias: 'champion',
    });
  });

  it('gives byte-identical outputs when run again without the cache', async () => {
    const second = await runExample(test.context.pipelines, EXAMPLE, { params: PARAMS, noCache: true });
    expect(second.status, await logsOf(test.context.pipelines, second)).toBe('SUCCEEDED');
    expect(second.steps.every((step) => step.status === 'SUCCEEDED')).toBe(true);
    const digests = (run: typeof first) =>
      Object.fromEntries(
        run.steps.map((step) => [step.step_name, JSON.parse(step.output_digests ?? 'null') as unknown]),
      );
    expect(digests(second)).toEqual(digests(first));
    expect(Object.keys(digests(first).evaluate as object)).toEqual(['metrics']);
  }, 120_000);
});
