import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32, shuffled } from '../../examples/churn/steps/common.js';
import { auc } from '../../examples/churn/steps/evaluate.js';
import { encodeRow, LABEL, rowProblem, type Encoding, type Row } from '../../examples/churn/steps/features.js';
import { forestProbability, trainForest, type ForestParams } from '../../examples/churn/steps/forest.js';
import { generateRows } from '../../examples/churn/steps/generate.js';
import { churnScores, trainModel } from '../../examples/churn/steps/model.js';
import { makeTempDir } from '../support/temp.js';

/**
 * The churn example's random forest (examples/churn/steps/forest.ts), checked against
 * scikit-learn's RandomForestClassifier on the same data, run as a real child process of Debian's
 * python3 (python3-sklearn, numpy).
 */
const PYTHON = '/usr/bin/python3';
const SKLEARN_AUC = fileURLToPath(new URL('./fixtures/sklearn_forest_auc.py', import.meta.url));
const PARAMS = { trees: 50, max_depth: 6, min_samples_split: 2, min_samples_leaf: 1, seed: 42 };

const temp = makeTempDir('ciclo-churn-forest-');
afterAll(() => temp.remove());

/** What the pipeline's generate, dedupe, clean and split steps give, near enough: 80% to train. */
function churnData(rows: number, seed: number): { train: Row[]; test: Row[] } {
  const unique = new Map(generateRows(rows, seed).rows.map((row) => [row.customer_id, row]));
  const clean = [...unique.values()].filter((row) => rowProblem(row) === undefined);
  const mixed = shuffled(clean, mulberry32(seed));
  const cut = Math.round(mixed.length * 0.8);
  return { train: mixed.slice(0, cut), test: mixed.slice(cut) };
}

/** The encoded features and the label last, all numbers: what the Python script reads. */
async function writeEncoded(file: string, encoding: Encoding, rows: readonly Row[]): Promise<void> {
  const header = [...encoding.features.map((feature) => feature.name), LABEL].join(',');
  const lines = rows.map((row) => [...encodeRow(encoding, row), row[LABEL]].join(','));
  await writeFile(file, `${[header, ...lines].join('\n')}\n`);
}

async function sklearnAuc(train: string, test: string, seed: number): Promise<number> {
  const args = [SKLEARN_AUC, train, test, String(seed), String(PARAMS.trees), String(PARAMS.max_depth)];
  const { stdout } = await promisify(execFile)(PYTHON, args, { encoding: 'utf8' }).catch((error: unknown) => {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${PYTHON} with scikit-learn and numpy is needed (apt-get install python3-sklearn): ${stderr}`, {
      cause: error,
    });
  });
  return (JSON.parse(stdout) as { auc: number }).auc;
}

/** rows × [x, noise] with label x > 3: one split on x parts the classes, and noise never could. */
function separable(): { x: number[][]; y: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  for (let value = 1; value <= 6; value++) {
    for (let copy = 0; copy < 10; copy++) {
      x.push([value, copy % 3]);
      y.push(value > 3 ? 1 : 0);
    }
  }
  return { x, y };
}

const ONE_TREE: ForestParams = {
  trees: 1,
  maxDepth: 6,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  maxFeatures: 2,
  seed: 3,
};

describe('the churn random forest', () => {
  it("scores the churn test set within 0.02 AUC of scikit-learn's RandomForestClassifier", async () => {
    const { train, test } = churnData(5000, 42);
    const model = trainModel(train, PARAMS);
    const ours = auc(
      test.map((row) => Number(row[LABEL])),
      churnScores(model, test),
    );
    await writeEncoded(join(temp.dir, 'train.csv'), model.encoding, train);
    await writeEncoded(join(temp.dir, 'test.csv'), model.encoding, test);
    const theirs = await sklearnAuc(join(temp.dir, 'train.csv'), join(temp.dir, 'test.csv'), PARAMS.seed);
    expect(theirs, 'scikit-learn learns the data').toBeGreaterThan(0.8);
    expect(Math.abs(ours - theirs), `AUC ours ${ours}, scikit-learn ${theirs}`).toBeLessThanOrEqual(0.02);
  }, 60_000);

  it('trains the same forest for the same seed, and another for another seed', () => {
    const { train } = churnData(1500, 7);
    const first = trainModel(train, { ...PARAMS, trees: 10 });
    const again = trainModel(train, { ...PARAMS, trees: 10 });
    const other = trainModel(train, { ...PARAMS, trees: 10, seed: 8 });
    expect(JSON.stringify(again.forest)).toBe(JSON.stringify(first.forest));
    expect(JSON.stringify(other.forest)).not.toBe(JSON.stringify(first.forest));
  });

  it('stops splitting a pure node, and splits midway between the values either side', () => {
    const { x, y } = separable();
    const [tree] = trainForest(x, y, ONE_TREE).trees;
    // Without the purity stop, the children would go on splitting on noise: zero gain is no stop.
    expect(tree).toMatchObject({ feature: [0, -1, -1], threshold: [3.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1] });
    expect(tree!.value.slice(1)).toEqual([0, 1]);
  });

  it('parts neighbouring float32 values whose midpoint rounds up to the higher one', () => {
    // 1 + 2⁻²³ and 1 + 2⁻²² are adjacent float32s; their midpoint rounds (to even) to the higher.
    const low = 1 + 2 ** -23;
    const high = 1 + 2 ** -22;
    const x = Array.from({ length: 20 }, (_, i) => [i < 10 ? low : high, 0]);
    const y = x.map(([value]) => (value === high ? 1 : 0));
    const forest = trainForest(x, y, ONE_TREE);
    expect(forest.trees[0]!.threshold[0]).toBe(low);
    expect(forestProbability(forest, [low, 0])).toBe(0);
    expect(forestProbability(forest, [high, 0])).toBe(1);
  });

  it('refuses labels other than 0 and 1, and rows of unequal length', () => {
    expect(() => trainForest([[1], [2]], [0, 2], { ...ONE_TREE, maxFeatures: 1 })).toThrow('label 1 is 2, not 0 or 1');
    expect(() => trainForest([[1, 2], [2]], [0, 1], ONE_TREE)).toThrow('row 1 has 1 values, not 2');
  });
});
