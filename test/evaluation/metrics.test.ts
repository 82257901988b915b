import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/common/errors.js';
import {
  calibrationBins,
  classificationMetrics,
  confusionMatrix,
  logLoss,
  regressionMetrics,
  rocAuc,
  type ScoredRow,
} from '../../src/evaluation/metrics.js';

/*
 * Fixture A, threshold 0.5 (a score equal to the threshold is predicted positive):
 *
 *   label  score  predicted  cell
 *     1     0.9      1        TP
 *     1     0.8      1        TP
 *     0     0.7      1        FP
 *     1     0.6      1        TP
 *     0     0.5      1        FP   (on the threshold)
 *     1     0.4      0        FN
 *     0     0.2      0        TN
 *     0     0.1      0        TN
 *
 * TP 3, FP 2, TN 2, FN 1 → accuracy 5/8, precision 3/5, recall 3/4, F1 2·3/(2·3+2+1) = 6/9.
 * AUC: for each positive, the negatives scored below it: 0.9 → 4, 0.8 → 4, 0.6 → 3, 0.4 → 2;
 * 13 of 4·4 = 16 pairs → 0.8125.
 * Log loss: −(ln .9 + ln .8 + ln .6 + ln .4 + ln(1−.7) + ln(1−.5) + ln(1−.2) + ln(1−.1)) / 8.
 */
const A: ScoredRow[] = [
  { label: 1, score: 0.9 },
  { label: 1, score: 0.8 },
  { label: 0, score: 0.7 },
  { label: 1, score: 0.6 },
  { label: 0, score: 0.5 },
  { label: 1, score: 0.4 },
  { label: 0, score: 0.2 },
  { label: 0, score: 0.1 },
];

const errorOf = (fn: () => unknown): InvalidInputError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError');
};

describe('classification metrics', () => {
  it('fixture A by hand', () => {
    const m = classificationMetrics(A);
    expect(m.count).toBe(8);
    expect(m.threshold).toBe(0.5);
    expect(m.confusion).toEqual({ tp: 3, fp: 2, tn: 2, fn: 1 });
    expect(m.accuracy).toBe(5 / 8);
    expect(m.precision).toBe(3 / 5);
    expect(m.recall).toBe(3 / 4);
    expect(m.f1).toBeCloseTo(2 / 3, 15);
    expect(m.auc).toBe(0.8125);
    const expected =
      -(
        Math.log(0.9) +
        Math.log(0.8) +
        Math.log(0.6) +
        Math.log(0.4) +
        Math.log(0.3) +
        Math.log(0.5) +
        Math.log(0.8) +
        Math.log(0.9)
      ) / 8;
    expect(m.log_loss).toBeCloseTo(expected, 12);
    expect(m.notes).toEqual([]);
  });

  it('the threshold moves the confusion matrix', () => {
    // At 0.65 only 0.9, 0.8 and 0.7 are predicted positive: TP 2, FP 1, FN 2, TN 3.
    expect(confusionMatrix(A, 0.65)).toEqual({ tp: 2, fp: 1, tn: 3, fn: 2 });
    const m = classificationMetrics(A, { threshold: 0.65 });
    expect(m.precision).toBe(2 / 3);
    expect(m.recall).toBe(2 / 4);
    // The AUC does not depend on the threshold.
    expect(m.auc).toBe(0.8125);
  });

  it('AUC counts a tied positive/negative pair as one half', () => {
    // Pairs: (0.8 vs 0.5) 1, (0.8 vs 0.2) 1, (0.5 vs 0.5) ½, (0.5 vs 0.2) 1 → 3.5 / 4.
    const rows = [
      { label: 1, score: 0.5 },
      { label: 0, score: 0.5 },
      { label: 1, score: 0.8 },
      { label: 0, score: 0.2 },
    ];
    expect(rocAuc(rows)).toBe(0.875);
    // All scores equal: every pair a tie → 0.5.
    expect(rocAuc(rows.map((r) => ({ ...r, score: 0.3 })))).toBe(0.5);
    // AUC only needs an ordering: scores outside [0, 1] are fine.
    expect(rocAuc(rows.map((r) => ({ ...r, score: r.score * 100 - 40 })))).toBe(0.875);
  });

  it('a single class: AUC is null with a note, precision/recall 0 with notes', () => {
    const m = classificationMetrics([
      { label: 0, score: 0.2 },
      { label: 0, score: 0.4 },
    ]);
    expect(m.auc).toBeNull();
    expect(m.notes).toContain('ROC AUC is undefined: only one class is present in the labels');
    expect(m.precision).toBe(0);
    expect(m.recall).toBe(0);
    expect(m.f1).toBe(0);
    expect(m.accuracy).toBe(1);
    expect(m.notes.some((n) => n.startsWith('precision is undefined'))).toBe(true);
    expect(m.notes.some((n) => n.startsWith('recall is undefined'))).toBe(true);
  });

  it('log loss clips confident mistakes at 1e-15 instead of going infinite', () => {
    const loss = logLoss([
      { label: 1, score: 0 },
      { label: 0, score: 1 },
    ]);
    // The negative row's p is clipped to 1 − 1e-15, which as a double is not exactly 1e-15 away from 1;
    // the same float arithmetic as numpy's clip.
    expect(loss).toBe(-(Math.log(1e-15) + Math.log(1 - (1 - 1e-15))) / 2);
    expect(loss).toBeCloseTo(34.5, 0);
    expect(logLoss([{ label: 1, score: 1 }])).toBeCloseTo(-Math.log(1 - 1e-15), 20);
  });

  it('scores outside [0, 1]: no log loss, no calibration, a note', () => {
    const m = classificationMetrics([
      { label: 1, score: 2.5 },
      { label: 0, score: -1 },
    ]);
    expect(m.log_loss).toBeNull();
    expect(m.calibration).toEqual([]);
    expect(m.auc).toBe(1);
    expect(m.notes).toContain('log loss and calibration need probabilities: some scores are outside [0, 1]');
  });

  it('calibration: ten equal-width bins, inner edges in the lower bin', () => {
    const bins = calibrationBins(A);
    expect(bins).toHaveLength(10);
    expect(bins.map((b) => b.count)).toEqual([1, 1, 0, 1, 1, 1, 1, 1, 1, 0]);
    // 0.1 sits on the edge between bins 0 and 1 and goes to bin 0; 0.5 to bin 4 (0.4, 0.5].
    expect(bins[0]).toEqual({ lower: 0, upper: 0.1, count: 1, meanPredicted: 0.1, fractionPositive: 0 });
    expect(bins[2]).toEqual({ lower: 0.2, upper: 0.3, count: 0, meanPredicted: null, fractionPositive: null });
    expect(bins[4]).toMatchObject({ count: 1, meanPredicted: 0.5, fractionPositive: 0 });
    expect(bins[8]).toMatchObject({ count: 1, meanPredicted: 0.9, fractionPositive: 1 });
    // 0 lands in the first bin and 1 in the last.
    const ends = calibrationBins([
      { label: 0, score: 0 },
      { label: 1, score: 1 },
      { label: 1, score: 0.95 },
      { label: 0, score: 0.93 },
    ]);
    expect(ends[0]).toMatchObject({ count: 1, meanPredicted: 0, fractionPositive: 0 });
    expect(ends[9]!.count).toBe(3);
    expect(ends[9]!.meanPredicted).toBeCloseTo((1 + 0.95 + 0.93) / 3, 15);
    expect(ends[9]!.fractionPositive).toBeCloseTo(2 / 3, 15);
  });

  it('rejects empty input, labels other than 0/1, non-finite scores and thresholds', () => {
    expect(errorOf(() => classificationMetrics([])).message).toBe('no rows to evaluate');
    const label = errorOf(() =>
      classificationMetrics([
        { label: 1, score: 0.3 },
        { label: 2, score: 0.4 },
      ]),
    );
    expect(label.message).toBe('label must be 0 or 1, got 2');
    expect(label.details.where).toBe('rows[1].label');
    expect(label.code).toBe('INVALID_PARAMETER_VALUE');
    const nan = errorOf(() => rocAuc([{ label: 1, score: Number.NaN }]));
    expect(nan.message).toBe('score must be a finite number, got NaN');
    expect(nan.details.where).toBe('rows[0].score');
    expect(errorOf(() => logLoss([{ label: 0, score: Number.POSITIVE_INFINITY }])).details.where).toBe('rows[0].score');
    expect(errorOf(() => classificationMetrics(A, { threshold: Number.NaN })).details.where).toBe('threshold');
    expect(errorOf(() => calibrationBins(A, 0)).details.where).toBe('bins');
  });
});

