import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataEngine, type Row } from '../../src/data/index.js';
import { frameOf, type Cell } from '../../src/serving/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { logsOf, runExample, stepNamed, type ExampleRun } from '../examples/support.js';

/**
 * The churn example run for real (its `register` step in the model step process, from dist/): the
 * version it registers gets a baseline from its lineage, with the roles told apart by the steps that
 * read each part of the split (train ← churn-train, evaluate ← churn-test).
 */
const EXAMPLE = fileURLToPath(new URL('../../examples/churn', import.meta.url));

let test: TestContext;
let run: ExampleRun;

beforeAll(async () => {
  test = await openTestContext('sqlite');
  run = await runExample(test.context.pipelines, EXAMPLE, { params: { rows: 2000 }, noCache: true });
}, 120_000);

afterAll(async () => {
  await test?.drop();
});

describe('the baseline of the churn example', () => {
  it('names churn-train as training and churn-test as evaluation, with their stored profiles', async () => {
    // Fewer rows than the default: the gate after it may refuse the version, the registration stands.
    expect(stepNamed(run.steps, 'register').status, await logsOf(test.context.pipelines, run)).toBe('SUCCEEDED');
    const version = await test.context.registry.show('churn', 1);
    const baseline = await test.context.baselines.get('churn', version.version);
    expect(baseline.source).toBe('lineage');
    expect(baseline.datasets.map((dataset) => [dataset.role, dataset.name])).toEqual([
      ['training', 'churn-train'],
      ['evaluation', 'churn-test'],
    ]);
    for (const dataset of baseline.datasets) {
      const stored = await test.context.datasets.show(`${dataset.name}@${dataset.digest}`);
      expect(dataset.profile).not.toBeNull();
      expect(dataset.profile).toEqual(stored.profile);
      expect(dataset.version).toBe(stored.version);
    }
  });

  it("stores the model's churn scores of every evaluation row, as scoring them through the model gives", async () => {
    const baseline = await test.context.baselines.get('churn', 1);
    const evaluation = baseline.datasets.find((dataset) => dataset.role === 'evaluation')!;
    expect(baseline.predictionsError).toBeNull();
    expect(baseline.predictions).toMatchObject({ output: 'churn_score', rows: evaluation.rowCount, nulls: 0 });

    const engine = await DataEngine.open({ threads: 1 });
    const model = await test.context.serving.load('churn/1');
    try {
      const view = await test.context.baselines.predictionsRelation(engine, baseline);
      const rows = await engine.all(`SELECT * FROM ${view!} ORDER BY customer_id`);
      expect(rows).toHaveLength(evaluation.rowCount);
      const inputs = model.inputs.map((input): [string, Cell[]] => [
        input.name,
        rows.map((row: Row) => row[input.name] as Cell),
      ]);
      const scored = await model.score(frameOf(rows.length, inputs));
      const expected = scored.columns.get('churn_score')!.map((cell) => (Array.isArray(cell) ? cell[0] : cell));
      expect(rows.map((row) => row.prediction)).toEqual(expected);
      const scores = rows.map((row) => row.prediction as number);
      expect(Math.min(...scores)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...scores)).toBeLessThanOrEqual(1);
      expect(baseline.predictions?.mean).toBeCloseTo(scores.reduce((sum, s) => sum + s, 0) / scores.length, 10);
    } finally {
      engine.close();
      await model.close();
    }
  });
});
