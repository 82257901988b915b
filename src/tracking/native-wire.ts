import { z } from 'zod';
import { QueryInt, QueryList } from '../server/query.js';
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
  UpdateRunSchema,
  type Metric,
  type Run,
} from './types.js';

/**
 * The native REST format (docs/rest-api.md): the domain types as JSON. The one difference is metric
 * values, which JSON cannot carry as NaN/±Infinity and which therefore travel as strings.
 */

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

export const CreateExperimentBody = CreateExperimentSchema;
export const RenameExperimentBody = z.object({ name: z.string() });
export const TagValueBody = z.object({ value: z.string() });
export const SearchExperimentsQuery = z.object({
  filter: z.string().optional(),
  maxResults: QueryInt.optional(),
  pageToken: z.string().optional(),
  viewType: ViewType.optional(),
  orderBy: QueryList.optional(),
});

export const CreateRunBody = CreateRunSchema;
export const UpdateRunBody = UpdateRunSchema;
export const SearchRunsBody = SearchRunsSchema;
export const LogBatchBody = LogBatchSchema.extend({
  metrics: z.array(MetricInputSchema.extend({ value: WireMetricValue })).max(LIMITS.batchMetrics).optional(),
});
export const LogInputsBody = z.object({ datasets: z.array(DatasetInputSchema) });
export const PageQuery = z.object({ maxResults: QueryInt.optional(), pageToken: z.string().optional() });
export const ArtifactListQuery = z.object({ path: z.string().optional() });

// ── answers ──────────────────────────────────────────────────────────────────

export const ExperimentReply = z.object({
  experimentId: z.string(),
  name: z.string(),
  artifactLocation: z.string(),
  lifecycleStage: Stage,
  creationTime: z.number(),
  lastUpdateTime: z.number(),
  tags: z.record(z.string(), z.string()),
  project: z.string(),
});

export const MetricReply = z.object({ key: z.string(), value: EncodedNumber, timestamp: z.number(), step: z.number() });

export const RunInfoReply = z.object({
  runId: z.string(),
  runName: z.string(),
  experimentId: z.string(),
  userId: z.string(),
  status: z.enum(RUN_STATUSES),
  startTime: z.number(),
  endTime: z.number().nullable(),
  lifecycleStage: Stage,
  artifactUri: z.string(),
  parentRunId: z.string().nullable(),
});

export const RunReply = z.object({
  info: RunInfoReply,
  data: z.object({
    metrics: z.array(MetricReply),
    params: z.record(z.string(), z.string()),
    tags: z.record(z.string(), z.string()),
  }),
  inputs: z.array(
    z.object({
      name: z.string(),
      digest: z.string(),
      context: z.string(),
      sourceType: z.string(),
      source: z.string(),
      schema: z.string().optional(),
      profile: z.string().optional(),
    }),
  ),
});

export function pageReply<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextPageToken: z.string().optional() });
}

export const ArtifactListReply = z.object({
  files: z.array(z.object({ path: z.string(), isDir: z.boolean(), fileSize: z.number().optional() })),
});
export const ArtifactFileReply = z.object({ path: z.string(), digest: z.string(), sizeBytes: z.number() });
export const NoContent = z.undefined().describe('No content');

// ── encoding ─────────────────────────────────────────────────────────────────

export function toWireMetric(metric: Metric): z.input<typeof MetricReply> {
  return { ...metric, value: encodeMetricValue(metric.value) as z.input<typeof EncodedNumber> };
}

export function toWireRun(run: Run): z.input<typeof RunReply> {
  return { ...run, data: { ...run.data, metrics: run.data.metrics.map(toWireMetric) } };
}
