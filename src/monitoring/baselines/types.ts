import { z } from 'zod';
import { ColumnSchemaSchema, DATA_FORMATS, DatasetProfileSchema } from '../../data/index.js';

/**
 * A registered version's baseline: what production traffic of a deployment serving it is compared
 * with. Stored as JSON in `model_baselines` (migration 0013), so every shape here is a zod schema and
 * is parsed on the way out.
 */

/** `training`: what the model was fitted on (drift is measured against it); `evaluation`: what it was scored on. */
export const BASELINE_ROLES = ['training', 'evaluation'] as const;
export type BaselineRole = (typeof BASELINE_ROLES)[number];

/** One dataset version of the baseline with the profile the data capability stored when it was registered. */
export const BaselineDatasetSchema = z.object({
  name: z.string(),
  version: z.number(),
  digest: z.string(),
  role: z.enum(BASELINE_ROLES),
  format: z.enum(DATA_FORMATS),
  rowCount: z.number(),
  schema: z.array(ColumnSchemaSchema),
  profile: DatasetProfileSchema.nullable(),
});
export type BaselineDataset = z.infer<typeof BaselineDatasetSchema>;

/**
 * The distribution of the version's predictions on the evaluation set; the rows themselves (the
 * evaluation columns plus `column`) are the Parquet blob `predictions_digest` names.
 */
export const PredictionSummarySchema = z.object({
  /** The evaluation dataset version the rows came from (`NAME@VERSION`). */
  dataset: z.string(),
  /** The model's output read as the prediction (a classifier's probability output: class 1's). */
  output: z.string(),
  /** The prediction's column in the Parquet file. */
  column: z.string(),
  kind: z.enum(['numeric', 'categorical']),
  rows: z.number(),
  /** Rows of the evaluation set left out: only the first `rows` are scored (see DEFAULT_MAX_ROWS). */
  skippedRows: z.number(),
  nulls: z.number(),
  mean: z.number().nullable().optional(),
  std: z.number().nullable().optional(),
  min: z.number().nullable().optional(),
  max: z.number().nullable().optional(),
  /** p1 … p99, as dataset profiles have them. */
  quantiles: z.record(z.string(), z.number()).optional(),
  /** A categorical prediction's counts, most frequent first. */
  topValues: z.array(z.object({ value: z.string(), count: z.number() })).optional(),
});
export type PredictionSummary = z.infer<typeof PredictionSummarySchema>;

export type BaselineSource = 'lineage' | 'explicit';

export interface Baseline {
  model: string;
  version: number;
  source: BaselineSource;
  datasets: BaselineDataset[];
  predictions: PredictionSummary | null;
  /** The Parquet blob of the scored evaluation rows; null without predictions. */
  predictionsDigest: string | null;
  /** Why there are no predictions: no evaluation dataset, or the model failed to load or score. */
  predictionsError: string | null;
  createdBy: string;
  createdTime: number;
}

/** Dataset references (`NAME`, `NAME@3`, `NAME@sha256:…`) named by hand for a version without lineage. */
export const ExplicitDatasetsSchema = z.strictObject({
  training: z.string().min(1),
  evaluation: z.string().min(1).optional(),
});
export type ExplicitDatasets = z.infer<typeof ExplicitDatasetsSchema>;
