import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataEngine, sqlString } from '../../src/data/index.js';
import {
  calibrationBins,
  classificationMetrics,
  fairnessReport,
  regressionMetrics,
  type ScoredRow,
} from '../../src/evaluation/index.js';
import { computeModelQuality, type MetricValue } from '../../src/monitoring/index.js';
import { prng } from '../support/prng.js';
import { makeTempDir } from '../support/temp.js';

// Model quality computed in DuckDB against src/evaluation's pure functions on the same rows (1e-12) and
// against scikit-learn (1e-9). The sklearn part needs Debian's python3-sklearn and fails, never skips, without it.
const PYTHON = '/usr/bin/python3';

interface FixtureRow {
  request_id: string;
  label: number;
  score: number;
  region: string;
  channel: string;
  gender: string;
  value: number;
  prediction: number;
}

const REGIONS = ['north', 'south', 'east'];
const CHANNELS = ['web', 'app'];
const GENDERS = ['f', 'm', 'x'];

function fixture(n: number, seed: number): FixtureRow[] {
  const random = prng(seed);
  const round = (x: number, digits: number) => Number(x.toFixed(digits));
  return Array.from({ length: n }, (_, i) => {
    const gender = GENDERS[Math.floor(random() * 3)]!;
    const label = random() < (gender === 'x' ? 0.3 : 0.45) ? 1 : 0;
    // Two decimals: tied scores (AUC ties), scores on the threshold and on calibration bin edges; kept in
    // [0.01, 0.99] so sklearn's log loss does not depend on its clipping eps (which changed across versions).
    const score = round(Math.min(0.99, Math.max(0.01, (label ? 0.25 : 0.05) + 0.7 * random())), 2);
    const x = 10 * random();
    return {
      request_id: `r${i}`,
      label,
      score,
      region: REGIONS[Math.floor(random() * 3)]!,
      channel: CHANNELS[Math.floor(random() * 2)]!,
      gender,
      value: round(3 * x - 4 + 2 * (random() - 0.5), 3),
      prediction: round(2.8 * x - 3.5 + 3 * (random() - 0.5), 3),
    };
  });
}

const COLUMNS = ['request_id', 'label', 'score', 'region', 'channel', 'gender', 'value', 'prediction'] as const;

function writeCsv(file: string, rows: readonly FixtureRow[]): void {
  const lines = rows.map((r) => COLUMNS.map((c) => r[c]).join(','));
  writeFileSync(file, [COLUMNS.join(','), ...lines].join('\n') + '\n');
}

/** The fixture as DuckDB tables shaped as capture and feedback are: predictions and labels joined by request id. */
async function loadJoined(engine: DataEngine, file: string, name: string): Promise<string> {
  const source = `read_csv(${sqlString(file)}, header = true)`;
  await engine.run(`CREATE TABLE ${name}_captured AS SELECT * EXCLUDE (label, value) FROM ${source}`);
  await engine.run(`CREATE TABLE ${name}_feedback AS SELECT request_id, label, value FROM ${source}`);
  return `(SELECT * FROM ${name}_captured JOIN ${name}_feedback USING (request_id))`;
}

function find(values: readonly MetricValue[], metric: string, place: { segment?: string; feature?: string } = {}) {
  const found = values.filter((v) => v.metric === metric && v.segment === place.segment && v.feature === place.feature);
  expect(found, `${metric} ${JSON.stringify(place)}`).toHaveLength(1);
  return found[0]!;
}

