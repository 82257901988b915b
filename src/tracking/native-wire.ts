import { z } from 'zod';
import { QueryInt, QueryList, pageReply } from '../http/index.js';
import {
  CreateExperimentSchema,
  CreateRunSchema,
  DatasetInputSchema,
  encodeMetricValue,
  LIMITS,
  LogBatchSchema,
  MetricInputSchema,
  MetricValueSchema,
  RUN_STATUSES,
  SearchRunsSchema,
  toMetricNumber,
  UpdateRunSchema,
  type LogBatchInput,
  type Metric,
  type Page,
  type Run,
} from './types.js';

/**
 * The native REST format (docs/rest-api.md): the domain types as JSON with snake_case field names,
 * translated here and nowhere else, both ways (the routes, and the SDK's remote client). Only the
 * fields of the object at hand are renamed: nested objects are translated one by one, and the keys
 * of tags and params are data, never renamed. Metric values, which JSON cannot carry as NaN or
 * ±Infinity, travel as the strings "NaN", "Infinity" and "-Infinity".
 */

// ── field names ──────────────────────────────────────────────────────────────

/** `experimentId` → `experiment_id`. */
type SnakeCase<Name extends string> = Name extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : Name;
/** `experiment_id` → `experimentId`. */
type CamelCase<Name extends string> = Name extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : Name;

export type SnakeKeys<T> = { [K in keyof T as K extends string ? SnakeCase<K> : K]: T[K] };
export type CamelKeys<T> = { [K in keyof T as K extends string ? CamelCase<K> : K]: T[K] };

export function snakeKeys<T extends object>(value: T): SnakeKeys<T> {
  const rename = (key: string) => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
  return renameKeys(value, rename) as SnakeKeys<T>;
}

export function camelKeys<T extends object>(value: T): CamelKeys<T> {
  const rename = (key: string) => key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
  return renameKeys(value, rename) as CamelKeys<T>;
}

function renameKeys(value: object, rename: (key: string) => string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [rename(key), field]));
}

/**
 * A domain request schema under its wire names: the same rules, so a refusal names the field as it
 * was sent. Strict, nested or not: a field under its old camelCase name is refused, never dropped.
 */
function snakeObject<Shape extends z.ZodRawShape>(schema: z.ZodObject<Shape>) {
  return z.strictObject(snakeKeys(schema.shape));
}

// ── metric values ────────────────────────────────────────────────────────────

/**
 * Checked here, converted by the service: the request keeps the value as sent ("NaN" stays a string)
 * so that the service's own parsing, which turns "NaN" into NaN, sees input rather than output.
 */
export const WireMetricValue = z
  .union([z.number(), z.string()], { error: 'must be a number, "NaN", "Infinity" or "-Infinity"' })
  .refine((value) => MetricValueSchema.safeParse(value).success, 'must be a number, "NaN", "Infinity" or "-Infinity"');

const EncodedNumber = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);
const Stage = z.enum(['active', 'deleted']);
const ViewType = z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']);

// ── requests ─────────────────────────────────────────────────────────────────

export const ExperimentIdParams = z.object({ experimentId: z.string() });
export const ExperimentNameParams = z.object({ name: z.string() });
export const ExperimentTagParams = z.object({ experimentId: z.string(), key: z.string() });
export const RunIdParams = z.object({ runId: z.string() });
export const RunTagParams = z.object({ runId: z.string(), key: z.string() });
export const MetricHistoryParams = z.object({ runId: z.string(), key: z.string() });
export const ArtifactParams = z.object({ runId: z.string(), '*': z.string() });

export const CreateExperimentBody = snakeObject(CreateExperimentSchema);
export const RenameExperimentBody = z.object({ name: z.string() });
export const TagValueBody = z.object({ value: z.string() });
export const SearchExperimentsQuery = z.object({
  filter: z.string().optional(),
  max_results: QueryInt.optional(),
  page_token: z.string().optional(),
  view_type: ViewType.optional(),
  order_by: QueryList.optional(),
});

