import type { Row } from '../../data/index.js';
import type { MetricValue } from '../types.js';

/**
 * The rows of the quality SQL as metric values, each null one with the reason it cannot be computed. SQL
 * leaves a metric NULL exactly where its denominator is zero; which zero it was decides the reason.
 */

export const CLASSIFICATION_METRICS = [
  'model.accuracy',
  'model.precision',
  'model.recall',
  'model.f1',
  'model.auc',
  'model.log_loss',
  'model.calibration_error',
] as const;

export const REGRESSION_METRICS = ['model.rmse', 'model.mae'] as const;

export const FAIRNESS_GAPS = [
  'demographic_parity_difference',
  'disparate_impact_ratio',
  'equal_opportunity_difference',
  'equalized_odds_difference',
] as const;

export const NO_ROWS = 'no rows with feedback in the window';

/** A count or metric cell as a number (NULL stays null); counts arrive as numbers or, past 2^53, as text. */
function numberOf(row: Row, column: string): number | null {
  const cell = row[column];
  if (cell === null || cell === undefined) return null;
  return typeof cell === 'number' ? cell : Number(cell);
}

function countOf(row: Row, column: string): number {
  return numberOf(row, column) ?? 0;
}

/** A value, or null with `reason` when SQL could not define it; an overflow (±Infinity) is null too, never NaN. */
function value(
  metric: string,
  place: Pick<MetricValue, 'feature' | 'segment'>,
  v: number | null,
  reason: string,
): MetricValue {
  if (v === null) return { metric, ...place, value: null, reason };
  if (!Number.isFinite(v)) return { metric, ...place, value: null, reason: 'the value overflows a double' };
  return { metric, ...place, value: v };
}

function allNull(
  metrics: readonly string[],
  place: Pick<MetricValue, 'feature' | 'segment'>,
  reason: string,
): MetricValue[] {
  return metrics.map((metric) => ({ metric, ...place, value: null, reason }));
}

function plural(count: number, one: string): string {
  return `${count} ${one}${count === 1 ? '' : 's'}`;
}

/** Why no metric of the group can be trusted: rows whose label or score is unusable (never silently dropped). */
function unusableRows(row: Row): string | undefined {
  const badLabels = countOf(row, 'bad_labels');
  const badScores = countOf(row, 'bad_scores');
  const problems = [
    ...(badLabels > 0 ? [`${plural(badLabels, 'row')} with a label that is not 0/1 or true/false`] : []),
    ...(badScores > 0 ? [`${plural(badScores, 'row')} without a finite score`] : []),
  ];
  return problems.length === 0 ? undefined : problems.join(' and ');
}

export function classificationValues(row: Row, threshold: number, segment: string | undefined): MetricValue[] {
  const place = segment === undefined ? {} : { segment };
  const rows = countOf(row, 'rows');
  const out: MetricValue[] = [{ metric: 'model.rows', ...place, value: rows }];
  const unusable = unusableRows(row);
  if (unusable !== undefined) return [...out, ...allNull(CLASSIFICATION_METRICS, place, unusable)];
  const positives = countOf(row, 'positives');
  const oneClass = `only one class in the labels (${positives === 0 ? 'no positives' : 'no negatives'})`;
  const outside = countOf(row, 'outside');
  const notProbabilities = `${plural(outside, 'score')} outside [0, 1]: not probabilities`;
  out.push(
    value('model.accuracy', place, numberOf(row, 'accuracy'), NO_ROWS),
    value(
      'model.precision',
      place,
      numberOf(row, 'precision'),
      `no predicted positives (no score >= ${threshold}); sklearn warns and reports 0`,
    ),
    value('model.recall', place, numberOf(row, 'recall'), 'no positive labels; sklearn warns and reports 0'),
    value('model.f1', place, numberOf(row, 'f1'), 'no positives, true or predicted; sklearn warns and reports 0'),
    value('model.auc', place, numberOf(row, 'auc'), oneClass),
    value('model.log_loss', place, outside > 0 ? null : numberOf(row, 'log_loss'), notProbabilities),
    value('model.calibration_error', place, outside > 0 ? null : numberOf(row, 'calibration_error'), notProbabilities),
  );
  return out;
}

export function regressionValues(row: Row, segment: string | undefined): MetricValue[] {
  const place = segment === undefined ? {} : { segment };
  const rows = countOf(row, 'rows');
  const out: MetricValue[] = [{ metric: 'model.rows', ...place, value: rows }];
  if (rows === 0) return [...out, ...allNull(REGRESSION_METRICS, place, NO_ROWS)];
  const bad = countOf(row, 'bad_values');
  if (bad > 0)
    return [
      ...out,
      ...allNull(REGRESSION_METRICS, place, `${plural(bad, 'row')} without a finite label or prediction`),
    ];
  out.push(
    value('model.rmse', place, numberOf(row, 'rmse'), NO_ROWS),
    value('model.mae', place, numberOf(row, 'mae'), NO_ROWS),
  );
  return out;
}

/** The gaps of one sensitive attribute; `row` is undefined when the window has no rows at all. */
export function fairnessValues(row: Row | undefined, attribute: string): MetricValue[] {
  const place = { feature: attribute };
  const names = FAIRNESS_GAPS.map((gap) => `fairness.${gap}`);
  if (row === undefined) return allNull(names, place, NO_ROWS);
  const unusable = unusableRows(row);
  if (unusable !== undefined) return allNull(names, place, unusable);
  return [
    value('fairness.demographic_parity_difference', place, numberOf(row, 'demographic_parity_difference'), NO_ROWS),
    value(
      'fairness.disparate_impact_ratio',
      place,
      numberOf(row, 'disparate_impact_ratio'),
      'no group has a predicted positive (0 / 0)',
    ),
    value(
      'fairness.equal_opportunity_difference',
      place,
      numberOf(row, 'equal_opportunity_difference'),
      'no group has a positive label',
    ),
    value(
      'fairness.equalized_odds_difference',
      place,
      numberOf(row, 'equalized_odds_difference'),
      'no group has a true or false positive rate',
    ),
  ];
}
