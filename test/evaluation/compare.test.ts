import { describe, expect, it } from 'vitest';
import { compareClassifiers, compareRegressors } from '../../src/evaluation/compare.js';

describe('champion vs challenger', () => {
  /*
   *   label  champion  challenger
   *     1      0.6       0.9
   *     0      0.7       0.2
   *     1      0.4       0.8
   *     0      0.3       0.4
   *
   * Champion at 0.5: TP 1 (0.6), FP 1 (0.7), FN 1 (0.4), TN 1 → accuracy 1/2, precision 1/2, recall 1/2, F1 1/2;
   *   AUC: 0.6 beats 0.3 only, 0.4 beats 0.3 only → 2/4.
   * Challenger: every row right → accuracy, precision, recall, F1 and AUC 1.
   * Log loss: champion −(ln .6 + ln .3 + ln .4 + ln .7)/4, challenger −(ln .9 + ln .8 + ln .8 + ln .6)/4: lower.
   */
  const rows = [
    { label: 1, champion: 0.6, challenger: 0.9 },
    { label: 0, champion: 0.7, challenger: 0.2 },
    { label: 1, champion: 0.4, challenger: 0.8 },
    { label: 0, champion: 0.3, challenger: 0.4 },
  ];

  it('classifiers: deltas and which way is better', () => {
    const result = compareClassifiers(rows);
    const by = Object.fromEntries(result.metrics.map((m) => [m.metric, m]));
    expect(Object.keys(by)).toEqual(['accuracy', 'precision', 'recall', 'f1', 'auc', 'log_loss']);
    expect(by.accuracy).toEqual({
      metric: 'accuracy',
      direction: 'higher',
      champion: 0.5,
      challenger: 1,
      delta: 0.5,
      better: true,
    });
    expect(by.auc).toEqual({
      metric: 'auc',
      direction: 'higher',
      champion: 0.5,
      challenger: 1,
      delta: 0.5,
      better: true,
    });
    const championLoss = -(Math.log(0.6) + Math.log(0.3) + Math.log(0.4) + Math.log(0.7)) / 4;
    const challengerLoss = -(Math.log(0.9) + Math.log(0.8) + Math.log(0.8) + Math.log(0.6)) / 4;
    expect(by.log_loss!.direction).toBe('lower');
    expect(by.log_loss!.champion).toBeCloseTo(championLoss, 15);
    expect(by.log_loss!.delta).toBeCloseTo(challengerLoss - championLoss, 15);
    expect(by.log_loss!.delta!).toBeLessThan(0);
    expect(by.log_loss!.better).toBe(true);
    expect(result.champion.confusion).toEqual({ tp: 1, fp: 1, tn: 1, fn: 1 });
    expect(result.challenger.confusion).toEqual({ tp: 2, fp: 0, tn: 2, fn: 0 });
  });

  it('swapped, the champion wins: better is false; equal is not better', () => {
    const swapped = compareClassifiers(
      rows.map((r) => ({ label: r.label, champion: r.challenger, challenger: r.champion })),
    );
    expect(swapped.metrics.every((m) => m.better === false)).toBe(true);
    const same = compareClassifiers(rows.map((r) => ({ ...r, challenger: r.champion })));
    expect(same.metrics.every((m) => m.delta === 0 && m.better === false)).toBe(true);
  });

  it('an undefined metric on either side gives no delta and no verdict', () => {
    const oneClass = compareClassifiers([
      { label: 1, champion: 0.2, challenger: 0.9 },
      { label: 1, champion: 0.4, challenger: 0.7 },
    ]);
    const auc = oneClass.metrics.find((m) => m.metric === 'auc')!;
    expect(auc).toEqual({
      metric: 'auc',
      direction: 'higher',
      champion: null,
      challenger: null,
      delta: null,
      better: null,
    });
  });

  it('regressors: lower RMSE/MAE and higher R² are better', () => {
    // labels 1, 2, 3 (Σ(y − mean)² = 2). Champion 2, 2, 2: errors −1, 0, 1 → RMSE √(2/3), MAE 2/3, R² 0.
    // Challenger 1, 2, 4: errors 0, 0, −1 → RMSE √(1/3), MAE 1/3, R² 1 − 1/2 = 0.5.
    const result = compareRegressors([
      { label: 1, champion: 2, challenger: 1 },
      { label: 2, champion: 2, challenger: 2 },
      { label: 3, champion: 2, challenger: 4 },
    ]);
    const by = Object.fromEntries(result.metrics.map((m) => [m.metric, m]));
    expect(by.rmse).toMatchObject({
      direction: 'lower',
      champion: Math.sqrt(2 / 3),
      challenger: Math.sqrt(1 / 3),
      better: true,
    });
    expect(by.mae).toMatchObject({ direction: 'lower', champion: 2 / 3, challenger: 1 / 3, better: true });
    expect(by.mae!.delta).toBeCloseTo(-1 / 3, 15);
    expect(by.r2).toEqual({
      metric: 'r2',
      direction: 'higher',
      champion: 0,
      challenger: 0.5,
      delta: 0.5,
      better: true,
    });
  });

  it('rejects no rows and non-finite scores, naming the model', () => {
    expect(() => compareClassifiers([])).toThrow('no rows to compare the models on');
    expect(() => compareRegressors([{ label: 1, champion: 1, challenger: Number.NaN }])).toThrow(
      'challenger must be a finite number, got NaN',
    );
    expect(() => compareClassifiers([{ label: 3, champion: 0.1, challenger: 0.2 }])).toThrow(
      'label must be 0 or 1, got 3',
    );
  });
});
