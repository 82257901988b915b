import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/common/errors.js';
import { fairnessReport, type GroupedScoredRow } from '../../src/evaluation/fairness.js';

/*
 * Two groups, threshold 0.5:
 *
 *   group a: (1, .9) TP  (1, .6) TP  (0, .7) FP  (0, .2) TN
 *            → TP 2 FP 1 TN 1 FN 0: positive rate 3/4, TPR 2/2 = 1, FPR 1/2, precision 2/3, accuracy 3/4
 *   group b: (1, .8) TP  (1, .3) FN  (1, .1) FN  (0, .4) TN  (0, .6) FP
 *            → TP 1 FP 1 TN 1 FN 2: positive rate 2/5, TPR 1/3, FPR 1/2, precision 1/2, accuracy 2/5
 *
 * Demographic parity difference 3/4 − 2/5 = 0.35; disparate impact ratio (2/5) / (3/4) = 8/15;
 * equal opportunity difference 1 − 1/3 = 2/3; equalized odds difference max(2/3, 1/2 − 1/2) = 2/3.
 */
const rows: GroupedScoredRow[] = [
  { group: 'b', label: 1, score: 0.8 },
  { group: 'a', label: 1, score: 0.9 },
  { group: 'a', label: 1, score: 0.6 },
  { group: 'b', label: 1, score: 0.3 },
  { group: 'a', label: 0, score: 0.7 },
  { group: 'b', label: 1, score: 0.1 },
  { group: 'a', label: 0, score: 0.2 },
  { group: 'b', label: 0, score: 0.4 },
  { group: 'b', label: 0, score: 0.6 },
];

describe('fairness report', () => {
  it('two groups by hand', () => {
    const report = fairnessReport(rows);
    expect(report.threshold).toBe(0.5);
    expect(report.groups).toEqual([
      {
        group: 'a',
        count: 4,
        positives: 2,
        positive_rate: 3 / 4,
        tpr: 1,
        fpr: 1 / 2,
        precision: 2 / 3,
        accuracy: 3 / 4,
      },
      {
        group: 'b',
        count: 5,
        positives: 3,
        positive_rate: 2 / 5,
        tpr: 1 / 3,
        fpr: 1 / 2,
        precision: 1 / 2,
        accuracy: 2 / 5,
      },
    ]);
    expect(report.demographic_parity_difference).toBeCloseTo(0.35, 15);
    expect(report.disparate_impact_ratio).toBeCloseTo(8 / 15, 15);
    expect(report.equal_opportunity_difference).toBeCloseTo(2 / 3, 15);
    expect(report.equalized_odds_difference).toBeCloseTo(2 / 3, 15);
    expect(report.notes).toEqual([]);
  });

  it('a group without positive labels has no TPR and is left out of equal opportunity', () => {
    const report = fairnessReport([
      ...rows,
      { group: 'c', label: 0, score: 0.55 },
      { group: 'c', label: 0, score: 0.1 },
    ]);
    const c = report.groups.find((g) => g.group === 'c')!;
    // c: FP 1, TN 1 → positive rate 1/2, FPR 1/2, precision 0/1 = 0.
    expect(c).toEqual({
      group: 'c',
      count: 2,
      positives: 0,
      positive_rate: 0.5,
      tpr: null,
      fpr: 0.5,
      precision: 0,
      accuracy: 0.5,
    });
    expect(report.equal_opportunity_difference).toBeCloseTo(2 / 3, 15);
    expect(report.notes).toEqual(['TPR is undefined for c (no positive labels); left out of the differences']);
  });

  it('no predicted positives anywhere: parity holds, the ratio is undefined', () => {
    const report = fairnessReport(rows, { threshold: 0.95 });
    expect(report.demographic_parity_difference).toBe(0);
    expect(report.disparate_impact_ratio).toBeNull();
    expect(report.groups.every((g) => g.precision === null)).toBe(true);
    expect(report.notes).toContain('disparate impact ratio is undefined: no group has a predicted positive');
  });

  it('one group: differences 0, ratio 1, a note', () => {
    const report = fairnessReport(rows.filter((r) => r.group === 'a'));
    expect(report.demographic_parity_difference).toBe(0);
    expect(report.disparate_impact_ratio).toBe(1);
    expect(report.equal_opportunity_difference).toBe(0);
    expect(report.notes[0]).toBe('only one group ("a"): the differences are 0 by definition');
  });

  it('rejects empty input, bad labels and missing groups', () => {
    expect(() => fairnessReport([])).toThrow(InvalidInputError);
    expect(() => fairnessReport([{ group: 'a', label: -1, score: 0.5 }])).toThrow('label must be 0 or 1, got -1');
    const missing = [{ label: 1, score: 0.5 }] as unknown as GroupedScoredRow[];
    expect(() => fairnessReport(missing)).toThrow('group must be a string, got undefined');
  });
});