export const CreateRunBody = snakeObject(CreateRunSchema);
export const UpdateRunBody = snakeObject(UpdateRunSchema);
export const SearchRunsBody = snakeObject(SearchRunsSchema);
export const LogBatchBody = LogBatchSchema.extend({
  metrics: z
    .array(MetricInputSchema.extend({ value: WireMetricValue }))
    .max(LIMITS.batchMetrics)
    .optional(),
});
export const LogInputsBody = z.object({ datasets: z.array(snakeObject(DatasetInputSchema)) });
export const PageQuery = z.object({ max_results: QueryInt.optional(), page_token: z.string().optional() });
export const ArtifactListQuery = z.object({ path: z.string().optional() });

// ── answers ──────────────────────────────────────────────────────────────────

export const ExperimentReply = z.object({
  experiment_id: z.string(),
  name: z.string(),
  artifact_location: z.string(),
  lifecycle_stage: Stage,
  creation_time: z.number(),
  last_update_time: z.number(),
  tags: z.record(z.string(), z.string()),
  project: z.string(),
});

export const MetricReply = z.object({ key: z.string(), value: EncodedNumber, timestamp: z.number(), step: z.number() });

export const RunInfoReply = z.object({
  run_id: z.string(),
  run_name: z.string(),
  experiment_id: z.string(),
  user_id: z.string(),
  status: z.enum(RUN_STATUSES),
  start_time: z.number(),
  end_time: z.number().nullable(),
  lifecycle_stage: Stage,
  artifact_uri: z.string(),
  parent_run_id: z.string().nullable(),
});

export const DatasetInputReply = z.object({
  name: z.string(),
  digest: z.string(),
  context: z.string(),
  source_type: z.string(),
  source: z.string(),
  schema: z.string().optional(),
  profile: z.string().optional(),
});

export const RunReply = z.object({
  info: RunInfoReply,
  data: z.object({
    metrics: z.array(MetricReply),
    params: z.record(z.string(), z.string()),
    tags: z.record(z.string(), z.string()),
  }),
  inputs: z.array(DatasetInputReply),
});

export const ArtifactEntryReply = z.object({ path: z.string(), is_dir: z.boolean(), file_size: z.number().optional() });
export const ArtifactListReply = pageReply(ArtifactEntryReply);
export const ArtifactFileReply = z.object({ path: z.string(), digest: z.string(), size_bytes: z.number() });

export type WireExperiment = z.output<typeof ExperimentReply>;
export type WireMetric = z.output<typeof MetricReply>;
export type WireRunInfo = z.output<typeof RunInfoReply>;
export type WireRun = z.output<typeof RunReply>;
export type WireArtifactEntry = z.output<typeof ArtifactEntryReply>;
export type WireArtifactFile = z.output<typeof ArtifactFileReply>;
export interface WirePage<T> {
  items: T[];
  next_page_token?: string | undefined;
}

// ── domain → wire ────────────────────────────────────────────────────────────

export function metricToWire(metric: Metric): WireMetric {
  return { ...metric, value: encodeMetricValue(metric.value) as WireMetric['value'] };
}

export function runToWire(run: Run): WireRun {
  return {
    info: snakeKeys(run.info),
    data: { ...run.data, metrics: run.data.metrics.map(metricToWire) },
    inputs: run.inputs.map(snakeKeys),
  };
}

/** A batch as the client sends it: metric values that JSON cannot carry become their strings. */
export function batchToWire(batch: LogBatchInput): LogBatchInput {
  if (!batch.metrics) return batch;
  return {
    ...batch,
    metrics: batch.metrics.map((m) => (typeof m.value === 'number' ? { ...m, value: encodeMetricValue(m.value) } : m)),
  };
}

// ── wire → domain ────────────────────────────────────────────────────────────

export function metricFromWire(metric: WireMetric): Metric {
  return { ...metric, value: toMetricNumber(metric.value) };
}

export function runFromWire(run: WireRun): Run {
  return {
    info: camelKeys(run.info),
    data: { ...run.data, metrics: run.data.metrics.map(metricFromWire) },
    inputs: run.inputs.map(camelKeys),
  };
}

export function pageFromWire<W, T>(page: WirePage<W>, fromWire: (item: W) => T): Page<T> {
  const items = page.items.map(fromWire);
  return page.next_page_token === undefined ? { items } : { items, nextPageToken: page.next_page_token };
}