function near(actual: number | null | undefined, expected: number | null, tolerance: number, what: string): void {
  if (expected === null) {
    expect(actual, what).toBeNull();
    return;
  }
  expect(actual, what).toBeTypeOf('number');
  expect(Math.abs(actual! - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

/** Expected calibration error from src/evaluation's bins: sum of count / n · |mean score − fraction positive|. */
function eceOf(rows: readonly ScoredRow[], bins = 10): number {
  return calibrationBins(rows, bins).reduce(
    (sum, b) =>
      b.count === 0 ? sum : sum + (b.count / rows.length) * Math.abs(b.meanPredicted! - b.fractionPositive!),
    0,
  );
}

function expectEvaluation(values: readonly MetricValue[], rows: readonly ScoredRow[], segment?: string): void {
  const place = segment === undefined ? {} : { segment };
  const m = classificationMetrics(rows);
  expect(find(values, 'model.rows', place).value).toBe(rows.length);
  const pairs: [string, number | null][] = [
    ['model.accuracy', m.accuracy],
    ['model.precision', m.precision],
    ['model.recall', m.recall],
    ['model.f1', m.f1],
    ['model.auc', m.auc],
    ['model.log_loss', m.log_loss],
    ['model.calibration_error', eceOf(rows)],
  ];
  for (const [metric, expected] of pairs)
    near(find(values, metric, place).value, expected, 1e-12, `${metric} ${segment}`);
}

function noNaN(values: readonly MetricValue[]): void {
  for (const v of values) {
    if (v.value === null) expect(v.reason, `${v.metric} is null without a reason`).toBeTruthy();
    else expect(Number.isFinite(v.value), `${v.metric} = ${v.value}`).toBe(true);
  }
}

describe('computeModelQuality', () => {
  const temp = makeTempDir('ciclo-model-quality-');
  let engine: DataEngine;
  let rows: FixtureRow[];
  let relation: string;
  let file: string;

  beforeAll(async () => {
    engine = await DataEngine.open({ threads: 2 });
    rows = fixture(600, 20251205);
    file = join(temp.dir, 'fixture.csv');
    writeCsv(file, rows);
    relation = await loadJoined(engine, file, 'fx');
  });
  afterAll(() => {
    engine.close();
    temp.remove();
  });

  const scored = (list: readonly FixtureRow[]): ScoredRow[] => list.map((r) => ({ label: r.label, score: r.score }));

  it('equals classificationMetrics overall and per segment, and fairnessReport per sensitive attribute', async () => {
    // The fixture must have ties, threshold-edge and bin-edge scores, or agreement there would go untested.
    expect(rows.some((r) => r.score === 0.5)).toBe(true);
    expect(rows.some((r) => r.score === 0.3 || r.score === 0.7)).toBe(true);
    const values = await computeModelQuality(engine, {
      relation,
      label: 'label',
      score: 'score',
      task: 'classification',
      segments: ['region', 'channel'],
      sensitive: ['gender', 'region'],
    });
    noNaN(values);
    expectEvaluation(values, scored(rows));
    for (const [column, options] of [
      ['region', REGIONS],
      ['channel', CHANNELS],
    ] as const) {
      for (const option of options)
        expectEvaluation(values, scored(rows.filter((r) => r[column] === option)), `${column}=${option}`);
    }
    const segments = new Set(values.map((v) => v.segment).filter((s) => s !== undefined));
    expect(segments.size).toBe(REGIONS.length + CHANNELS.length);

    for (const attribute of ['gender', 'region'] as const) {
      const report = fairnessReport(rows.map((r) => ({ label: r.label, score: r.score, group: r[attribute] })));
      for (const gap of [
        'demographic_parity_difference',
        'disparate_impact_ratio',
        'equal_opportunity_difference',
        'equalized_odds_difference',
      ] as const) {
        near(find(values, `fairness.${gap}`, { feature: attribute }).value, report[gap], 1e-12, `${attribute} ${gap}`);
      }
    }
    // The gaps must be real gaps, or equality with fairnessReport would be trivially 0 = 0.
    expect(find(values, 'fairness.demographic_parity_difference', { feature: 'gender' }).value).toBeGreaterThan(0.01);
  });

  it('equals regressionMetrics overall and per segment', async () => {
    const values = await computeModelQuality(engine, {
      relation,
      label: 'value',
      score: 'prediction',
      task: 'regression',
      segments: ['channel'],
    });
    noNaN(values);
    const check = (list: readonly FixtureRow[], segment?: string) => {
      const place = segment === undefined ? {} : { segment };
      const r = regressionMetrics(list.map((row) => ({ label: row.value, prediction: row.prediction })));
      expect(find(values, 'model.rows', place).value).toBe(list.length);
      near(find(values, 'model.rmse', place).value, r.rmse, 1e-12, `rmse ${segment}`);
      near(find(values, 'model.mae', place).value, r.mae, 1e-12, `mae ${segment}`);
    };
    check(rows);
    for (const channel of CHANNELS)
      check(
        rows.filter((r) => r.channel === channel),
        `channel=${channel}`,
      );
    expect(values).toHaveLength(3 * 3);
  });

  it('agrees with scikit-learn on the same rows, per segment and per sensitive group', async () => {
    requireSklearn();
    const reference = JSON.parse(execFileSync(PYTHON, ['-c', SKLEARN_SCRIPT, file], { encoding: 'utf8' })) as Record<
      string,
      Record<string, number>
    >;
    const values = await computeModelQuality(engine, {
      relation,
      label: 'label',
      score: 'score',
      task: 'classification',
      segments: ['region'],
      sensitive: ['gender'],
    });
    const regression = await computeModelQuality(engine, {
      relation,
      label: 'value',
      score: 'prediction',
      task: 'regression',
      segments: ['region'],
    });
    for (const [key, metrics] of Object.entries(reference)) {
      if (key === 'fairness') {
        for (const [gap, expected] of Object.entries(metrics))
          near(find(values, `fairness.${gap}`, { feature: 'gender' }).value, expected, 1e-9, `sklearn ${gap}`);
        continue;
      }
      const place = key === 'overall' ? {} : { segment: key };
      for (const [metric, expected] of Object.entries(metrics)) {
        const source = metric === 'rmse' || metric === 'mae' ? regression : values;
        near(find(source, `model.${metric}`, place).value, expected, 1e-9, `sklearn ${metric} ${key}`);
      }
    }
    expect(Object.keys(reference)).toHaveLength(1 + REGIONS.length + 1);
  });

  it('bins edge scores as calibrationBins does, for any bin count, and clips log loss as logLoss does', async () => {
    const edgy = Array.from({ length: 101 }, (_, i) => ({ label: i % 3 === 0 ? 1 : 0, score: i / 100 }));
    const tuples = edgy.map((r) => `(${r.label}, ${r.score})`).join(', ');
    await engine.run(`CREATE TABLE edges AS SELECT * FROM (VALUES ${tuples}) t(label, score)`);
    for (const bins of [10, 7, 3, 20]) {
      const values = await computeModelQuality(engine, {
        relation: 'edges',
        label: 'label',
        score: 'score',
        task: 'classification',
        calibrationBins: bins,
      });
      near(find(values, 'model.calibration_error').value, eceOf(edgy, bins), 1e-12, `ece with ${bins} bins`);
    }
    const values = await computeModelQuality(engine, {
      relation: 'edges',
      label: 'label',
      score: 'score',
      task: 'classification',
      threshold: 0.3,
    });
    // Scores 0 and 1 on the wrong class: finite only through the 1e-15 clip.
    near(find(values, 'model.log_loss').value, classificationMetrics(edgy).log_loss, 1e-12, 'clipped log loss');
    near(
      find(values, 'model.precision').value,
      classificationMetrics(edgy, { threshold: 0.3 }).precision,
      0,
      'threshold',
    );
  });

  it('reads boolean labels as 1 and 0', async () => {
    await engine.run(`CREATE TABLE booleans AS SELECT label = 1 AS label, score FROM ${relation}`);
    const values = await computeModelQuality(engine, {
      relation: 'booleans',
      label: 'label',
      score: 'score',
      task: 'classification',
    });
    expectEvaluation(values, scored(rows));
  });
});

describe('what cannot be computed is null with a reason', () => {
  let engine: DataEngine;
  beforeAll(async () => {
    engine = await DataEngine.open({ threads: 1 });
  });
  afterAll(() => engine.close());

  async function table(name: string, values: string, columns = 'label, score, segment'): Promise<string> {
    await engine.run(`CREATE TABLE ${name} AS SELECT * FROM (VALUES ${values}) t(${columns})`);
    return name;
  }

  const classify = (relation: string, extra: { threshold?: number; sensitive?: string[] } = {}) =>
    computeModelQuality(engine, {
      relation,
      label: 'label',
      score: 'score',
      task: 'classification',
      segments: ['segment'],
      ...extra,
    });

  it('gives no AUC for one class, no precision without predicted positives, no recall without positives', async () => {
    const relation = await table(
      'one_class',
      `(0, 0.2, 'a'), (0, 0.7, 'a'), (1, 0.9, 'b'), (0, 0.1, 'b'), (1, 0.4, 'c'), (1, 0.3, 'c')`,
    );
    const values = await classify(relation);
    noNaN(values);
    const auc = find(values, 'model.auc', { segment: 'segment=a' });
    expect(auc.value).toBeNull();
    expect(auc.reason).toMatch(/one class/);
    expect(find(values, 'model.recall', { segment: 'segment=a' }).reason).toMatch(/no positive labels/);
    expect(find(values, 'model.auc', { segment: 'segment=b' }).value).toBe(1);
    const precision = find(values, 'model.precision', { segment: 'segment=c' });
    expect(precision.value).toBeNull();
    expect(precision.reason).toMatch(/no predicted positives/);
    // F1 stays defined (0) where recall is: sklearn does not warn there.
    expect(find(values, 'model.f1', { segment: 'segment=c' }).value).toBe(0);
    expect(find(values, 'model.recall', { segment: 'segment=c' }).value).toBe(0);
    expect(find(values, 'model.accuracy', { segment: 'segment=a' }).value).toBe(0.5);
  });

  it('reports model.rows 0 and every metric null for a window without rows', async () => {
    const relation = await table('empty', `(1, 0.5, 'a')`);
    const values = await computeModelQuality(engine, {
      relation: `(SELECT * FROM ${relation} WHERE false)`,
      label: 'label',
      score: 'score',
      task: 'classification',
      segments: ['segment'],
      sensitive: ['segment'],
    });
    expect(find(values, 'model.rows').value).toBe(0);
    expect(values.filter((v) => v.metric !== 'model.rows').every((v) => v.value === null && v.reason)).toBe(true);
    expect(values.filter((v) => v.metric.startsWith('fairness.'))).toHaveLength(4);
    const regression = await computeModelQuality(engine, {
      relation: `(SELECT * FROM ${relation} WHERE false)`,
      label: 'label',
      score: 'score',
      task: 'regression',
    });
    expect(regression).toEqual([
      { metric: 'model.rows', value: 0 },
      { metric: 'model.rmse', value: null, reason: 'no rows with feedback in the window' },
      { metric: 'model.mae', value: null, reason: 'no rows with feedback in the window' },
    ]);
  });

  it('gives no log loss or calibration for scores outside [0, 1], and no metric from unusable rows', async () => {
    const margins = await table('margins', `(1, 2.5, 'a'), (0, -1.0, 'a'), (1, 0.9, 'b'), (0, 0.2, 'b')`);
    const values = await classify(margins);
    noNaN(values);
    expect(find(values, 'model.log_loss').reason).toMatch(/2 scores outside \[0, 1\]/);
    expect(find(values, 'model.calibration_error').value).toBeNull();
    expect(find(values, 'model.auc').value).toBe(1);
    expect(find(values, 'model.log_loss', { segment: 'segment=b' }).value).toBeCloseTo(
      -(Math.log(0.9) + Math.log(0.8)) / 2,
      12,
    );

    const broken = await table(
      'broken',
      `(2, 0.5, 'a'), (1, 0.6, 'a'), (1, NULL, 'b'), (0, 0.3, 'b'), (1, 'NaN'::DOUBLE, NULL), (0, 0.1, NULL)`,
    );
    const bad = await classify(broken, { sensitive: ['segment'] });
    noNaN(bad);
    expect(find(bad, 'model.rows').value).toBe(6);
    expect(find(bad, 'model.accuracy').reason).toBe(
      '1 row with a label that is not 0/1 or true/false and 2 rows without a finite score',
    );
    expect(find(bad, 'model.auc', { segment: 'segment=b' }).reason).toBe('1 row without a finite score');
    expect(find(bad, 'model.auc', { segment: 'segment=(null)' }).reason).toBe('1 row without a finite score');
    expect(find(bad, 'fairness.disparate_impact_ratio', { feature: 'segment' }).value).toBeNull();
  });

  it('gives no disparate impact ratio when no group has a predicted positive', async () => {
    const relation = await table('none_selected', `(1, 0.1, 'a'), (0, 0.2, 'a'), (1, 0.3, 'b'), (0, 0.2, 'b')`);
    const values = await classify(relation, { sensitive: ['segment'] });
    noNaN(values);
    const ratio = find(values, 'fairness.disparate_impact_ratio', { feature: 'segment' });
    expect(ratio.value).toBeNull();
    expect(ratio.reason).toMatch(/no group has a predicted positive/);
    expect(find(values, 'fairness.demographic_parity_difference', { feature: 'segment' }).value).toBe(0);
    expect(find(values, 'fairness.equal_opportunity_difference', { feature: 'segment' }).value).toBe(0);
  });

  it('refuses columns the relation lacks, and fairness for a regression, naming the field', async () => {
    const relation = await table('plain', `(1, 0.5, 'a')`);
    await expect(classify(relation, { sensitive: ['gender'] })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      details: { where: 'sensitive[0]' },
    });
    await expect(
      computeModelQuality(engine, {
        relation,
        label: 'label',
        score: 'score',
        task: 'regression',
        sensitive: ['segment'],
      }),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', details: { where: 'sensitive' } });
    await expect(
      computeModelQuality(engine, {
        relation,
        label: 'label',
        score: 'score',
        task: 'classification',
        calibrationBins: 0,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', details: { where: 'calibrationBins' } });
  });
});

function requireSklearn(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import sklearn'], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`${PYTHON} cannot import sklearn; install python3-sklearn to run this reference test`, {
      cause: error,
    });
  }
}

// Per group (overall, each region): sklearn's metrics; ECE over calibration_curve's binning (np.searchsorted over
// the inner edges of linspace(0, 1, 11)); per gender, the rates from sklearn and fairlearn's gaps over them.
const SKLEARN_SCRIPT = `
import csv, json, sys
import numpy as np
from sklearn import metrics

rows = list(csv.DictReader(open(sys.argv[1])))
y = np.array([int(r['label']) for r in rows])
s = np.array([float(r['score']) for r in rows])
v = np.array([float(r['value']) for r in rows])
p = np.array([float(r['prediction']) for r in rows])
region = np.array([r['region'] for r in rows])
gender = np.array([r['gender'] for r in rows])
yp = (s >= 0.5).astype(int)

def ece(y, s, n_bins=10):
    binids = np.searchsorted(np.linspace(0.0, 1.0, n_bins + 1)[1:-1], s)
    total = 0.0
    for b in range(n_bins):
        m = binids == b
        if m.any():
            total += m.sum() / len(s) * abs(s[m].mean() - y[m].mean())
    return total

def quality(m):
    return {
        'rows': int(m.sum()),
        'accuracy': metrics.accuracy_score(y[m], yp[m]),
        'precision': metrics.precision_score(y[m], yp[m]),
        'recall': metrics.recall_score(y[m], yp[m]),
        'f1': metrics.f1_score(y[m], yp[m]),
        'auc': metrics.roc_auc_score(y[m], s[m]),
        'log_loss': metrics.log_loss(y[m], s[m]),
        'calibration_error': ece(y[m], s[m]),
        'rmse': np.sqrt(metrics.mean_squared_error(v[m], p[m])),
        'mae': metrics.mean_absolute_error(v[m], p[m]),
    }

out = {'overall': quality(np.ones(len(rows), dtype=bool))}
for name in sorted(set(region)):
    out['region=' + name] = quality(region == name)
rates, tprs, fprs = [], [], []
for name in sorted(set(gender)):
    m = gender == name
    tn, fp, fn, tp = metrics.confusion_matrix(y[m], yp[m], labels=[0, 1]).ravel()
    rates.append(yp[m].mean())
    tprs.append(metrics.recall_score(y[m], yp[m]))
    fprs.append(fp / (fp + tn))
out['fairness'] = {
    'demographic_parity_difference': max(rates) - min(rates),
    'disparate_impact_ratio': min(rates) / max(rates),
    'equal_opportunity_difference': max(tprs) - min(tprs),
    'equalized_odds_difference': max(max(tprs) - min(tprs), max(fprs) - min(fprs)),
}
print(json.dumps({k: {m: float(x) for m, x in d.items()} for k, d in out.items()}))
`;
