import { z } from 'zod';
import { sqlIdentifier, type DataEngine } from '../../data/index.js';
import { parseInput } from '../../common/validation.js';
import type { FeatureSpec, MetricValue } from '../types.js';
import { describeRelation, isNumericType, unpivotBoth } from './columns.js';

/**
 * Data quality of the current relation per feature, against the reference: the schema checks
 * (`quality.missing_column`, `quality.type_change`), the share of nulls, and the share of values
 * the reference never showed (numbers outside its [min, max], categories it never had). Two
 * queries whatever the number of features: one aggregate over both relations for the counts and
 * ranges, one UNPIVOT for the categories.
 */

const ColumnSchema = z.object({ name: z.string().min(1), type: z.string().min(1) });

const DataQualityInputSchema = z.object({
  reference: z.string().min(1),
  current: z.string().min(1),
  features: z
    .array(z.object({ name: z.string().min(1), kind: z.enum(['numeric', 'categorical']) }))
    .refine((features) => new Set(features.map((f) => f.name)).size === features.length, 'feature names repeat'),
  referenceSchema: z.array(ColumnSchema).optional(),
  currentSchema: z.array(ColumnSchema).optional(),
});

export interface DataQualityInput {
  reference: string;
  current: string;
  features: readonly FeatureSpec[];
  /**
   * The columns and DuckDB types to judge the schema checks by, when the relation's own are not
   * the truth (a baseline's registered schema, say); by default each relation's DESCRIBE.
   */
  referenceSchema?: readonly { name: string; type: string }[] | undefined;
  currentSchema?: readonly { name: string; type: string }[] | undefined;
}

export async function computeDataQuality(engine: DataEngine, input: DataQualityInput): Promise<MetricValue[]> {
  const options = parseInput(DataQualityInputSchema, input);
  const referenceColumns = await describeRelation(engine, options.reference);
  const currentColumns = await describeRelation(engine, options.current);
  const declaredReference = schemaMap(options.referenceSchema) ?? referenceColumns;
  const declaredCurrent = schemaMap(options.currentSchema) ?? currentColumns;

  const inCurrent = options.features.filter((f) => currentColumns.has(f.name));
  const ranged = inCurrent.filter(
    (f) =>
      f.kind === 'numeric' &&
      isNumericType(currentColumns.get(f.name)!) &&
      isNumericType(referenceColumns.get(f.name) ?? ''),
  );
  const counted = await countCurrent(engine, options.reference, options.current, inCurrent, ranged);
  const categorical = inCurrent.filter((f) => f.kind === 'categorical' && referenceColumns.has(f.name));
  const unseen = await unseenCategories(engine, options.reference, options.current, categorical);

  return options.features.flatMap((feature): MetricValue[] => {
    const metric = (name: string, value: number | null, reason?: string): MetricValue =>
      reason === undefined
        ? { metric: `quality.${name}`, feature: feature.name, value }
        : { metric: `quality.${name}`, feature: feature.name, value, reason };
    const currentType = declaredCurrent.get(feature.name);
    const referenceType = declaredReference.get(feature.name);
    const out = [metric('missing_column', currentType === undefined ? 1 : 0)];
    if (currentType === undefined) {
      out.push(metric('type_change', null, 'column missing from the current data'));
    } else if (referenceType === undefined) {
      out.push(metric('type_change', null, 'column missing from the reference data'));
    } else {
      out.push(metric('type_change', currentType.toUpperCase() === referenceType.toUpperCase() ? 0 : 1));
    }
    const rateName = feature.kind === 'numeric' ? 'out_of_range_rate' : 'unseen_category_rate';
    if (!currentColumns.has(feature.name)) {
      const reason = 'column missing from the current data';
      return [...out, metric('null_rate', null, reason), metric(rateName, null, reason)];
    }
    out.push(
      counted.rows === 0
        ? metric('null_rate', null, 'no rows in the current data')
        : metric('null_rate', (counted.rows - counted.nonNull.get(feature.name)!) / counted.rows),
    );
    const rate = feature.kind === 'numeric' ? counted.outOfRange.get(feature.name) : unseen.get(feature.name);
    out.push(
      rate === undefined || typeof rate === 'string'
        ? metric(rateName, null, rate ?? rateProblem(feature, referenceColumns, currentColumns))
        : metric(rateName, rate),
    );
    return out;
  });
}

