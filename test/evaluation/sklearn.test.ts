import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fairnessReport } from '../../src/evaluation/fairness.js';
import { classificationMetrics, regressionMetrics } from '../../src/evaluation/metrics.js';
import { prng } from '../support/prng.js';
import { makeTempDir } from '../support/temp.js';

// The metrics against scikit-learn's on a 200-row fixture. This needs Debian's python3-sklearn and
// fails (never skips) without it, so a missing reference cannot pass for agreement.
const PYTHON = '/usr/bin/python3';

/** A classifier's view (label, score, group) and a regressor's (value, prediction) of one example. */
interface FixtureRow {
  label: number;
  score: number;
  group: string;
  value: number;
  prediction: number;
}

function fixture(n: number): FixtureRow[] {
  const random = prng(20251126);
  const round = (x: number, digits: number) => Number(x.toFixed(digits));
  return Array.from({ length: n }, () => {
    const label = random() < 0.45 ? 1 : 0;
    // Two decimals: many tied scores (AUC ties) and some exactly on the threshold; kept in [0.01, 0.99]
    // so log loss does not depend on the clipping eps (sklearn's default eps changed across versions).
    const score = round(Math.min(0.99, Math.max(0.01, (label ? 0.25 : 0.05) + 0.7 * random())), 2);
    const group = ['a', 'b', 'c'][Math.floor(random() * 3)]!;
    const x = 10 * random();
    const value = round(3 * x - 4 + 2 * (random() - 0.5), 3);
    const prediction = round(2.8 * x - 3.5 + 3 * (random() - 0.5), 3);
    return { label, score, group, value, prediction };
  });
}

const SCRIPT = `
import csv, json, sys
import numpy as np
from sklearn import metrics
from sklearn.calibration import calibration_curve

rows = list(csv.DictReader(open(sys.argv[1])))
y = np.array([int(r['label']) for r in rows])
s = np.array([float(r['score']) for r in rows])
g = np.array([r['group'] for r in rows])
v = np.array([float(r['value']) for r in rows])
p = np.array([float(r['prediction']) for r in rows])
yp = (s >= 0.5).astype(int)
tn, fp, fn, tp = (int(c) for c in metrics.confusion_matrix(y, yp, labels=[0, 1]).ravel())
prob_true, prob_pred = calibration_curve(y, s, n_bins=10)
groups = {}
for name in sorted(set(g)):
    m = g == name
    gtn, gfp, gfn, gtp = (int(c) for c in metrics.confusion_matrix(y[m], yp[m], labels=[0, 1]).ravel())
    groups[name] = {
        'count': int(m.sum()),
        'positive_rate': float(yp[m].mean()),
        'tpr': float(metrics.recall_score(y[m], yp[m])),
        'fpr': gfp / (gfp + gtn),
        'precision': float(metrics.precision_score(y[m], yp[m])),
        'accuracy': float(metrics.accuracy_score(y[m], yp[m])),
    }
print(json.dumps({
    'accuracy': float(metrics.accuracy_score(y, yp)),
    'precision': float(metrics.precision_score(y, yp)),
    'recall': float(metrics.recall_score(y, yp)),
    'f1': float(metrics.f1_score(y, yp)),
    'auc': float(metrics.roc_auc_score(y, s)),
    'log_loss': float(metrics.log_loss(y, s)),
    'confusion': {'tp': tp, 'fp': fp, 'tn': tn, 'fn': fn},
    'calibration': {
        'fraction_positive': [float(x) for x in prob_true],
        'mean_predicted': [float(x) for x in prob_pred],
    },
    'rmse': float(np.sqrt(metrics.mean_squared_error(v, p))),
    'mae': float(metrics.mean_absolute_error(v, p)),
    'r2': float(metrics.r2_score(v, p)),
    'groups': groups,
}))
`;

interface Reference {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  auc: number;
  log_loss: number;
  confusion: { tp: number; fp: number; tn: number; fn: number };
  calibration: { fraction_positive: number[]; mean_predicted: number[] };
  rmse: number;
  mae: number;
  r2: number;
  groups: Record<
    string,
    { count: number; positive_rate: number; tpr: number; fpr: number; precision: number; accuracy: number }
  >;
}

function requireSklearn(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import sklearn'], { stdio: 'pipe' });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${PYTHON} cannot import sklearn; install python3-sklearn (apt-get install python3-sklearn) ` +
        `to run this reference test. ${reason}`,
      { cause: error },
    );
  }
}

const close = (actual: number | null, expected: number, what: string) => {
  expect(actual, what).not.toBeNull();
  expect(Math.abs(actual! - expected), `${what}: ${actual} vs sklearn ${expected}`).toBeLessThan(1e-9);
};

describe('metrics agree with sklearn.metrics', () => {
  const temp = makeTempDir('ciclo-eval-');
  afterAll(() => temp.remove());

  it('on a 200-row seeded fixture', () => {
    requireSklearn();
    const rows = fixture(200);
    // The fixture must exercise ties and the threshold edge, or agreement there would be untested.
    expect(rows.some((r) => r.score === 0.5)).toBe(true);
    expect(new Set(rows.map((r) => r.score)).size).toBeLessThan(150);
    const file = join(temp.dir, 'fixture.csv');
    const lines = rows.map((r) => [r.label, r.score, r.group, r.value, r.prediction].join(','));
    writeFileSync(file, ['label,score,group,value,prediction', ...lines].join('\n') + '\n');
    const reference = JSON.parse(execFileSync(PYTHON, ['-c', SCRIPT, file], { encoding: 'utf8' })) as Reference;

    const m = classificationMetrics(rows);
    for (const name of ['accuracy', 'precision', 'recall', 'f1', 'auc', 'log_loss'] as const)
      close(m[name], reference[name], name);
    expect(m.confusion).toEqual(reference.confusion);
    expect(m.notes).toEqual([]);
    // sklearn's calibration_curve leaves empty bins out.
    const filled = m.calibration.filter((b) => b.count > 0);
    expect(filled).toHaveLength(reference.calibration.fraction_positive.length);
    filled.forEach((bin, i) => {
      close(bin.fractionPositive, reference.calibration.fraction_positive[i]!, `calibration[${i}].fraction_positive`);
      close(bin.meanPredicted, reference.calibration.mean_predicted[i]!, `calibration[${i}].mean_predicted`);
    });

    const r = regressionMetrics(rows.map((row) => ({ label: row.value, prediction: row.prediction })));
    for (const name of ['rmse', 'mae', 'r2'] as const) close(r[name], reference[name], name);

    const fairness = fairnessReport(rows);
    expect(fairness.groups.map((g) => g.group)).toEqual(Object.keys(reference.groups));
    for (const group of fairness.groups) {
      const ref = reference.groups[group.group]!;
      expect(group.count).toBe(ref.count);
      for (const name of ['positive_rate', 'tpr', 'fpr', 'precision', 'accuracy'] as const)
        close(group[name], ref[name], `${group.group}.${name}`);
    }
    const rates = Object.values(reference.groups).map((g) => g.positive_rate);
    const tprs = Object.values(reference.groups).map((g) => g.tpr);
    close(
      fairness.demographic_parity_difference,
      Math.max(...rates) - Math.min(...rates),
      'demographic_parity_difference',
    );
    close(fairness.disparate_impact_ratio, Math.min(...rates) / Math.max(...rates), 'disparate_impact_ratio');
    close(fairness.equal_opportunity_difference, Math.max(...tprs) - Math.min(...tprs), 'equal_opportunity_difference');
  });
});
