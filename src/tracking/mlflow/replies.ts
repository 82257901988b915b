import { z } from 'zod';
import { RUN_STATUSES } from '../types.js';

/**
 * MLflow's tracking answers as its clients read them (protobuf JSON): what the OpenAPI document
 * shows, and the types mapping.ts builds them to. They describe the answers and never re-check
 * them: the server writes MLflow's answers as built (server/app.ts).
 */

const KeyValue = z.object({ key: z.string(), value: z.string() });
const LifecycleStage = z.enum(['active', 'deleted']);
/** protobuf's empty message: the answer of every call that only changes something. */
export const MlflowEmpty = z.object({}).describe('{}');

export const MlflowExperiment = z.object({
  experiment_id: z.string(),
  name: z.string(),
  artifact_location: z.string(),
  lifecycle_stage: LifecycleStage,
  last_update_time: z.number(),
  creation_time: z.number(),
  tags: z.array(KeyValue),
});

export const MlflowRunInfo = z.object({
  run_id: z.string(),
  run_uuid: z.string(),
  run_name: z.string(),
  experiment_id: z.string(),
  user_id: z.string(),
  status: z.enum(RUN_STATUSES),
  start_time: z.number(),
  /** Left out while the run has not ended. */
  end_time: z.number().optional(),
  artifact_uri: z.string(),
  lifecycle_stage: LifecycleStage,
});

export const MlflowMetric = z.object({
  key: z.string(),
  /** A number, or "NaN", "Infinity" or "-Infinity", which JSON cannot carry as numbers. */
  value: z.union([z.number(), z.string()]),
  timestamp: z.number(),
  step: z.number(),
});

export const MlflowDatasetInput = z.object({
  tags: z.array(KeyValue),
  dataset: z.object({
    name: z.string(),
    digest: z.string(),
    source_type: z.string(),
    source: z.string(),
    schema: z.string().optional(),
    profile: z.string().optional(),
  }),
});

export const MlflowRun = z.object({
  info: MlflowRunInfo,
  data: z.object({ metrics: z.array(MlflowMetric), params: z.array(KeyValue), tags: z.array(KeyValue) }),
  inputs: z.object({ dataset_inputs: z.array(MlflowDatasetInput) }),
});

export const MlflowFileInfo = z.object({ path: z.string(), is_dir: z.boolean(), file_size: z.number().optional() });

export const CreateExperimentReply = z.object({ experiment_id: z.string() });
export const ExperimentReply = z.object({ experiment: MlflowExperiment });
export const SearchExperimentsReply = z.object({
  experiments: z.array(MlflowExperiment),
  next_page_token: z.string().optional(),
});
export const RunReply = z.object({ run: MlflowRun });
export const UpdateRunReply = z.object({ run_info: MlflowRunInfo });
export const SearchRunsReply = z.object({ runs: z.array(MlflowRun), next_page_token: z.string().optional() });
export const MetricHistoryReply = z.object({ metrics: z.array(MlflowMetric), next_page_token: z.string().optional() });
export const ListArtifactsReply = z.object({ root_uri: z.string(), files: z.array(MlflowFileInfo) });
export const ProxiedListReply = z.object({ files: z.array(MlflowFileInfo) });
