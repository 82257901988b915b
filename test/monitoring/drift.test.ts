import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeDrift } from '../../src/monitoring/statistics/drift.js';
import { chiSquareSurvival } from '../../src/monitoring/statistics/chi-square.js';
import { kolmogorovSurvival, ksTwoSample } from '../../src/monitoring/statistics/kolmogorov.js';
import { cicloErrorOf } from '../support/errors.js';
import {
  byFeatureAndMetric,
  closeTo,
  openDriftFixture,
  pairFeatures,
  type DriftFixture,
} from './fixtures/drift-fixture.js';

// Seeded numpy samples (test/monitoring/fixtures/drift_fixture.py) loaded into DuckDB; every value is
// checked against scipy's own answer on the same samples (PSI against its documented formula in numpy).
let fixture: DriftFixture;

beforeAll(async () => {
  fixture = await openDriftFixture();
}, 60_000);

afterAll(() => fixture?.close());

const NUMERIC_METRICS = ['ks', 'ks_p_value', 'wasserstein', 'psi'];
const CATEGORICAL_METRICS = ['chi2', 'chi2_p_value', 'jensen_shannon', 'psi'];

/** Drift over a fixture pair, each feature's values next to scipy's. */
async function compareWithScipy(pair: string, buckets?: number) {
  const [reference, current] = [`${pair}_reference`, `${pair}_current`];
  const features = pairFeatures(fixture.expected, pair);
  const values = byFeatureAndMetric(
    await computeDrift(fixture.engine, { reference, current, features, ...(buckets === undefined ? {} : { buckets }) }),
  );
  const mismatches: string[] = [];
  for (const feature of features) {
    const expected = fixture.expected.drift[pair]![feature.name];
    if (!expected) continue;
    for (const metric of feature.kind === 'numeric' ? NUMERIC_METRICS : CATEGORICAL_METRICS) {
      const actual = values.get(`${feature.name}/drift.${metric}`)?.value;
      if (!closeTo(actual, expected[metric]!)) {
        mismatches.push(`${feature.name} ${metric}: ${actual} vs scipy ${expected[metric]}`);
      }
    }
  }
  return { values, mismatches };
}

