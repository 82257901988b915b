import { z } from 'zod';
import { InvalidInputError } from '../common/errors.js';
import { compareClassifiers, compareRegressors, type Comparison } from './compare.js';
import { fairnessReport, type FairnessReport } from './fairness.js';
import {
  classificationMetrics,
  regressionMetrics,
  type ClassificationMetrics,
  type RegressionMetrics,
} from './metrics.js';

/** What to evaluate in a table of predictions: which columns hold the label, the score and the groups. */
export const EvaluationConfigSchema = z.object({
  task: z.enum(['classification', 'regression']).default('classification'),
  /** The true value: 0/1 for classification, a number for regression. */
  label: z.string().min(1),
  /** The model's output: a probability of the positive class, or the predicted value. */
  score: z.string().min(1),
  /** The champion's output on the same rows, to compare with. */
  champion: z.string().min(1).optional(),
  /** Sensitive attributes: metrics per group and the fairness gaps, for classification. */
  sensitive: z.array(z.string().min(1)).default([]),
  threshold: z.number().min(0).max(1).optional(),
});
export type EvaluationConfig = z.output<typeof EvaluationConfigSchema>;

export interface EvaluationReport {
  task: EvaluationConfig['task'];
  metrics: ClassificationMetrics | RegressionMetrics;
  fairness: Record<string, FairnessReport>;
  comparison?: Comparison<ClassificationMetrics> | Comparison<RegressionMetrics>;
}

/** One row of predictions: the columns the config names, by name. */
export type PredictionRow = Readonly<Record<string, unknown>>;

/** A sensitive attribute's value as its group's name: null (or absent) is the group `null`; a struct its JSON. */
function groupOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

/**
 * Evaluates rows of predictions: the metrics of the config's task, fairness per sensitive attribute and, with a
 * champion column, the comparison. A label or score that is not a finite number is an error naming the row.
 */
export function evaluatePredictions(rows: readonly PredictionRow[], config: EvaluationConfig): EvaluationReport {
  const number = (row: PredictionRow, column: string, index: number): number => {
    const value = row[column];
    const parsed = typeof value === 'number' ? value : typeof value === 'boolean' ? Number(value) : Number(value);
    if (value === null || !Number.isFinite(parsed)) {
      throw new InvalidInputError(`row ${index + 1}: ${column} is ${JSON.stringify(value)}, not a number`, {
        where: `rows[${index}].${column}`,
      });
    }
    return parsed;
  };
  const options = config.threshold === undefined ? {} : { threshold: config.threshold };
  if (config.task === 'regression') {
    const scored = rows.map((row, i) => ({
      label: number(row, config.label, i),
      prediction: number(row, config.score, i),
    }));
    return {
      task: 'regression',
      metrics: regressionMetrics(scored),
      fairness: {},
      ...(config.champion
        ? {
            comparison: compareRegressors(
              rows.map((row, i) => ({
                label: scored[i]!.label,
                champion: number(row, config.champion!, i),
                challenger: scored[i]!.prediction,
              })),
            ),
          }
        : {}),
    };
  }
  const scored = rows.map((row, i) => ({ label: number(row, config.label, i), score: number(row, config.score, i) }));
  const fairness: Record<string, FairnessReport> = {};
  for (const attribute of config.sensitive) {
    fairness[attribute] = fairnessReport(
      scored.map((row, i) => ({ ...row, group: groupOf(rows[i]![attribute]) })),
      options,
    );
  }
  return {
    task: 'classification',
    metrics: classificationMetrics(scored, options),
    fairness,
    ...(config.champion
      ? {
          comparison: compareClassifiers(
            rows.map((row, i) => ({
              label: scored[i]!.label,
              champion: number(row, config.champion!, i),
              challenger: scored[i]!.score,
            })),
            options,
          ),
        }
      : {}),
  };
}

/**
 * The report as flat metric keys for a tracked run: `accuracy`, `fairness.age_band.disparate_impact_ratio`,
 * `recall.age_band.60+`…
 */
export function reportMetrics(report: EvaluationReport): Record<string, number> {
  const flat: Record<string, number> = {};
  const put = (key: string, value: unknown) => {
    if (typeof value === 'number' && Number.isFinite(value)) flat[key] = value;
  };
  for (const [key, value] of Object.entries(report.metrics)) put(key, value);
  for (const [attribute, fairness] of Object.entries(report.fairness)) {
    put(`fairness.${attribute}.demographic_parity_difference`, fairness.demographic_parity_difference);
    put(`fairness.${attribute}.disparate_impact_ratio`, fairness.disparate_impact_ratio);
    put(`fairness.${attribute}.equal_opportunity_difference`, fairness.equal_opportunity_difference);
    for (const group of fairness.groups) {
      // Metric keys allow letters, digits, `_ - . / ` and spaces: a group such as `60+` is renamed.
      const key = `${attribute}.${group.group.replace(/[^A-Za-z0-9_\-. /]/g, '_')}`;
      put(`positive_rate.${key}`, group.positive_rate);
      put(`recall.${key}`, group.tpr);
    }
  }
  for (const metric of report.comparison?.metrics ?? []) put(`champion_delta.${metric.metric}`, metric.delta);
  return flat;
}
