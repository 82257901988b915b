import { execFileSync } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineService, builtinExecutors } from '../../src/pipelines/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { AGE_BANDS, logsOf, metricsOf, runExample, stepNamed, type ExampleRun } from './support.js';
import { stepRuntimes } from '../../src/app/step-kinds.js';

/**
 * The example churn pipeline with Python steps (examples/sklearn), run for real against a tracking
 * server: its PipelineService passes the server's URL to the steps as CICLO_TRACKING_URI, so the
 * metrics asserted here came in over POST /api/2.0/mlflow/runs/log-batch (steps/ciclo_log.py).
 */
const EXAMPLE = fileURLToPath(new URL('../../examples/sklearn', import.meta.url));
const PYTHON = '/usr/bin/python3';
const PARAMS = { rows: 2000 };
const STEPS = ['generate', 'clean', 'split', 'train', 'evaluate'];

let server: TestServer;
let pipelines: PipelineService;
let first: ExampleRun;

/** Fails (never skips) when the Python side is missing: CI installs python3-sklearn (the steps need no pandas). */
function requirePythonStack(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import sklearn, numpy'], { stdio: 'pipe' });
  } catch (error) {
    const detail = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? (error as Error).message;
    throw new Error(
      `examples/sklearn needs ${PYTHON} with scikit-learn and numpy (apt-get install python3-sklearn): ${detail}`,
      { cause: error },
    );
  }
}

beforeAll(async () => {
  requirePythonStack();
  server = await startTestServer('sqlite');
  const { config, database, tracking } = server.context;
  pipelines = new PipelineService({
    db: database.db,
    tracking,
    executors: builtinExecutors(config, stepRuntimes()),
    home: config.home,
    trackingUri: server.url,
  });
  first = await runExample(pipelines, EXAMPLE, { params: PARAMS, noCache: false });
}, 120_000);

afterAll(async () => {
  await pipelines?.close();
  await server?.stop();
});

describe('examples/sklearn', () => {
  it('runs every step to SUCCEEDED', async () => {
    expect(first.status, await logsOf(pipelines, first)).toBe('SUCCEEDED');
    const statuses = Object.fromEntries(first.steps.map((step) => [step.step_name, step.status]));
    expect(statuses).toEqual(Object.fromEntries(STEPS.map((name) => [name, 'SUCCEEDED'])));
  });

  it('receives the data counts over REST from generate, clean and split', async () => {
    expect(await metricsOf(server.context.tracking, stepNamed(first.steps, 'generate'))).toMatchObject({
      rows: 2000,
      duplicates_injected: 40,
    });
    const cleaned = await metricsOf(server.context.tracking, stepNamed(first.steps, 'clean'));
    expect(cleaned).toMatchObject({ rows_in: 2000, duplicates_removed: 40 });
    expect(cleaned.invalid_removed).toBeGreaterThan(0);
    expect(cleaned.rows_out).toBe(2000 - 40 - cleaned.invalid_removed!);
    const split = await metricsOf(server.context.tracking, stepNamed(first.steps, 'split'));
    expect(split.train_rows! + split.test_rows!).toBe(cleaned.rows_out);
    expect(split.test_positive_rate).toBeCloseTo(split.train_positive_rate!, 2);
  });

  it('trains a pickled model and evaluates it with a sane AUC and per-age-band metrics', async () => {
    const modelFile = path.join(pipelines.scheduler.stepFolder(first.pipelineRunId, 'train'), 'outputs', 'model');
    expect((await stat(modelFile)).size).toBeGreaterThan(1000);
    expect(await metricsOf(server.context.tracking, stepNamed(first.steps, 'train'))).toHaveProperty('train_rows');

    const metrics = await metricsOf(server.context.tracking, stepNamed(first.steps, 'evaluate'));
    for (const key of ['accuracy', 'precision', 'recall', 'f1', 'auc']) expect(metrics, key).toHaveProperty(key);
    expect(metrics.auc).toBeGreaterThan(0.7);
    expect(metrics.auc).toBeLessThan(0.97);
    for (const band of AGE_BANDS) {
      expect(metrics, band).toHaveProperty(`recall.${band}`);
      expect(metrics, band).toHaveProperty(`positive_rate.${band}`);
    }
    const file = path.join(pipelines.scheduler.stepFolder(first.pipelineRunId, 'evaluate'), 'outputs', 'metrics');
    const written = JSON.parse(await readFile(file, 'utf8')) as { metrics: Record<string, number> };
    expect(written.metrics.auc).toBe(metrics.auc);
  });

  it('gives byte-identical outputs when run again without the cache', async () => {
    const second = await runExample(pipelines, EXAMPLE, { params: PARAMS, noCache: true });
    expect(second.status, await logsOf(pipelines, second)).toBe('SUCCEEDED');
    expect(second.steps.every((step) => step.status === 'SUCCEEDED')).toBe(true);
    const digests = (run: typeof first) =>
      Object.fromEntries(
        run.steps.map((step) => [step.step_name, JSON.parse(step.output_digests ?? 'null') as unknown]),
      );
    expect(digests(second)).toEqual(digests(first));
    expect(Object.keys(digests(first).train as object)).toEqual(['model']);
  }, 120_000);
});
