import { z } from 'zod';
import { plainText } from '../common/validation.js';

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type LifecycleStage = 'active' | 'deleted';
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  creationTime: number;
  lastUpdateTime: number;
  tags: Record<string, string>;
  /** Access control's project (roles are granted per project); `default` unless created elsewhere. */
  project: string;
}

export interface RunInfo {
  runId: string;
  runName: string;
  experimentId: string;
  userId: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  lifecycleStage: LifecycleStage;
  artifactUri: string;
  parentRunId: string | null;
}

export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface DatasetInput {
  name: string;
  digest: string;
  context: string;
  sourceType: string;
  source: string;
  schema?: string | undefined;
  profile?: string | undefined;
}

export interface Run {
  info: RunInfo;
  data: {
    /** Latest value of each metric. */
    metrics: Metric[];
    params: Record<string, string>;
    tags: Record<string, string>;
  };
  inputs: DatasetInput[];
}

/** MLflow's limits, kept so that anything logged here can be read by MLflow clients and back. */
export const LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  nameLength: 500,
  batchMetrics: 1000,
  batchParams: 100,
  batchTags: 100,
  batchTotal: 1000,
  /**
   * A run input's schema and profile: MLflow allows 1 MiB and 16 MiB, which lets one logged input
   * weigh more than a thousand runs' params. A schema of a few thousand columns still fits.
   */
  inputSchemaLength: 256 * 1024,
  inputProfileLength: 64 * 1024,
} as const;

/** Keys as MLflow allows them: names that are also safe as file names. */
const KEY_PATTERN = /^[\w\-. /]+$/;

export const KeySchema = z
  .string()
  .min(1, 'must not be empty')
  .max(LIMITS.keyLength, `must be at most ${LIMITS.keyLength} characters`)
  .regex(KEY_PATTERN, 'may only contain letters, digits, underscores, dashes, periods, spaces and slashes')
  .regex(/^(?!\/)(?!(.*\/)?\.\.(\/|$))/, 'must not be absolute or contain ".."');

/**
 * JSON has no NaN or Infinity. Like MLflow's protobuf JSON, they travel as the strings "NaN",
 * "Infinity" and "-Infinity"; numbers may also come as numeric strings.
 */
const METRIC_VALUE_RULE = 'must be a number, "NaN", "Infinity" or "-Infinity"';

/**
 * Checked without a zod transform: transforms cost ~0.7 ms per 1000 metrics, a third of a batch's
 * validation. `.overwrite` turns the accepted strings into numbers at the same cost as a check.
 */
export const MetricValueSchema = z
  .custom<number | string>(
    (v) => typeof v === 'number' || (typeof v === 'string' && parseMetricString(v) !== undefined),
    METRIC_VALUE_RULE,
  )
  .overwrite(toMetricNumber);

/** The number a validated metric value stands for (the schema has already converted strings). */
export function toMetricNumber(value: number | string): number {
  return typeof value === 'number' ? value : (parseMetricString(value) ?? Number.NaN);
}

/** zod's number type refuses NaN and ±Infinity, which MLflow accepts; hence a custom type. */
function parseMetricString(text: string): number | undefined {
  const s = text.trim().toLowerCase();
  if (s === 'nan') return Number.NaN;
  if (s === 'infinity' || s === 'inf') return Number.POSITIVE_INFINITY;
  if (s === '-infinity' || s === '-inf') return Number.NEGATIVE_INFINITY;
  return s !== '' && /^-?(\d+\.?\d*|\.\d+)([e][-+]?\d+)?$/.test(s) ? Number(s) : undefined;
}

export function encodeMetricValue(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

/** int64 fields: MLflow clients send them as numbers or as decimal strings. */
export const Int64Schema = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number),
]);

export const MetricInputSchema = z.object({
  key: KeySchema,
  value: MetricValueSchema,
  timestamp: Int64Schema.optional(),
  step: Int64Schema.optional(),
});
export type MetricInput = z.input<typeof MetricInputSchema>;

export const ParamInputSchema = z.object({
  key: KeySchema,
  value: plainText(
    z.string().max(LIMITS.paramValueLength, `must be at most ${LIMITS.paramValueLength} characters`),
    'value',
  ),
});

export const TagInputSchema = z.object({
  key: KeySchema,
  value: plainText(
    z.string().max(LIMITS.tagValueLength, `must be at most ${LIMITS.tagValueLength} characters`),
    'value',
  ),
});

