import { z } from 'zod';
import type { DataEngine } from '../../data/index.js';
import { parseInput } from '../../common/validation.js';
import type { FeatureSpec, MetricValue } from '../types.js';
import { categoryCounts, type CategoryCounts } from './category-counts.js';
import { describeRelation, isNumericType } from './columns.js';
import { ksTwoSample } from './kolmogorov.js';
import { chiSquareContingency, jensenShannonDistance, populationStabilityIndex } from './measures.js';
import { DEFAULT_BUCKETS, summarizeNumeric, type NumericSummary } from './numeric-drift.js';

/**
 * Data drift per feature between a reference relation and a current one, counted in DuckDB: each
 * numeric feature's bucket table, read value by value only where it cannot decide (a few queries a
 * feature, see numeric-drift.ts and bucket-sweep.ts), and every categorical feature's counts (one
 * query per 32 features, category-counts.ts), then the measures over those counts in TypeScript.
 * Nulls, NaN and ±∞ are left out of drift (data quality counts nulls). A feature that cannot be
 * compared (missing, of the wrong type, no values on a side) gets each of its metrics with a null
 * value and the reason, never an exception.
 */

const NumericTest = z.enum(['psi', 'ks', 'wasserstein']);
const CategoricalTest = z.enum(['chi2', 'jensen_shannon', 'psi']);
export type NumericDriftTest = z.infer<typeof NumericTest>;
export type CategoricalDriftTest = z.infer<typeof CategoricalTest>;

const FeatureSchema = z.object({ name: z.string().min(1), kind: z.enum(['numeric', 'categorical']) });

const DriftInputSchema = z.object({
  reference: z.string().min(1),
  current: z.string().min(1),
  features: z
    .array(FeatureSchema)
    .refine((features) => new Set(features.map((f) => f.name)).size === features.length, 'feature names repeat'),
  prefix: z.enum(['drift', 'prediction_drift']).default('drift'),
  tests: z
    .object({
      numeric: z.array(NumericTest).default(['psi', 'ks', 'wasserstein']),
      categorical: z.array(CategoricalTest).default(['chi2', 'jensen_shannon', 'psi']),
    })
    .default({ numeric: ['psi', 'ks', 'wasserstein'], categorical: ['chi2', 'jensen_shannon', 'psi'] }),
  bins: z.number().int().min(2).max(1000).default(10),
  buckets: z
    .number()
    .int()
    .min(1)
    .max(1 << 20)
    .default(DEFAULT_BUCKETS),
});

export interface DriftInput {
  /** A relation DuckDB can select from: a table or view name, `read_parquet(…)`, or `(SELECT …)`. */
  reference: string;
  current: string;
  features: readonly FeatureSpec[];
  /** The metric names' prefix: `drift` for input features, `prediction_drift` for the model's outputs. */
  prefix?: 'drift' | 'prediction_drift';
  tests?: {
    numeric?: readonly NumericDriftTest[] | undefined;
    categorical?: readonly CategoricalDriftTest[] | undefined;
  };
  /** PSI bins for numeric features (edges at the reference's quantiles), default 10. */
  bins?: number;
  /**
   * Buckets of the first pass over a numeric feature (numeric-drift.ts): a speed setting that changes no
   * answer, default 65,536.
   */
  buckets?: number;
}

/** The metric names each test yields, in the order they are reported. */
const METRICS: Record<NumericDriftTest | CategoricalDriftTest, readonly string[]> = {
  psi: ['psi'],
  ks: ['ks', 'ks_p_value'],
  wasserstein: ['wasserstein'],
  chi2: ['chi2', 'chi2_p_value'],
  jensen_shannon: ['jensen_shannon'],
};

