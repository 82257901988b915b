import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTRACTS, rowProblem, type Column, type Row } from '../../examples/churn/steps/features.js';
import { generateRows } from '../../examples/churn/steps/generate.js';
import { churnScores, trainModel, type ModelFile } from '../../examples/churn/steps/model.js';
import { SCORE_OUTPUT, writeOnnx } from '../../examples/churn/steps/onnx.js';
import { SIGNATURE } from '../../examples/churn/steps/package.js';
import { makeTempDir } from '../support/temp.js';

/**
 * The churn forest exported as ONNX (examples/churn/steps/onnx.ts), run by real onnxruntime-node
 * on raw columns, must score as the example's JS scorer (`churnScores`) does.
 */
const PARAMS = { trees: 50, max_depth: 6, min_samples_split: 2, min_samples_leaf: 1, seed: 42 };
const NUMERIC: Column[] = ['tenure_months', 'monthly_charges', 'total_charges', 'support_calls'];
const CATEGORICAL: Column[] = ['contract', 'payment_method', 'internet_service'];

const temp = makeTempDir('ciclo-churn-onnx-');
let model: ModelFile;
let session: ort.InferenceSession;
let unseen: Row[];

beforeAll(async () => {
  const rows = generateRows(6000, 42).rows.filter((row) => rowProblem(row) === undefined);
  model = trainModel(rows.slice(0, 4000), PARAMS);
  unseen = rows.slice(4000, 5000);
  const file = join(temp.dir, 'model.onnx');
  await writeOnnx(file, model);
  session = await ort.InferenceSession.create(file);
});

afterAll(async () => {
  await session?.release();
  temp.remove();
});

/** The rows as the graph's feeds: one [n, 1] tensor per raw column, double or string. */
function feeds(rows: readonly Row[]): Record<string, ort.Tensor> {
  const tensors: Record<string, ort.Tensor> = {};
  for (const column of NUMERIC) {
    const values = Float64Array.from(rows, (row) => Number(row[column]));
    tensors[column] = new ort.Tensor('float64', values, [rows.length, 1]);
  }
  for (const column of CATEGORICAL) {
    tensors[column] = new ort.Tensor(
      'string',
      rows.map((row) => row[column]),
      [rows.length, 1],
    );
  }
  return tensors;
}

async function onnxScores(rows: readonly Row[]): Promise<{ scores: number[]; dims: readonly number[] }> {
  const output = (await session.run(feeds(rows)))[SCORE_OUTPUT]!;
  expect(output.type).toBe('float64');
  return { scores: Array.from(output.data as Float64Array), dims: output.dims };
}

function maxDifference(a: readonly number[], b: readonly number[]): number {
  expect(a).toHaveLength(b.length);
  return Math.max(...a.map((value, i) => Math.abs(value - b[i]!)));
}

describe('the churn model as ONNX', () => {
  it("takes the signature's columns as [N, 1] inputs and gives churn_score [N, 1]", () => {
    const inputs = session.inputMetadata.map((input) => (input.isTensor ? [input.name, input.type, input.shape] : []));
    expect(inputs).toEqual(
      SIGNATURE.inputs.map((column) => [column.name, column.type === 'double' ? 'float64' : 'string', ['N', 1]]),
    );
    expect(session.outputNames).toEqual([SIGNATURE.outputs[0]!.name]);
    const [output] = session.outputMetadata;
    expect(output?.isTensor && [output.type, output.shape]).toEqual(['float64', ['N', 1]]);
  });

  it('scores 1,000 unseen rows as the JS scorer does, within 1e-6', async () => {
    const js = churnScores(model, unseen);
    const { scores, dims } = await onnxScores(unseen);
    expect(dims).toEqual([1000, 1]);
    const difference = maxDifference(js, scores);
    expect(difference, `max |JS − onnxruntime| = ${difference}`).toBeLessThanOrEqual(1e-6);
    // Not a constant model: the rows get scores across the range.
    expect(Math.min(...js)).toBeLessThan(0.1);
    expect(Math.max(...js)).toBeGreaterThan(0.7);
  });

  it('agrees on values exactly at a threshold and on categories the encoding does not know', async () => {
    // A row whose value equals a threshold goes left in both only if both compare with <= in float32.
    const thresholds = model.forest.trees.flatMap((tree) =>
      tree.feature.flatMap((feature, node) => {
        const spec = model.encoding.features[feature];
        return spec?.kind === 'numeric' ? [{ column: spec.column, value: tree.threshold[node]! }] : [];
      }),
    );
    expect(thresholds.length).toBeGreaterThan(200);
    const edges = thresholds.slice(0, 200).map(({ column, value }, i) => ({ ...unseen[i]!, [column]: String(value) }));
    const unknown = unseen.slice(0, 50).map((row, i) => ({
      ...row,
      contract: i % 2 === 0 ? 'lifetime' : CONTRACTS[0],
      internet_service: 'satellite',
    }));
    const rows = [...edges, ...unknown];
    const { scores } = await onnxScores(rows);
    const difference = maxDifference(churnScores(model, rows), scores);
    expect(difference, `max |JS − onnxruntime| = ${difference}`).toBeLessThanOrEqual(1e-6);
  });
});