export const DatasetInputSchema = z.object({
  name: plainText(z.string().min(1).max(LIMITS.nameLength), 'name'),
  digest: z.string().min(1).max(LIMITS.keyLength),
  context: z.string().max(LIMITS.keyLength).default('training'),
  sourceType: z.string().max(LIMITS.keyLength).default('local'),
  source: z.string().max(LIMITS.tagValueLength).default(''),
  schema: z.string().max(LIMITS.inputSchemaLength, `must be at most ${LIMITS.inputSchemaLength} characters`).optional(),
  profile: z
    .string()
    .max(LIMITS.inputProfileLength, `must be at most ${LIMITS.inputProfileLength} characters`)
    .optional(),
});

export const LogBatchSchema = z.object({
  metrics: z.array(MetricInputSchema).max(LIMITS.batchMetrics).default([]),
  params: z.array(ParamInputSchema).max(LIMITS.batchParams).default([]),
  tags: z.array(TagInputSchema).max(LIMITS.batchTags).default([]),
});
export type LogBatchInput = z.input<typeof LogBatchSchema>;

export const CreateExperimentSchema = z.object({
  name: plainText(z.string().trim().min(1, 'must not be empty').max(LIMITS.nameLength), 'name'),
  artifactLocation: z.string().optional(),
  tags: z.record(plainText(z.string(), 'name'), plainText(z.string(), 'value')).optional(),
  /** An existing project (`ciclo projects create`); default `default`. */
  project: z.string().min(1).optional(),
});
export type CreateExperimentInput = z.input<typeof CreateExperimentSchema>;

export const CreateRunSchema = z.object({
  experimentId: z.string().regex(/^\d+$/, 'must be an experiment id'),
  runName: plainText(z.string().max(LIMITS.nameLength), 'name').optional(),
  userId: plainText(z.string().max(LIMITS.keyLength), 'name').optional(),
  startTime: z.number().int().optional(),
  tags: z.record(plainText(z.string(), 'name'), plainText(z.string(), 'value')).optional(),
  parentRunId: z.string().optional(),
});
export type CreateRunInput = z.input<typeof CreateRunSchema>;

export const UpdateRunSchema = z.object({
  status: z.enum(RUN_STATUSES).optional(),
  endTime: z.number().int().optional(),
  runName: plainText(z.string().max(LIMITS.nameLength), 'name').optional(),
});
export type UpdateRunInput = z.input<typeof UpdateRunSchema>;

export const SearchRunsSchema = z.object({
  experimentIds: z.array(z.string().regex(/^\d+$/, 'must be an experiment id')).default([]),
  filter: z.string().optional(),
  orderBy: z.array(z.string()).optional(),
  maxResults: z.number().int().positive().optional(),
  pageToken: z.string().optional(),
  runViewType: z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']).optional(),
});
export type SearchRunsInput = z.input<typeof SearchRunsSchema>;

export const SearchExperimentsSchema = z.object({
  filter: z.string().optional(),
  orderBy: z.array(z.string()).optional(),
  maxResults: z.number().int().positive().optional(),
  pageToken: z.string().optional(),
  viewType: z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']).optional(),
  /** Only experiments of these projects (the server passes the ones the caller may read); absent: all. */
  projects: z.array(z.string()).optional(),
});
export type SearchExperimentsInput = z.input<typeof SearchExperimentsSchema>;

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

/** Tags with a meaning, named as MLflow names them so MLflow's UI and clients understand them. */
export const SYSTEM_TAGS = {
  runName: 'mlflow.runName',
  parentRunId: 'mlflow.parentRunId',
  user: 'mlflow.user',
  sourceName: 'mlflow.source.name',
  gitCommit: 'mlflow.source.git.commit',
  gitBranch: 'mlflow.source.git.branch',
  gitRepoUrl: 'mlflow.source.git.repoURL',
  gitDirty: 'ciclo.git.dirty',
  gitDiffDigest: 'ciclo.git.diff_digest',
  nodeVersion: 'ciclo.env.node',
  pythonVersion: 'ciclo.env.python',
  platform: 'ciclo.env.platform',
  lockfileDigest: 'ciclo.env.lockfile_digest',
  lockfile: 'ciclo.env.lockfile',
} as const;
