/**
 * `train`: a seeded random forest (ml-random-forest) on the encoded training set. Writes the
 * `model` output, a model package folder (`model.json`: the forest and the feature encoding, and
 * the `ciclo-model.json` manifest), and logs the params it used.
 */
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { RandomForestClassifier } from 'ml-random-forest';
import type { StepRunContext } from 'ciclo';
import { intParam, mulberry32, readCsv, shuffled } from './common.js';
import { defaultEncoding, encodeRow, LABEL, toRows, type Row } from './features.js';
import { MODEL_FORMAT, writeModel } from './model.js';
import { MODEL_FILE, writePackageManifest } from './package.js';

export async function train(ctx: StepRunContext): Promise<void> {
  const params = {
    trees: intParam(ctx.params, 'trees', 50),
    max_depth: intParam(ctx.params, 'max_depth', 6),
    min_samples: intParam(ctx.params, 'min_samples', 10),
    seed: intParam(ctx.params, 'seed', 42),
  };
  const table = await readCsv(ctx.inputs.train!);
  const rows = orderForSplitSearch(toRows(table.header, table.rows), mulberry32(params.seed));
  const encoding = defaultEncoding();
  const features = rows.map((row) => encodeRow(encoding, row));
  const labels = rows.map((row) => Number(row[LABEL]));

  // Trees see all rows (sample bagging would reshuffle them, see orderForSplitSearch) and differ by
  // the random half of the features each one gets: a random-subspace forest.
  const forest = new RandomForestClassifier({
    nEstimators: params.trees,
    maxFeatures: 0.5,
    replacement: false,
    useSampleBagging: false,
    noOOB: true,
    seed: params.seed,
    treeOptions: { maxDepth: params.max_depth, minNumSamples: params.min_samples },
  });
  forest.train(features, labels);

  const folder = ctx.outputs.model!;
  await mkdir(folder, { recursive: true });
  await writeModel(join(folder, MODEL_FILE), {
    format: MODEL_FORMAT,
    library: { name: 'ml-random-forest', version: libraryVersion() },
    encoding,
    params,
    forest: forest.toJSON(),
  });
  await writePackageManifest(folder, libraryVersion());

  const run = await ctx.run();
  await run.logParams({ ...params, features: encoding.features.length, library: 'ml-random-forest' });
  run.log({ train_rows: rows.length });
}

/** Rows that head the training set in random order; see orderForSplitSearch. */
const MIXED_HEAD = 32;

/**
 * The row order that keeps ml-cart's split search fast; it does not change what the trees learn.
 * At each node ml-cart sorts every feature (stably) and tries a split wherever the label changes
 * between neighbours, each try costing passes over the node's rows: with rows in random order that
 * is quadratic in rows (minutes for 4000 rows and 50 trees). With rows sorted by label, equal values
 * hold one run of each label, so a feature with k distinct (binned) values gives about 2k tries;
 * splits keep row order, so this holds in every node. But its class count (`indexOf` over the
 * labels) is then quadratic too, unless both labels appear early: hence a short head of rows in
 * random order, followed by the rest sorted by label.
 */
function orderForSplitSearch(rows: Row[], random: () => number): Row[] {
  const mixed = shuffled(rows, random);
  const tail = mixed.slice(MIXED_HEAD).sort((a, b) => Number(a[LABEL]) - Number(b[LABEL]));
  return [...mixed.slice(0, MIXED_HEAD), ...tail];
}

function libraryVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('ml-random-forest/package.json') as { version: string }).version;
}