describe('computeDrift', () => {
  it('matches scipy on equal, shifted, tied and null-holding numeric features and on category mixes', async () => {
    const { values, mismatches } = await compareWithScipy('main');
    expect(mismatches).toEqual([]);
    // The shifted feature drifts, the same-distribution one does not: the comparison is not vacuous.
    expect(values.get('x_shift/drift.ks_p_value')!.value).toBeLessThan(1e-10);
    expect(values.get('x_same/drift.ks_p_value')!.value).toBeGreaterThan(0.05);
    expect(values.get('c_mix/drift.chi2_p_value')!.value).toBeLessThan(1e-10);
    expect(values.get('c_one_side/drift.psi')!.value).toBeGreaterThan(1);
  });

  it('takes the exact KS distribution up to 10,000 values a side, equal sample sizes included', async () => {
    const { mismatches } = await compareWithScipy('equal_size');
    expect(mismatches).toEqual([]);
  });

  it('takes the asymptotic Kolmogorov distribution above 10,000 values a side', async () => {
    const { values, mismatches } = await compareWithScipy('large');
    expect(mismatches).toEqual([]);
    expect(values.get('x_shift/drift.ks_p_value')!.value).toBeLessThan(0.01);
  });

  it("gives the same exact answers whatever the first pass's bucket count", async () => {
    // One bucket reads every value; a few thousand leave most buckets to their counts, extremes and sums.
    for (const buckets of [1, 3, 16, 256, 4096, 1 << 20]) {
      for (const pair of ['main', 'equal_size', 'large']) {
        const { mismatches } = await compareWithScipy(pair, buckets);
        expect({ buckets, pair, mismatches }).toEqual({ buckets, pair, mismatches: [] });
      }
    }
  });

  it('finds no drift between a relation and itself', async () => {
    const features = pairFeatures(fixture.expected, 'main').filter((f) => f.name !== 'x_all_null_current');
    const values = await computeDrift(fixture.engine, {
      reference: 'main_reference',
      current: 'main_reference',
      features,
    });
    const expected: Record<string, number> = {
      'drift.ks': 0,
      'drift.ks_p_value': 1,
      'drift.wasserstein': 0,
      'drift.psi': 0,
      'drift.chi2': 0,
      'drift.chi2_p_value': 1,
      'drift.jensen_shannon': 0,
    };
    expect(values).toHaveLength(features.length * 4);
    for (const value of values)
      expect([value.feature, value.metric, value.value]).toEqual([value.feature, value.metric, expected[value.metric]]);
  });

  it('gives null with a reason, not an error, for a feature with no values on one side', async () => {
    const features = pairFeatures(fixture.expected, 'main');
    const values = byFeatureAndMetric(
      await computeDrift(fixture.engine, { reference: 'main_reference', current: 'main_current', features }),
    );
    for (const metric of NUMERIC_METRICS) {
      expect(values.get(`x_all_null_current/drift.${metric}`)).toEqual({
        metric: `drift.${metric}`,
        feature: 'x_all_null_current',
        value: null,
        reason: 'no non-null values in the current data',
      });
    }
    const empty = await computeDrift(fixture.engine, {
      reference: '(SELECT * FROM main_reference WHERE false)',
      current: 'main_current',
      features,
    });
    expect(empty).toHaveLength(features.length * 4);
    for (const value of empty) {
      expect(value.value).toBeNull();
      expect(value.reason).toBe('no non-null values in the reference data');
    }
  });

  it('gives null with a reason for a column missing from a side or not numeric', async () => {
    const values = byFeatureAndMetric(
      await computeDrift(fixture.engine, {
        reference: 'main_reference',
        current: '(SELECT * EXCLUDE (x_same) FROM main_current)',
        features: [
          { name: 'x_same', kind: 'numeric' },
          { name: 'c_mix', kind: 'numeric' },
          { name: 'x_shift', kind: 'numeric' },
        ],
        tests: { numeric: ['ks'] },
      }),
    );
    expect(values.get('x_same/drift.ks')!.reason).toBe('column missing from the current data');
    expect(values.get('c_mix/drift.ks_p_value')!.reason).toBe('not a numeric column in the reference data (VARCHAR)');
    expect(closeTo(values.get('x_shift/drift.ks')!.value, fixture.expected.drift.main!.x_shift!.ks!)).toBe(true);
    expect([...values.keys()].sort()).toEqual(
      ['x_same', 'c_mix', 'x_shift'].flatMap((f) => [`${f}/drift.ks`, `${f}/drift.ks_p_value`]).sort(),
    );
  });

  it('names metrics by the prefix and reports only the tests asked for, in order', async () => {
    const values = await computeDrift(fixture.engine, {
      reference: 'main_reference',
      current: 'main_current',
      features: [
        { name: 'x_shift', kind: 'numeric' },
        { name: 'c_mix', kind: 'categorical' },
      ],
      prefix: 'prediction_drift',
      tests: { numeric: ['wasserstein', 'psi'], categorical: ['jensen_shannon'] },
    });
    expect(values.map((v) => `${v.feature} ${v.metric}`)).toEqual([
      'x_shift prediction_drift.wasserstein',
      'x_shift prediction_drift.psi',
      'c_mix prediction_drift.jensen_shannon',
    ]);
  });

  it('computes numeric features in batches with the same answers as one at a time', async () => {
    const names = ['x_same', 'x_shift', 'x_discrete', 'x_nulls'];
    const many = Array.from({ length: 20 }, (_, i) => names[i % names.length]!);
    // The same column under 20 names (more than one batch), each answer identical to scipy's.
    const aliases = many.map((name, i) => `${name} AS f${i}`).join(', ');
    const values = byFeatureAndMetric(
      await computeDrift(fixture.engine, {
        reference: `(SELECT ${aliases} FROM main_reference)`,
        current: `(SELECT ${aliases} FROM main_current)`,
        features: many.map((_, i) => ({ name: `f${i}`, kind: 'numeric' as const })),
      }),
    );
    many.forEach((name, i) => {
      for (const metric of NUMERIC_METRICS) {
        expect(closeTo(values.get(`f${i}/drift.${metric}`)?.value, fixture.expected.drift.main![name]![metric]!)).toBe(
          true,
        );
      }
    });
  });

  it('leaves NaN and ±∞ out and takes integer columns: the same answers as scipy on the finite values', async () => {
    // The nulls of x_nulls become NaN, +∞ and −∞: the plain extremes are not finite, so the range is found again
    // with them left out, and every answer must still be scipy's on the finite values.
    const nonFinite = `CASE WHEN x_nulls IS NOT NULL THEN x_nulls
      WHEN hash(x_same) % 3 = 0 THEN 'nan'::DOUBLE
      WHEN hash(x_same) % 3 = 1 THEN 'inf'::DOUBLE ELSE '-inf'::DOUBLE END`;
    const select = (table: string) =>
      `(SELECT ${nonFinite} AS x_nulls, x_discrete::INTEGER AS x_discrete FROM ${table})`;
    const values = byFeatureAndMetric(
      await computeDrift(fixture.engine, {
        reference: select('main_reference'),
        current: select('main_current'),
        features: ['x_nulls', 'x_discrete'].map((name) => ({ name, kind: 'numeric' as const })),
      }),
    );
    for (const name of ['x_nulls', 'x_discrete']) {
      for (const metric of NUMERIC_METRICS) {
        const expected = fixture.expected.drift.main![name]![metric]!;
        expect([name, metric, closeTo(values.get(`${name}/drift.${metric}`)?.value, expected)]).toEqual([
          name,
          metric,
          true,
        ]);
      }
    }
  });

  it('counts more categorical features than one query takes, nulls left out, as scipy', async () => {
    const names = ['c_same', 'c_mix', 'c_one_side', 'c_nulls'];
    const many = Array.from({ length: 70 }, (_, i) => names[i % names.length]!);
    const aliases = many.map((name, i) => `${name} AS g${i}`).join(', ');
    const values = byFeatureAndMetric(
      await computeDrift(fixture.engine, {
        reference: `(SELECT ${aliases} FROM main_reference)`,
        current: `(SELECT ${aliases} FROM main_current)`,
        features: many.map((_, i) => ({ name: `g${i}`, kind: 'categorical' as const })),
      }),
    );
    const mismatches: string[] = [];
    many.forEach((name, i) => {
      for (const metric of CATEGORICAL_METRICS) {
        const actual = values.get(`g${i}/drift.${metric}`)?.value;
        const expected = fixture.expected.drift.main![name]![metric]!;
        if (!closeTo(actual, expected)) mismatches.push(`g${i} (${name}) ${metric}: ${actual} vs scipy ${expected}`);
      }
    });
    expect(mismatches).toEqual([]);
  });

  it('refuses bad input with the field path', async () => {
    const repeated = await cicloErrorOf(
      computeDrift(fixture.engine, {
        reference: 'main_reference',
        current: 'main_current',
        features: [
          { name: 'x_same', kind: 'numeric' },
          { name: 'x_same', kind: 'numeric' },
        ],
      }),
    );
    expect([repeated.code, repeated.message]).toEqual(['INVALID_PARAMETER_VALUE', 'features: feature names repeat']);
    const bins = await cicloErrorOf(
      computeDrift(fixture.engine, { reference: 'main_reference', current: 'main_current', features: [], bins: 1 }),
    );
    expect(bins.message).toMatch(/^bins: /);
  });
});

describe('p-values', () => {
  it('match scipy.stats.ks_2samp (exact and asymptotic), kstwo.sf and chi2.sf over a grid', () => {
    const mismatches: string[] = [];
    for (const [n1, n2, d, statistic, p] of fixture.expected.grid.ks2) {
      const test = ksTwoSample(n1!, n2!, d!);
      if (!closeTo(test.pValue, p!) || !closeTo(test.statistic, statistic!)) {
        mismatches.push(`ks2 ${n1} ${n2} ${d}: ${test.pValue} vs ${p}`);
      }
    }
    for (const [n, x, p] of fixture.expected.grid.kolmogorov) {
      const actual = kolmogorovSurvival(n!, x!);
      if (!closeTo(actual, p!)) mismatches.push(`kstwo ${n} ${x}: ${actual} vs ${p}`);
    }
    for (const [k, x, p] of fixture.expected.grid.chi2) {
      const actual = chiSquareSurvival(x!, k!);
      if (!closeTo(actual, p!)) mismatches.push(`chi2 ${k} ${x}: ${actual} vs ${p}`);
    }
    expect(mismatches).toEqual([]);
    expect(fixture.expected.grid.ks2.length + fixture.expected.grid.kolmogorov.length).toBeGreaterThan(100);
  });
});