describe('regression metrics', () => {
  it('by hand', () => {
    // labels 3, −0.5, 2, 7; predictions 2.5, 0, 2, 8 → errors 0.5, −0.5, 0, −1.
    // MSE (0.25 + 0.25 + 0 + 1) / 4 = 0.375; MAE (0.5 + 0.5 + 0 + 1) / 4 = 0.5.
    // mean label 2.875; Σ(y − mean)² = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875;
    // R² = 1 − 1.5 / 29.1875.
    const m = regressionMetrics([
      { label: 3, prediction: 2.5 },
      { label: -0.5, prediction: 0 },
      { label: 2, prediction: 2 },
      { label: 7, prediction: 8 },
    ]);
    expect(m.count).toBe(4);
    expect(m.rmse).toBe(Math.sqrt(0.375));
    expect(m.mae).toBe(0.5);
    expect(m.r2).toBeCloseTo(1 - 1.5 / 29.1875, 15);
    expect(m.notes).toEqual([]);
  });

  it('constant labels: R² is 1 for a perfect fit, else 0, with a note', () => {
    const perfect = regressionMetrics([
      { label: 2, prediction: 2 },
      { label: 2, prediction: 2 },
    ]);
    expect(perfect.r2).toBe(1);
    expect(perfect.rmse).toBe(0);
    const off = regressionMetrics([
      { label: 2, prediction: 1 },
      { label: 2, prediction: 3 },
    ]);
    expect(off.r2).toBe(0);
    expect(off.notes[0]).toContain('R² is undefined');
  });

  it('a worse-than-the-mean model has negative R²', () => {
    // labels 1, 2, 3 (mean 2, Σ(y − mean)² = 2); predictions 3, 2, 1 → Σ errors² = 8 → R² = 1 − 8/2 = −3.
    const m = regressionMetrics([
      { label: 1, prediction: 3 },
      { label: 2, prediction: 2 },
      { label: 3, prediction: 1 },
    ]);
    expect(m.r2).toBe(-3);
  });

  it('rejects empty input and non-finite values', () => {
    expect(errorOf(() => regressionMetrics([])).message).toBe('no rows to evaluate');
    const e = errorOf(() =>
      regressionMetrics([
        { label: 1, prediction: 1 },
        { label: 1, prediction: Number.NaN },
      ]),
    );
    expect(e.details.where).toBe('rows[1].prediction');
    expect(errorOf(() => regressionMetrics([{ label: Number.NaN, prediction: 1 }])).details.where).toBe(
      'rows[0].label',
    );
  });
});
