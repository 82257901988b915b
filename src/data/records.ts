import { z } from 'zod';

/**
 * What the data capability answers with (CLI `--json`; the REST routes in snake_case, wire.ts): zod
 * schemas, so the answers are validated and the OpenAPI document describes them. Local blob paths
 * never appear here.
 */

export const DATA_FORMATS = ['csv', 'parquet', 'jsonl'] as const;

export const QUANTILES = [
  ['p1', 0.01],
  ['p5', 0.05],
  ['p25', 0.25],
  ['p50', 0.5],
  ['p75', 0.75],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;

export const HISTOGRAM_BINS = 20;
export const TOP_VALUES = 10;

export const ColumnSchemaSchema = z.object({
  name: z.string(),
  type: z.string(),
  nullable: z.boolean(),
  sensitive: z.boolean(),
});

export const DatasetFileSchema = z.object({
  /** Relative to what was registered (a folder, a glob's fixed prefix, or the file's own name). */
  path: z.string(),
  digest: z.string(),
  sizeBytes: z.number(),
});
export type DatasetFile = z.infer<typeof DatasetFileSchema>;

/** How a column is profiled: by what its DuckDB type can answer. */
export const COLUMN_KINDS = ['numeric', 'categorical', 'temporal', 'other'] as const;
export type ColumnKind = (typeof COLUMN_KINDS)[number];

const NullableNumber = z.number().nullable();

export const ColumnProfileSchema = z.object({
  name: z.string(),
  type: z.string(),
  kind: z.enum(COLUMN_KINDS),
  nulls: z.number(),
  /** approx_count_distinct: HyperLogLog, a few percent off on large columns. */
  distinct: NullableNumber,
  /** Numbers: min/max/mean/std (sample standard deviation); dates and timestamps: min/max as ISO text. */
  min: z.union([z.number(), z.string()]).nullable().optional(),
  max: z.union([z.number(), z.string()]).nullable().optional(),
  mean: NullableNumber.optional(),
  std: NullableNumber.optional(),
  /** quantile_cont (exact, linear interpolation) at p1 … p99. */
  quantiles: z.record(z.string(), z.number()).optional(),
  /** Equal-width bins between min and max: `edges` has one more entry than `counts`. */
  histogram: z.object({ edges: z.array(z.number()), counts: z.array(z.number()) }).optional(),
  /** The most frequent non-null values, most frequent first (ties by value). */
  topValues: z.array(z.object({ value: z.string(), count: z.number() })).optional(),
});
export type ColumnProfile = z.infer<typeof ColumnProfileSchema>;

export const DatasetProfileSchema = z.object({
  rowCount: z.number(),
  columns: z.array(ColumnProfileSchema),
});
export type DatasetProfile = z.infer<typeof DatasetProfileSchema>;

/** A version as stored: what `data show` and `data versions` answer (and the REST routes, through wire.ts). */
export const DatasetVersionInfoSchema = z.object({
  name: z.string(),
  /** The dataset's project (access control's); its versions have none of their own. */
  project: z.string(),
  version: z.number(),
  digest: z.string(),
  format: z.enum(DATA_FORMATS),
  files: z.array(DatasetFileSchema),
  schema: z.array(ColumnSchemaSchema),
  rowCount: z.number(),
  createdTime: z.number(),
});
export type DatasetVersionInfo = z.infer<typeof DatasetVersionInfoSchema>;

export const DatasetVersionDetailSchema = DatasetVersionInfoSchema.extend({
  profile: DatasetProfileSchema.nullable(),
});
export type DatasetVersionDetail = z.infer<typeof DatasetVersionDetailSchema>;

export const DatasetSummarySchema = z.object({
  name: z.string(),
  project: z.string(),
  description: z.string().nullable(),
  createdTime: z.number(),
  updatedTime: z.number(),
  latestVersion: z.number().nullable(),
  latestDigest: z.string().nullable(),
  rowCount: z.number().nullable(),
  versionCount: z.number(),
});
export type DatasetSummary = z.infer<typeof DatasetSummarySchema>;

export interface RegisterOptions {
  /** A YAML or JSON file declaring the columns; the data must match it. */
  schema?: string;
  /** Column names to tag sensitive. */
  sensitive?: readonly string[];
  description?: string;
  /**
   * The project a new dataset goes to (an existing project; default `default`). A new version stays
   * in its dataset's project: naming another one is refused (an admin moves datasets).
   */
  project?: string;
  /**
   * CSV only: lines above the header to leave out (a metadata line, as scikit-learn's bundled CSVs
   * have). The version stores the files without them.
   */
  skipRows?: number;
}

export interface RegisterResult {
  version: DatasetVersionInfo;
  /** False when identical content was already a version of this dataset (nothing was copied). */
  created: boolean;
}
