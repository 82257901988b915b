import { z } from 'zod';
import { EvaluationConfigSchema } from '../../evaluation/index.js';
import type { StepKindRegistry } from '../../pipelines/index.js';

/**
 * The data step kinds: `sql` (DuckDB SQL over the step's inputs, each a table by its input name),
 * `dedupe`, `split`, `validate` (an expectation suite; errors fail the step, warnings are recorded) and
 * `evaluate` (metrics, fairness and champion comparison over a table of predictions). Each writes its outputs as
 * dataset files (Parquet by default) and runs in a child process of its own like every step, so it is logged, timed out
 * and cancelled the same way.
 */

const Names = z.array(z.string().min(1)).min(1);
const OutputFormat = z.enum(['parquet', 'csv', 'jsonl']).default('parquet');

export const SqlConfigSchema = z.object({
  /** DuckDB SQL; the step's inputs are tables named as the inputs; `${params.x}` templates are filled in. */
  query: z.string().min(1),
  /** The declared output the result goes to; the only one when omitted. */
  output: z.string().min(1).optional(),
  format: OutputFormat,
});
export type SqlConfig = z.output<typeof SqlConfigSchema>;

export const DedupeConfigSchema = z.object({
  /** The input to de-duplicate; the only one when omitted. */
  input: z.string().min(1).optional(),
  /** Rows with the same values in these columns are duplicates. */
  keys: Names,
  /** Keep the row with the greatest value here (e.g. an update timestamp); else the first row in column order. */
  latest_by: z.string().min(1).optional(),
  output: z.string().min(1).optional(),
  format: OutputFormat,
});
export type DedupeConfig = z.output<typeof DedupeConfigSchema>;

export const SplitConfigSchema = z.object({
  input: z.string().min(1).optional(),
  /** Rows are assigned by a hash of these columns: the same row always lands in the same part. */
  key: Names,
  /** Output name → share of the rows; the shares add up to 1; parts are cut in name order. */
  ratios: z
    .record(z.string().min(1), z.number().positive().max(1))
    .refine((ratios) => Object.keys(ratios).length >= 2, 'give at least two parts')
    .refine(
      (ratios) => Math.abs(Object.values(ratios).reduce((a, b) => a + b, 0) - 1) < 1e-9,
      'the ratios must add up to 1',
    ),
  /** Keep each value of this column in the same proportions in every part. */
  stratify: z.string().min(1).optional(),
  /** Changes which rows go where, deterministically. */
  seed: z.int().default(0),
  format: OutputFormat,
});
export type SplitConfig = z.output<typeof SplitConfigSchema>;

export const ValidateConfigSchema = z.object({
  /** The expectation suite (YAML), relative to the pipeline folder. */
  suite: z.string().min(1),
  /** The input to check; the only one when omitted. */
  input: z.string().min(1).optional(),
  /** Columns whose values never appear in the report. */
  sensitive: z.array(z.string().min(1)).default([]),
  /** A schema file (JSON or YAML list of {name, type}) that `schema_unchanged` compares with. */
  previous_schema: z.string().min(1).optional(),
  /** A declared output the JSON report is written to. */
  report: z.string().min(1).optional(),
});
export type ValidateConfig = z.output<typeof ValidateConfigSchema>;

export const EvaluateConfigSchema = EvaluationConfigSchema.extend({
  /** The input holding the predictions; the only one when omitted. */
  input: z.string().min(1).optional(),
  /** A declared output the JSON report is written to. */
  report: z.string().min(1).optional(),
});
export type EvaluateConfig = z.output<typeof EvaluateConfigSchema>;

export function registerDataStepKinds(kinds: StepKindRegistry): StepKindRegistry {
  return kinds
    .register<SqlConfig>('sql', { configSchema: SqlConfigSchema, describe: (config) => config.query.split('\n')[0]! })
    .register<DedupeConfig>('dedupe', {
      configSchema: DedupeConfigSchema,
      describe: (config) =>
        `dedupe by ${config.keys.join(', ')}${config.latest_by ? `, latest by ${config.latest_by}` : ''}`,
    })
    .register<ValidateConfig>('validate', {
      configSchema: ValidateConfigSchema,
      describe: (config) => `validate against ${config.suite}`,
    })
    .register<EvaluateConfig>('evaluate', {
      configSchema: EvaluateConfigSchema,
      describe: (config) => `evaluate ${config.score} against ${config.label}`,
    })
    .register<SplitConfig>('split', {
      configSchema: SplitConfigSchema,
      describe: (config) =>
        `split ${Object.entries(config.ratios)
          .map(([name, share]) => `${name} ${share}`)
          .join(' / ')}`,
    });
}