export async function computeDrift(engine: DataEngine, input: DriftInput): Promise<MetricValue[]> {
  const options = parseInput(DriftInputSchema, input);
  const referenceColumns = await describeRelation(engine, options.reference);
  const currentColumns = await describeRelation(engine, options.current);
  const results = new Map<string, MetricValue[]>();
  const numeric: string[] = [];
  const categorical: string[] = [];
  for (const feature of options.features) {
    const tests = feature.kind === 'numeric' ? options.tests.numeric : options.tests.categorical;
    if (tests.length === 0) {
      results.set(feature.name, []);
      continue;
    }
    const problem = unusable(feature, referenceColumns, currentColumns);
    if (problem) results.set(feature.name, nulls(options.prefix, feature.name, tests, problem));
    else (feature.kind === 'numeric' ? numeric : categorical).push(feature.name);
  }
  const { reference, current, bins, buckets } = options;
  for (const [name, summary] of await summarizeNumeric(engine, reference, current, numeric, bins, buckets)) {
    results.set(name, numericMetrics(options.prefix, name, options.tests.numeric, summary));
  }
  if (categorical.length > 0) {
    const counts = await categoryCounts(engine, options.reference, options.current, categorical);
    categorical.forEach((name, index) => {
      const metrics = categoricalMetrics(options.prefix, name, options.tests.categorical, counts.get(index));
      results.set(name, metrics);
    });
  }
  return options.features.flatMap((feature) => results.get(feature.name) ?? []);
}

function unusable(
  feature: FeatureSpec,
  referenceColumns: Map<string, string>,
  currentColumns: Map<string, string>,
): string | undefined {
  for (const [side, columns] of [
    ['reference', referenceColumns],
    ['current', currentColumns],
  ] as const) {
    const type = columns.get(feature.name);
    if (type === undefined) return `column missing from the ${side} data`;
    if (feature.kind === 'numeric' && !isNumericType(type)) return `not a numeric column in the ${side} data (${type})`;
  }
  return undefined;
}

function nulls(
  prefix: string,
  feature: string,
  tests: readonly (NumericDriftTest | CategoricalDriftTest)[],
  reason: string,
): MetricValue[] {
  return tests.flatMap((test) =>
    METRICS[test].map((name) => ({ metric: `${prefix}.${name}`, feature, value: null, reason })),
  );
}

function emptySide(referenceCount: number, currentCount: number): string | undefined {
  if (referenceCount === 0) return 'no non-null values in the reference data';
  if (currentCount === 0) return 'no non-null values in the current data';
  return undefined;
}

function numericMetrics(
  prefix: string,
  feature: string,
  tests: readonly NumericDriftTest[],
  summary: NumericSummary,
): MetricValue[] {
  const empty = emptySide(summary.referenceCount, summary.currentCount);
  if (empty) return nulls(prefix, feature, tests, empty);
  const metric = (name: string, value: number | null): MetricValue => ({ metric: `${prefix}.${name}`, feature, value });
  return tests.flatMap((test): MetricValue[] => {
    switch (test) {
      case 'psi': {
        return [metric('psi', populationStabilityIndex(summary.bins.reference, summary.bins.current))];
      }
      case 'ks': {
        const ks = ksTwoSample(summary.referenceCount, summary.currentCount, summary.ks!);
        return [metric('ks', ks.statistic), metric('ks_p_value', ks.pValue)];
      }
      case 'wasserstein':
        return [metric('wasserstein', summary.wasserstein)];
    }
  });
}

function categoricalMetrics(
  prefix: string,
  feature: string,
  tests: readonly CategoricalDriftTest[],
  counts: CategoryCounts | undefined,
): MetricValue[] {
  const reference = counts?.reference ?? [];
  const current = counts?.current ?? [];
  const empty = emptySide(
    reference.reduce((a, b) => a + b, 0),
    current.reduce((a, b) => a + b, 0),
  );
  if (empty) return nulls(prefix, feature, tests, empty);
  const metric = (name: string, value: number): MetricValue => ({ metric: `${prefix}.${name}`, feature, value });
  return tests.flatMap((test): MetricValue[] => {
    switch (test) {
      case 'chi2': {
        const chi2 = chiSquareContingency(reference, current);
        return [metric('chi2', chi2.statistic), metric('chi2_p_value', chi2.pValue)];
      }
      case 'jensen_shannon':
        return [metric('jensen_shannon', jensenShannonDistance(reference, current))];
      case 'psi':
        return [metric('psi', populationStabilityIndex(reference, current))];
    }
  });
}
