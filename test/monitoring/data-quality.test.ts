import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeDataQuality } from '../../src/monitoring/statistics/data-quality.js';
import { cicloErrorOf } from '../support/errors.js';
import {
  byFeatureAndMetric,
  closeTo,
  openDriftFixture,
  pairFeatures,
  type DriftFixture,
} from './fixtures/drift-fixture.js';

// The same seeded samples as drift.test.ts; the rates are checked against numpy's on them.
let fixture: DriftFixture;

beforeAll(async () => {
  fixture = await openDriftFixture();
}, 60_000);

afterAll(() => fixture?.close());

describe('computeDataQuality', () => {
  it('matches numpy on null, out-of-range and unseen-category rates, with no schema change', async () => {
    const features = pairFeatures(fixture.expected, 'main');
    const values = byFeatureAndMetric(
      await computeDataQuality(fixture.engine, { reference: 'main_reference', current: 'main_current', features }),
    );
    const mismatches: string[] = [];
    for (const feature of features) {
      for (const [metric, expected] of Object.entries(fixture.expected.quality.main![feature.name]!)) {
        const actual = values.get(`${feature.name}/quality.${metric}`)?.value;
        if (!closeTo(actual, expected)) mismatches.push(`${feature.name} ${metric}: ${actual} vs numpy ${expected}`);
      }
      expect(values.get(`${feature.name}/quality.missing_column`)?.value).toBe(0);
      expect(values.get(`${feature.name}/quality.type_change`)?.value).toBe(0);
    }
    expect(mismatches).toEqual([]);
    // Not vacuous: the fixture has nulls, values beyond the reference's range and a new category.
    expect(values.get('x_nulls/quality.null_rate')!.value).toBeGreaterThan(0.2);
    expect(values.get('x_discrete/quality.out_of_range_rate')!.value).toBe(0);
    expect(values.get('c_one_side/quality.unseen_category_rate')!.value).toBeGreaterThan(0.1);
    expect(values.get('x_all_null_current/quality.out_of_range_rate')).toEqual({
      metric: 'quality.out_of_range_rate',
      feature: 'x_all_null_current',
      value: null,
      reason: 'no non-null values in the current data',
    });
    expect(values.size).toBe(features.length * 4);
  });

  it('flags a column missing from the current data and a changed type', async () => {
    const values = byFeatureAndMetric(
      await computeDataQuality(fixture.engine, {
        reference: 'main_reference',
        current:
          '(SELECT * EXCLUDE (x_same, c_mix) REPLACE (CAST(x_discrete AS BIGINT) AS x_discrete) FROM main_current)',
        features: [
          { name: 'x_same', kind: 'numeric' },
          { name: 'x_discrete', kind: 'numeric' },
          { name: 'c_mix', kind: 'categorical' },
        ],
      }),
    );
    expect(values.get('x_same/quality.missing_column')!.value).toBe(1);
    expect(values.get('c_mix/quality.missing_column')!.value).toBe(1);
    expect(values.get('c_mix/quality.unseen_category_rate')).toMatchObject({
      value: null,
      reason: 'column missing from the current data',
    });
    expect(values.get('x_discrete/quality.missing_column')!.value).toBe(0);
    expect(values.get('x_discrete/quality.type_change')!.value).toBe(1);
    // Still compared as numbers: a BIGINT column against a DOUBLE reference.
    expect(closeTo(values.get('x_discrete/quality.out_of_range_rate')!.value, 0)).toBe(true);
  });

  it('judges the schema by the given schemas when there are some', async () => {
    const values = byFeatureAndMetric(
      await computeDataQuality(fixture.engine, {
        reference: 'main_reference',
        current: 'main_current',
        features: [{ name: 'x_shift', kind: 'numeric' }],
        referenceSchema: [{ name: 'x_shift', type: 'FLOAT' }],
      }),
    );
    expect(values.get('x_shift/quality.type_change')!.value).toBe(1);
    expect(
      closeTo(
        values.get('x_shift/quality.out_of_range_rate')!.value,
        fixture.expected.quality.main!.x_shift!.out_of_range_rate!,
      ),
    ).toBe(true);
  });

  it('gives null with a reason for an empty current window or an empty reference', async () => {
    const features = [
      { name: 'x_shift', kind: 'numeric' as const },
      { name: 'c_mix', kind: 'categorical' as const },
    ];
    const empty = byFeatureAndMetric(
      await computeDataQuality(fixture.engine, {
        reference: 'main_reference',
        current: '(SELECT * FROM main_current WHERE false)',
        features,
      }),
    );
    expect(empty.get('x_shift/quality.null_rate')).toMatchObject({
      value: null,
      reason: 'no rows in the current data',
    });
    expect(empty.get('c_mix/quality.unseen_category_rate')!.reason).toBe('no non-null values in the current data');
    const noReference = byFeatureAndMetric(
      await computeDataQuality(fixture.engine, {
        reference: '(SELECT * FROM main_reference WHERE false)',
        current: 'main_current',
        features,
      }),
    );
    expect(noReference.get('x_shift/quality.null_rate')!.value).toBe(0);
    expect(noReference.get('x_shift/quality.out_of_range_rate')!.reason).toBe(
      'no non-null values in the reference data',
    );
    expect(noReference.get('c_mix/quality.unseen_category_rate')!.reason).toBe(
      'no non-null values in the reference data',
    );
  });

  it('refuses a repeated feature with the field path', async () => {
    const error = await cicloErrorOf(
      computeDataQuality(fixture.engine, {
        reference: 'main_reference',
        current: 'main_current',
        features: [
          { name: 'c_mix', kind: 'categorical' },
          { name: 'c_mix', kind: 'categorical' },
        ],
      }),
    );
    expect(error.message).toBe('features: feature names repeat');
  });
});
