/**
 * The model file written by `train` and read by `evaluate`: the random forest as `toJSON()` gives
 * it, next to the feature encoding it was trained with.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RandomForestClassifier } from 'ml-random-forest';
import { encodeRow, type Encoding, type Row } from './features.js';
import { MODEL_FILE } from './package.js';

export const MODEL_FORMAT = 'ciclo-example-churn/random-forest@1';

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  library: { name: 'ml-random-forest'; version: string };
  encoding: Encoding;
  params: Record<string, number>;
  forest: ReturnType<RandomForestClassifier['toJSON']>;
}

export async function writeModel(file: string, model: ModelFile): Promise<void> {
  await writeFile(file, `${JSON.stringify(model)}\n`);
}

/** Reads `model.json` from the package folder the `train` step wrote. */
export async function readModel(folder: string): Promise<{ model: ModelFile; forest: RandomForestClassifier }> {
  const file = join(folder, MODEL_FILE);
  const model = JSON.parse(await readFile(file, 'utf8')) as ModelFile;
  if (model.format !== MODEL_FORMAT) throw new Error(`${file} is not a churn model (format ${String(model.format)})`);
  return { model, forest: RandomForestClassifier.load(model.forest) };
}

/**
 * The churn score of each row: the share of trees that vote "churned". (The library's
 * `predictProbability` is not used: it folds the first tree's vote in as a number.)
 */
export function churnScores(forest: RandomForestClassifier, encoding: Encoding, rows: readonly Row[]): number[] {
  const votes = forest.predictionValues(rows.map((row) => encodeRow(encoding, row)));
  const scores: number[] = [];
  for (let i = 0; i < votes.rows; i++) {
    const row = votes.getRow(i);
    scores.push(row.filter((vote) => vote === 1).length / row.length);
  }
  return scores;
}
