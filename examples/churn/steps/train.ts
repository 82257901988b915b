/**
 * `train`: a seeded random forest (`forest.ts`: CART trees, Gini impurity, bootstrap samples) on
 * the encoded training set. Writes the `model` output, a model package folder (`model.onnx`, the
 * graph a runtime serves; `model.json`, the forest and the feature encoding; and the
 * `ciclo-model.json` manifest), and logs the params it used.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepRunContext } from 'ciclo';
import { intParam, readCsv } from './common.js';
import { toRows } from './features.js';
import { trainModel, writeModel } from './model.js';
import { writeOnnx } from './onnx.js';
import { MODEL_FILE, ONNX_FILE, writePackageManifest } from './package.js';

export async function train(ctx: StepRunContext): Promise<void> {
  // scikit-learn's RandomForestClassifier defaults but for the depth: leaves as small as one sample.
  const params = {
    trees: intParam(ctx.params, 'trees', 50),
    max_depth: intParam(ctx.params, 'max_depth', 6),
    min_samples_split: intParam(ctx.params, 'min_samples_split', 2),
    min_samples_leaf: intParam(ctx.params, 'min_samples_leaf', 1),
    seed: intParam(ctx.params, 'seed', 42),
  };
  const table = await readCsv(ctx.inputs.train!);
  const rows = toRows(table.header, table.rows);
  const model = trainModel(rows, params);

  const folder = ctx.outputs.model!;
  await mkdir(folder, { recursive: true });
  await writeModel(join(folder, MODEL_FILE), model);
  await writeOnnx(join(folder, ONNX_FILE), model);
  await writePackageManifest(folder);

  const run = await ctx.run();
  await run.logParams({ ...params, features: model.encoding.features.length, trainer: 'steps/forest.ts' });
  run.log({ train_rows: rows.length });
}
