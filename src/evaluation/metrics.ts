import { InvalidInputError } from '../common/errors.js';

/**
 * Model metrics as pure functions over in-memory rows, so they can be checked against hand-computed
 * fixtures and against `sklearn.metrics`. Where a metric is undefined, the choices follow sklearn's
 * defaults (which the reference test checks) and a note in `notes` says what happened, so a report
 * never shows a silent 0 or a NaN.
 */

/** One scored example of a binary classifier: the true label and the model's score for class 1. */
export interface ScoredRow {
  label: number;
  score: number;
}

/** One example of a regressor: the true value and the prediction. */
export interface RegressionRow {
  label: number;
  prediction: number;
}

export interface ConfusionMatrix {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface CalibrationBin {
  /** Bin bounds; a score on an inner edge belongs to the lower bin (as sklearn's `calibration_curve`). */
  lower: number;
  upper: number;
  count: number;
  /** Null for an empty bin. */
  meanPredicted: number | null;
  fractionPositive: number | null;
}

export interface ClassificationMetrics {
  count: number;
  threshold: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** Null when only one class is present (sklearn raises there). */
  auc: number | null;
  /** Null when a score is not a probability in [0, 1]. */
  log_loss: number | null;
  confusion: ConfusionMatrix;
  /** Empty when a score is not a probability in [0, 1]. */
  calibration: CalibrationBin[];
  notes: string[];
}

export interface RegressionMetrics {
  count: number;
  rmse: number;
  mae: number;
  r2: number;
  notes: string[];
}

export interface ClassificationOptions {
  /** A row is predicted positive when its score is >= threshold. */
  threshold?: number;
}

export const DEFAULT_THRESHOLD = 0.5;
/** sklearn's historical clip for log loss: log(0) would be infinite for one confident mistake. */
export const LOG_LOSS_EPS = 1e-15;
export const CALIBRATION_BINS = 10;

/** Throws on what no metric can be computed from: no rows, labels other than 0/1, non-finite scores. */
export function checkScoredRows(rows: readonly ScoredRow[], what = 'rows'): void {
  if (rows.length === 0)
    throw new InvalidInputError(`no ${what} to evaluate`, { hint: 'pass at least one scored row' });
  rows.forEach((row, i) => {
    if (row.label !== 0 && row.label !== 1) {
      throw new InvalidInputError(`label must be 0 or 1, got ${String(row.label)}`, {
        where: `${what}[${i}].label`,
        hint: 'encode the positive class as 1 and the negative class as 0',
      });
    }
    if (typeof row.score !== 'number' || !Number.isFinite(row.score)) {
      throw new InvalidInputError(`score must be a finite number, got ${String(row.score)}`, {
        where: `${what}[${i}].score`,
      });
    }
  });
}

export function checkThreshold(threshold: number): void {
  if (!Number.isFinite(threshold))
    throw new InvalidInputError(`threshold must be a finite number, got ${threshold}`, { where: 'threshold' });
}

export function confusionMatrix(rows: readonly ScoredRow[], threshold = DEFAULT_THRESHOLD): ConfusionMatrix {
  checkScoredRows(rows);
  checkThreshold(threshold);
  return countConfusion(rows, threshold);
}

/** The counting behind `confusionMatrix`, for callers that have already checked their rows. */
export function countConfusion(rows: readonly ScoredRow[], threshold: number): ConfusionMatrix {
  const m: ConfusionMatrix = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const { label, score } of rows) {
    const predicted = score >= threshold;
    if (label === 1) {
      if (predicted) m.tp++;
      else m.fn++;
    } else if (predicted) m.fp++;
    else m.tn++;
  }
  return m;
}

/** a / b, or 0 with a note when b is 0: sklearn's `zero_division="warn"` result. */
function ratio(a: number, b: number, notes: string[], note: string): number {
  if (b === 0) {
    notes.push(note);
    return 0;
  }
  return a / b;
}

/**
 * Area under the ROC curve as the Mann-Whitney statistic: the share of (positive, negative) pairs in
 * which the positive scores higher, a tie counting one half. This equals sklearn's trapezoidal area
 * over the ROC curve, whose thresholds are the distinct scores (tied scores move in one step).
 * Null when one class is absent: there are no pairs, and sklearn raises.
 */
export function rocAuc(rows: readonly ScoredRow[]): number | null {
  checkScoredRows(rows);
  return aucOf(rows);
}

function aucOf(rows: readonly ScoredRow[]): number | null {
  const sorted = [...rows].sort((a, b) => b.score - a.score);
  let positivesAbove = 0;
  let negatives = 0;
  // Counted in integers (pairs won twice over, to keep ties' halves whole) and divided once at the end.
  let doubledWins = 0;
  for (let i = 0; i < sorted.length;) {
    let pos = 0;
    let neg = 0;
    const score = sorted[i]!.score;
    for (; i < sorted.length && sorted[i]!.score === score; i++) {
      if (sorted[i]!.label === 1) pos++;
      else neg++;
    }
    doubledWins += neg * (2 * positivesAbove + pos);
    positivesAbove += pos;
    negatives += neg;
  }
  if (positivesAbove === 0 || negatives === 0) return null;
  return doubledWins / (2 * positivesAbove * negatives);
}

function isProbability(score: number): boolean {
  return score >= 0 && score <= 1;
}

