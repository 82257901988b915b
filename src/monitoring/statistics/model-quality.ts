import { z } from 'zod';
import { InvalidInputError } from '../../common/errors.js';
import { parseInput } from '../../common/validation.js';
import { cellText, type DataEngine, type Row } from '../../data/index.js';
import { CALIBRATION_BINS, DEFAULT_THRESHOLD, LOG_LOSS_EPS } from '../../evaluation/index.js';
import type { MetricValue } from '../types.js';
import { classificationSql, regressionSql } from './model-quality-sql.js';
import {
  CLASSIFICATION_METRICS,
  classificationValues,
  fairnessValues,
  NO_ROWS,
  regressionValues,
} from './model-quality-values.js';

/**
 * Model quality over a window of captured predictions joined with their feedback, computed in DuckDB in
 * one statement (see `model-quality-sql.ts`), overall and per segment, with the fairness gaps the approval
 * gates use per sensitive attribute. The numbers are `src/evaluation`'s (classificationMetrics,
 * fairnessReport) for the same rows; what cannot be computed is null with a reason (docs/monitoring.md,
 * "Model quality").
 */

const Column = z.string().min(1, 'a column name');
const Columns = z
  .array(Column)
  .refine((columns) => new Set(columns).size === columns.length, 'each column once')
  .readonly();

export const ModelQualityInputSchema = z
  .object({
    /** SQL relation (a table, view, `read_parquet(…)` or parenthesized query): one row per scored row with feedback. */
    relation: z.string().min(1),
    label: Column,
    score: Column,
    task: z.enum(['classification', 'regression']),
    threshold: z.number().default(DEFAULT_THRESHOLD),
    segments: Columns.default([]),
    sensitive: Columns.default([]),
    calibrationBins: z.number().int().min(1).max(1000).default(CALIBRATION_BINS),
  })
  .strict()
  .refine((input) => input.task === 'classification' || input.sensitive.length === 0, {
    path: ['sensitive'],
    message: 'fairness gaps are defined for classification only',
  });

export type ModelQualityInput = z.input<typeof ModelQualityInputSchema>;

/** Names every column the input asks for that the relation lacks, before any row is read. */
async function checkColumns(engine: DataEngine, input: z.output<typeof ModelQualityInputSchema>): Promise<void> {
  const columns = new Set(
    (await engine.all(`DESCRIBE SELECT * FROM ${input.relation}`)).map((row) => cellText(row.column_name)),
  );
  const wanted: [string, string][] = [
    ['label', input.label],
    ['score', input.score],
    ...input.segments.map((c, i): [string, string] => [`segments[${i}]`, c]),
    ...input.sensitive.map((c, i): [string, string] => [`sensitive[${i}]`, c]),
  ];
  const missing = wanted.find(([, column]) => !columns.has(column));
  if (missing) {
    throw new InvalidInputError(`the relation has no column "${missing[1]}"`, {
      where: missing[0],
      hint: `its columns: ${[...columns].join(', ')}`,
    });
  }
}

/** A segment's name: `column=value`; a NULL value is a segment of its own, `column=(null)`. */
function segmentName(row: Row, columns: readonly string[]): string | undefined {
  const attribute = row.attribute;
  if (attribute === null || attribute === undefined) return undefined;
  const value = row.value;
  return `${columns[Number(attribute)]}=${value === null || value === undefined ? '(null)' : cellText(value)}`;
}

export async function computeModelQuality(engine: DataEngine, raw: ModelQualityInput): Promise<MetricValue[]> {
  const input = parseInput(ModelQualityInputSchema, raw);
  await checkColumns(engine, input);
  // The attribute index in the SQL's rows counts each column once, segments first (keyColumns there).
  const keys = [...new Set([...input.segments, ...input.sensitive])];
  if (input.task === 'regression') {
    const rows = await engine.all(regressionSql(input));
    return rows.flatMap((row) => regressionValues(row, segmentName(row, keys)));
  }
  const rows = await engine.all(classificationSql({ ...input, bins: input.calibrationBins, eps: LOG_LOSS_EPS }));
  const quality = rows.filter((row) => row.kind === 'quality');
  const out: MetricValue[] = [];
  if (!quality.some((row) => row.attribute === null)) {
    // No rows at all: GROUP BY score leaves no group, yet the series should still get its point.
    out.push({ metric: 'model.rows', value: 0 });
    out.push(...CLASSIFICATION_METRICS.map((metric) => ({ metric, value: null, reason: NO_ROWS })));
  }
  for (const row of quality) out.push(...classificationValues(row, input.threshold, segmentName(row, keys)));
  for (const attribute of input.sensitive) {
    const index = keys.indexOf(attribute);
    const row = rows.find((r) => r.kind === 'fairness' && Number(r.attribute) === index);
    out.push(...fairnessValues(row, attribute));
  }
  return out;
}
