/**
 * `evaluate`: scores the test set with the trained model and logs accuracy, precision, recall, f1
 * and a rank-based AUC, plus the positive-prediction rate and recall of each age band (the
 * sensitive attribute) and the fairness gaps between the bands (`fairness.age_band.*`). Writes
 * the `metrics` output (JSON) and logs the model file as an artifact of this step's run.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepRunContext } from 'ciclo';
import { readCsv } from './common.js';
import { AGE_BANDS, bandKey, LABEL, SENSITIVE, toRows } from './features.js';
import { churnScores, readModel } from './model.js';
import { MODEL_FILE } from './package.js';

const THRESHOLD = 0.5;

export async function evaluate(ctx: StepRunContext): Promise<void> {
  const model = await readModel(ctx.inputs.model!);
  const table = await readCsv(ctx.inputs.test!);
  const rows = toRows(table.header, table.rows);
  const scores = churnScores(model, rows);
  const labels = rows.map((row) => Number(row[LABEL]));
  const predicted = scores.map((score) => (score >= THRESHOLD ? 1 : 0));

  const metrics: Record<string, number> = {
    ...classification(labels, predicted),
    auc: auc(labels, scores),
    test_rows: rows.length,
  };
  const positiveRates: number[] = [];
  const recalls: number[] = [];
  for (const band of AGE_BANDS) {
    const members = rows.flatMap((row, i) => (row[SENSITIVE] === band ? [i] : []));
    const groupLabels = members.map((i) => labels[i]!);
    const groupPredicted = members.map((i) => predicted[i]!);
    const key = `age_${bandKey(band)}`;
    metrics[`rows.${key}`] = members.length;
    metrics[`positive_rate.${key}`] = ratio(sum(groupPredicted), members.length);
    metrics[`recall.${key}`] = classification(groupLabels, groupPredicted).recall;
    if (members.length > 0) positiveRates.push(metrics[`positive_rate.${key}`]!);
    if (groupLabels.some((label) => label === 1)) recalls.push(metrics[`recall.${key}`]!);
  }
  Object.assign(metrics, fairness(SENSITIVE, positiveRates, recalls));
  const rounded = Object.fromEntries(Object.entries(metrics).map(([key, value]) => [key, round(value)]));
  await writeFile(ctx.outputs.metrics!, `${JSON.stringify({ threshold: THRESHOLD, metrics: rounded }, null, 2)}\n`);

  const run = await ctx.run();
  run.log(rounded);
  await run.logArtifact(join(ctx.inputs.model!, MODEL_FILE), 'model.json');
}

export function classification(labels: readonly number[], predicted: readonly number[]) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  labels.forEach((label, i) => {
    if (predicted[i] === 1) {
      if (label === 1) tp++;
      else fp++;
    } else if (label === 1) fn++;
    else tn++;
  });
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    accuracy: ratio(tp + tn, labels.length),
    precision,
    recall,
    f1: ratio(2 * precision * recall, precision + recall),
  };
}

/**
 * Area under the ROC curve as the Mann–Whitney statistic: the chance that a random positive scores
 * above a random negative, ties counted as half (average ranks over tied scores).
 */
export function auc(labels: readonly number[], scores: readonly number[]): number {
  const order = scores.map((score, i) => ({ score, label: labels[i]! })).sort((a, b) => a.score - b.score);
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end < order.length && order[end]!.score === order[start]!.score) end++;
    const averageRank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) {
      if (order[i]!.label === 1) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    start = end;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * fairlearn's summary gaps over the groups, under the keys the built-in `evaluate` step logs (and
 * the approval policy's `fairness` gates read): demographic parity difference (largest minus
 * smallest positive-prediction rate), disparate impact ratio (smallest over largest) and equal
 * opportunity difference (largest minus smallest recall among groups with positives).
 */
export function fairness(
  attribute: string,
  positiveRates: readonly number[],
  recalls: readonly number[],
): Record<string, number> {
  const gaps: Record<string, number> = {};
  if (positiveRates.length > 0) {
    const high = Math.max(...positiveRates);
    const low = Math.min(...positiveRates);
    gaps[`fairness.${attribute}.demographic_parity_difference`] = high - low;
    if (high > 0) gaps[`fairness.${attribute}.disparate_impact_ratio`] = low / high;
  }
  if (recalls.length > 0)
    gaps[`fairness.${attribute}.equal_opportunity_difference`] = Math.max(...recalls) - Math.min(...recalls);
  return gaps;
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Six decimals: stable text in the metrics file, and no false precision. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
