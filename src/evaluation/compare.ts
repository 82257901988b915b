import { InvalidInputError } from '../common/errors.js';
import {
  classificationMetrics,
  regressionMetrics,
  type ClassificationMetrics,
  type ClassificationOptions,
  type RegressionMetrics,
} from './metrics.js';

/**
 * Champion (the model in production) against challenger (the candidate), scored on the same rows so
 * the difference is the models' and not the data's. Each metric carries its direction, so `better`
 * can say whether the challenger wins without the reader knowing that lower log loss is good.
 */

export type Direction = 'higher' | 'lower';

export const CLASSIFICATION_DIRECTIONS = {
  accuracy: 'higher',
  precision: 'higher',
  recall: 'higher',
  f1: 'higher',
  auc: 'higher',
  log_loss: 'lower',
} as const satisfies Record<string, Direction>;

export const REGRESSION_DIRECTIONS = {
  rmse: 'lower',
  mae: 'lower',
  r2: 'higher',
} as const satisfies Record<string, Direction>;

export interface MetricComparison {
  metric: string;
  direction: Direction;
  champion: number | null;
  challenger: number | null;
  /** challenger − champion; null when either is undefined. */
  delta: number | null;
  /** True when the challenger is strictly better in the metric's direction; null when either is undefined. */
  better: boolean | null;
}

export interface Comparison<M> {
  champion: M;
  challenger: M;
  metrics: MetricComparison[];
}

/** Both models' scores for one example. */
export interface PairedScoredRow {
  label: number;
  champion: number;
  challenger: number;
}

export interface PairedRegressionRow {
  label: number;
  champion: number;
  challenger: number;
}

function compareMetric(
  metric: string,
  direction: Direction,
  champion: number | null,
  challenger: number | null,
): MetricComparison {
  if (champion === null || challenger === null)
    return { metric, direction, champion, challenger, delta: null, better: null };
  const delta = challenger - champion;
  return { metric, direction, champion, challenger, delta, better: direction === 'higher' ? delta > 0 : delta < 0 };
}

function compareAll<M>(
  champion: M,
  challenger: M,
  directions: Record<string, Direction>,
  value: (m: M, name: string) => number | null,
): MetricComparison[] {
  return Object.entries(directions).map(([name, direction]) =>
    compareMetric(name, direction, value(champion, name), value(challenger, name)),
  );
}

/** Checked here, before the per-model checks, so an error names the field of the paired row the caller passed. */
function checkPaired(rows: readonly { champion: number; challenger: number }[]): void {
  if (rows.length === 0)
    throw new InvalidInputError('no rows to compare the models on', { hint: 'pass at least one row' });
  rows.forEach((row, i) => {
    for (const field of ['champion', 'challenger'] as const) {
      const value = row[field];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new InvalidInputError(`${field} must be a finite number, got ${String(value)}`, {
          where: `rows[${i}].${field}`,
        });
      }
    }
  });
}

export function compareClassifiers(
  rows: readonly PairedScoredRow[],
  options: ClassificationOptions = {},
): Comparison<ClassificationMetrics> {
  checkPaired(rows);
  const champion = classificationMetrics(
    rows.map((r) => ({ label: r.label, score: r.champion })),
    options,
  );
  const challenger = classificationMetrics(
    rows.map((r) => ({ label: r.label, score: r.challenger })),
    options,
  );
  return {
    champion,
    challenger,
    metrics: compareAll(
      champion,
      challenger,
      CLASSIFICATION_DIRECTIONS,
      (m, name) => m[name as keyof typeof CLASSIFICATION_DIRECTIONS],
    ),
  };
}

export function compareRegressors(rows: readonly PairedRegressionRow[]): Comparison<RegressionMetrics> {
  checkPaired(rows);
  const champion = regressionMetrics(rows.map((r) => ({ label: r.label, prediction: r.champion })));
  const challenger = regressionMetrics(rows.map((r) => ({ label: r.label, prediction: r.challenger })));
  return {
    champion,
    challenger,
    metrics: compareAll(
      champion,
      challenger,
      REGRESSION_DIRECTIONS,
      (m, name) => m[name as keyof typeof REGRESSION_DIRECTIONS],
    ),
  };
}