function schemaMap(schema: readonly { name: string; type: string }[] | undefined): Map<string, string> | undefined {
  return schema && new Map(schema.map((column) => [column.name, column.type]));
}

function rateProblem(
  feature: FeatureSpec,
  referenceColumns: Map<string, string>,
  currentColumns: Map<string, string>,
): string {
  if (!referenceColumns.has(feature.name)) return 'column missing from the reference data';
  for (const [side, columns] of [
    ['reference', referenceColumns],
    ['current', currentColumns],
  ] as const) {
    const type = columns.get(feature.name)!;
    if (!isNumericType(type)) return `not a numeric column in the ${side} data (${type})`;
  }
  return 'not computed';
}

interface CurrentCounts {
  rows: number;
  nonNull: Map<string, number>;
  /** The share out of range, or why there is none. */
  outOfRange: Map<string, number | string>;
}

/**
 * The current relation's row count, each column's non-null count, and each numeric column's count
 * outside the reference's [min, max] (NaN left out of the range; a NaN in the current is outside
 * it, since DuckDB orders NaN above every number), in one query over both relations.
 */
async function countCurrent(
  engine: DataEngine,
  reference: string,
  current: string,
  features: readonly FeatureSpec[],
  ranged: readonly FeatureSpec[],
): Promise<CurrentCounts> {
  const asDouble = (name: string) => `CAST(${sqlIdentifier(name)} AS DOUBLE)`;
  const bounds = ranged.flatMap((f, i) => [
    `min(${asDouble(f.name)}) FILTER (WHERE NOT isnan(${asDouble(f.name)})) AS lo_${i}`,
    `max(${asDouble(f.name)}) FILTER (WHERE NOT isnan(${asDouble(f.name)})) AS hi_${i}`,
  ]);
  const counts = [
    'count(*) AS row_count',
    ...features.map((f, i) => `count(${sqlIdentifier(f.name)}) AS nn_${i}`),
    ...ranged.flatMap((f, i) => [
      `count(${asDouble(f.name)}) AS ranged_${i}`,
      `count(*) FILTER (WHERE ${asDouble(f.name)} < lo_${i} OR ${asDouble(f.name)} > hi_${i}) AS oor_${i}`,
      `any_value(lo_${i}) IS NULL AS no_reference_${i}`,
    ]),
  ];
  const from = bounds.length > 0 ? `${current}, (SELECT ${bounds.join(', ')} FROM ${reference}) bounds` : current;
  const [row] = await engine.all(`SELECT ${counts.join(', ')} FROM ${from}`);
  const rows = Number(row!.row_count);
  const nonNull = new Map(features.map((f, i) => [f.name, Number(row![`nn_${i}`])]));
  const outOfRange = new Map<string, number | string>();
  ranged.forEach((f, i) => {
    const values = Number(row![`ranged_${i}`]);
    if (row![`no_reference_${i}`] === true) outOfRange.set(f.name, 'no non-null values in the reference data');
    else if (values === 0) outOfRange.set(f.name, 'no non-null values in the current data');
    else outOfRange.set(f.name, Number(row![`oor_${i}`]) / values);
  });
  return { rows, nonNull, outOfRange };
}

/** Per categorical feature, the share of the current's non-null values whose category the reference never had. */
async function unseenCategories(
  engine: DataEngine,
  reference: string,
  current: string,
  features: readonly FeatureSpec[],
): Promise<Map<string, number | string>> {
  const out = new Map<string, number | string>();
  if (features.length === 0) return out;
  const names = features.map((f) => f.name);
  const rows = await engine.all(
    `SELECT feature, sum(r) AS reference_values, sum(c) AS current_values, sum(c) FILTER (WHERE r = 0) AS unseen
     FROM (
       SELECT feature, value, sum(r) AS r, sum(c) AS c
       FROM (${unpivotBoth(reference, current, names, 'VARCHAR')})
       GROUP BY feature, value
     )
     GROUP BY feature`,
  );
  for (const name of names) out.set(name, 'no non-null values in the current data');
  for (const row of rows) {
    const name = names[Number(row.feature)]!;
    if (Number(row.current_values) === 0) continue;
    if (Number(row.reference_values) === 0) out.set(name, 'no non-null values in the reference data');
    else out.set(name, Number(row.unseen ?? 0) / Number(row.current_values));
  }
  return out;
}
