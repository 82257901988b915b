/**
 * The model file written by `train` and read by `evaluate`: the random forest (`forest.ts`) as flat
 * arrays per tree, next to the feature encoding and the params it was trained with. The ONNX graph
 * of the package (`onnx.ts`) is exported from the same object and scores as `churnScores` does.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultEncoding, encodeRow, LABEL, type Encoding, type Row } from './features.js';
import { forestProbability, trainForest, type Forest } from './forest.js';
import { MODEL_FILE } from './package.js';

export const MODEL_FORMAT = 'ciclo-example-churn/random-forest@2';

/** The train step's params, under the names it logs them. */
export interface ModelParams {
  trees: number;
  max_depth: number;
  min_samples_split: number;
  min_samples_leaf: number;
  seed: number;
}

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  encoding: Encoding;
  params: ModelParams;
  forest: Forest;
}

/** A forest trained on `rows` with this version's encoding. */
export function trainModel(rows: readonly Row[], params: ModelParams): ModelFile {
  const encoding = defaultEncoding();
  const forest = trainForest(
    rows.map((row) => encodeRow(encoding, row)),
    rows.map((row) => Number(row[LABEL])),
    {
      trees: params.trees,
      maxDepth: params.max_depth,
      minSamplesSplit: params.min_samples_split,
      minSamplesLeaf: params.min_samples_leaf,
      seed: params.seed,
    },
  );
  return { format: MODEL_FORMAT, encoding, params, forest };
}

export async function writeModel(file: string, model: ModelFile): Promise<void> {
  await writeFile(file, `${JSON.stringify(model)}\n`);
}

/** Reads `model.json` from the package folder the `train` step wrote. */
export async function readModel(folder: string): Promise<ModelFile> {
  const file = join(folder, MODEL_FILE);
  const model = JSON.parse(await readFile(file, 'utf8')) as ModelFile;
  if (model.format !== MODEL_FORMAT) throw new Error(`${file} is not a churn model (format ${String(model.format)})`);
  return model;
}

/** The churn score of each row: the forest's class-1 probability, as the ONNX graph gives it. */
export function churnScores(model: ModelFile, rows: readonly Row[]): number[] {
  return rows.map((row) => forestProbability(model.forest, encodeRow(model.encoding, row)));
}