/** Mean binary cross-entropy, scores clipped to [eps, 1 - eps]. Null when a score is outside [0, 1]. */
export function logLoss(rows: readonly ScoredRow[], eps = LOG_LOSS_EPS): number | null {
  checkScoredRows(rows);
  return logLossOf(rows, eps);
}

function logLossOf(rows: readonly ScoredRow[], eps: number): number | null {
  if (!rows.every((r) => isProbability(r.score))) return null;
  let total = 0;
  for (const { label, score } of rows) {
    const p = Math.min(Math.max(score, eps), 1 - eps);
    total -= label === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return total / rows.length;
}

/**
 * Ten equal-width bins over [0, 1]: per bin the count, the mean score and the fraction of positives.
 * A well-calibrated model has mean score ≈ fraction positive in each bin. Bin edges follow sklearn's
 * `calibration_curve` (inner edges belong to the lower bin; 0 to the first), so the two agree.
 * Empty when a score is outside [0, 1].
 */
export function calibrationBins(rows: readonly ScoredRow[], bins = CALIBRATION_BINS): CalibrationBin[] {
  checkScoredRows(rows);
  if (!Number.isInteger(bins) || bins < 1)
    throw new InvalidInputError(`bins must be a positive integer, got ${bins}`, { where: 'bins' });
  return calibrationOf(rows, bins);
}

function calibrationOf(rows: readonly ScoredRow[], bins: number): CalibrationBin[] {
  if (!rows.every((r) => isProbability(r.score))) return [];
  const edges = Array.from({ length: bins + 1 }, (_, i) => i / bins);
  const sums = Array.from({ length: bins }, () => ({ count: 0, score: 0, positives: 0 }));
  for (const { label, score } of rows) {
    // First bin whose upper edge is >= score (numpy's searchsorted over the inner edges, side left).
    let b = 0;
    while (b < bins - 1 && score > edges[b + 1]!) b++;
    const sum = sums[b]!;
    sum.count++;
    sum.score += score;
    sum.positives += label;
  }
  return sums.map((s, i) => ({
    lower: edges[i]!,
    upper: edges[i + 1]!,
    count: s.count,
    meanPredicted: s.count === 0 ? null : s.score / s.count,
    fractionPositive: s.count === 0 ? null : s.positives / s.count,
  }));
}

/** Every binary classification metric for one model's scores. */
export function classificationMetrics(
  rows: readonly ScoredRow[],
  options: ClassificationOptions = {},
): ClassificationMetrics {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  checkScoredRows(rows);
  checkThreshold(threshold);
  const notes: string[] = [];
  const confusion = countConfusion(rows, threshold);
  const { tp, fp, tn, fn } = confusion;
  const precision = ratio(
    tp,
    tp + fp,
    notes,
    'precision is undefined (no predicted positives); reported as 0 as sklearn does',
  );
  const recall = ratio(tp, tp + fn, notes, 'recall is undefined (no positive labels); reported as 0 as sklearn does');
  // 2TP / (2TP + FP + FN) is the harmonic mean of precision and recall, and stays defined when one of them is 0.
  const f1 = ratio(
    2 * tp,
    2 * tp + fp + fn,
    notes,
    'F1 is undefined (no positives, predicted or true); reported as 0 as sklearn does',
  );
  const auc = aucOf(rows);
  if (auc === null) notes.push('ROC AUC is undefined: only one class is present in the labels');
  const log_loss = logLossOf(rows, LOG_LOSS_EPS);
  if (log_loss === null) notes.push('log loss and calibration need probabilities: some scores are outside [0, 1]');
  return {
    count: rows.length,
    threshold,
    accuracy: (tp + tn) / rows.length,
    precision,
    recall,
    f1,
    auc,
    log_loss,
    confusion,
    calibration: calibrationOf(rows, CALIBRATION_BINS),
    notes,
  };
}

export function checkRegressionRows(rows: readonly RegressionRow[], what = 'rows'): void {
  if (rows.length === 0) throw new InvalidInputError(`no ${what} to evaluate`, { hint: 'pass at least one row' });
  rows.forEach((row, i) => {
    for (const field of ['label', 'prediction'] as const) {
      const value = row[field];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new InvalidInputError(`${field} must be a finite number, got ${String(value)}`, {
          where: `${what}[${i}].${field}`,
        });
      }
    }
  });
}

/** RMSE, MAE and R² for one regressor. */
export function regressionMetrics(rows: readonly RegressionRow[]): RegressionMetrics {
  checkRegressionRows(rows);
  const n = rows.length;
  const mean = rows.reduce((s, r) => s + r.label, 0) / n;
  let squared = 0;
  let absolute = 0;
  let total = 0;
  for (const { label, prediction } of rows) {
    squared += (label - prediction) ** 2;
    absolute += Math.abs(label - prediction);
    total += (label - mean) ** 2;
  }
  const notes: string[] = [];
  let r2: number;
  if (total === 0) {
    // A constant label leaves R² undefined; sklearn (force_finite) reports 1 for a perfect fit, else 0.
    r2 = squared === 0 ? 1 : 0;
    notes.push(`R² is undefined (the labels are constant); reported as ${r2} as sklearn does`);
  } else {
    r2 = 1 - squared / total;
  }
  return { count: n, rmse: Math.sqrt(squared / n), mae: absolute / n, r2, notes };
}
