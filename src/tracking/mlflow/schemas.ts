import { z } from 'zod';
import { QueryInt, QueryList } from '../../http/index.js';
import { WireMetricValue } from '../native-wire.js';
import { Int64Schema, LIMITS, RUN_STATUSES } from '../types.js';

/**
 * Requests of the MLflow REST API 2.0 as its clients send them (protobuf JSON: snake_case, int64 as
 * numbers or strings, repeated fields as arrays or, in query strings, repeated keys). Unknown fields
 * are dropped rather than refused, so newer MLflow clients that send more still work.
 */

const KeyValues = z.array(z.object({ key: z.string(), value: z.string() })).optional();
/** Ids are strings in MLflow's protos; some clients send experiment ids as numbers. */
const Id = z.union([z.string(), z.number().int()]).transform(String);
const ViewType = z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']).optional();

/** MLflow accepts the run as `run_id` or, from older clients, `run_uuid`. */
function withRun<T extends z.ZodRawShape>(shape: T) {
  return z
    .object({ run_id: z.string().optional(), run_uuid: z.string().optional(), ...shape })
    .refine((body) => runIdOf(body as RunRef) !== '', { message: 'is required (or run_uuid)', path: ['run_id'] });
}

interface RunRef {
  run_id?: string | undefined;
  run_uuid?: string | undefined;
}

export function runIdOf(request: RunRef): string {
  return request.run_id || request.run_uuid || '';
}

// ── experiments ──────────────────────────────────────────────────────────────

export const CreateExperimentRequest = z.object({
  name: z.string(),
  artifact_location: z.string().optional(),
  tags: KeyValues,
});
export const ExperimentIdRequest = z.object({ experiment_id: Id });
export const ExperimentByNameRequest = z.object({ experiment_name: z.string() });
export const SearchExperimentsRequest = z.object({
  max_results: QueryInt.optional(),
  page_token: z.string().optional(),
  filter: z.string().optional(),
  order_by: QueryList.optional(),
  view_type: ViewType,
});
export const UpdateExperimentRequest = z.object({ experiment_id: Id, new_name: z.string() });
export const SetExperimentTagRequest = z.object({ experiment_id: Id, key: z.string(), value: z.string() });

// ── runs ─────────────────────────────────────────────────────────────────────

export const CreateRunRequest = z.object({
  experiment_id: Id.optional(),
  user_id: z.string().optional(),
  run_name: z.string().optional(),
  start_time: Int64Schema.optional(),
  tags: KeyValues,
});
export const RunRequest = withRun({});
export const UpdateRunRequest = withRun({
  status: z.enum(RUN_STATUSES).optional(),
  end_time: Int64Schema.optional(),
  run_name: z.string().optional(),
});
export const SearchRunsRequest = z.object({
  experiment_ids: z.array(Id).optional(),
  filter: z.string().optional(),
  run_view_type: ViewType,
  max_results: QueryInt.optional(),
  order_by: QueryList.optional(),
  page_token: z.string().optional(),
});

const MetricEntry = z.object({
  key: z.string(),
  value: WireMetricValue,
  timestamp: Int64Schema.optional(),
  step: Int64Schema.optional(),
});
export const LogMetricRequest = withRun(MetricEntry.shape);
export const KeyValueRequest = withRun({ key: z.string(), value: z.string() });
export const DeleteTagRequest = withRun({ key: z.string() });
/**
 * Batch entries are checked once, by the service, which names the failing entry (`metrics[3].value`)
 * just as this schema would; checking 1000 metrics twice was a tenth of the route's time.
 */
export const LogBatchRequest = withRun({
  metrics: z
    .array(z.custom<z.input<typeof MetricEntry>>((entry) => typeof entry === 'object' && entry !== null))
    .optional(),
  params: KeyValues,
  tags: KeyValues,
});
export const LogInputsRequest = withRun({
  datasets: z
    .array(
      z.object({
        tags: KeyValues,
        dataset: z.object({
          name: z.string(),
          digest: z.string(),
          source_type: z.string().optional(),
          source: z.string().optional(),
          schema: z
            .string()
            .max(LIMITS.inputSchemaLength, `must be at most ${LIMITS.inputSchemaLength} characters`)
            .optional(),
          profile: z
            .string()
            .max(LIMITS.inputProfileLength, `must be at most ${LIMITS.inputProfileLength} characters`)
            .optional(),
        }),
      }),
    )
    .optional(),
});

export const MetricHistoryRequest = withRun({
  metric_key: z.string(),
  max_results: QueryInt.optional(),
  page_token: z.string().optional(),
});
export const ListArtifactsRequest = withRun({ path: z.string().optional(), page_token: z.string().optional() });

// ── proxied artifacts (mlflow-artifacts:/) ───────────────────────────────────

export const ProxiedArtifactParams = z.object({ '*': z.string() });
export const ProxiedListRequest = z.object({ path: z.string().optional() });
