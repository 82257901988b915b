import type { ArtifactEntry } from '../../artifacts/index.js';
import { InvalidInputError } from '../../common/errors.js';
import type { z } from 'zod';
import {
  encodeMetricValue,
  type DatasetInput,
  type Experiment,
  type Metric,
  type Run,
  type RunInfo,
} from '../types.js';
import type {
  MlflowDatasetInput,
  MlflowExperiment,
  MlflowFileInfo,
  MlflowMetric,
  MlflowRun,
  MlflowRunInfo,
} from './replies.js';

/**
 * Domain objects as MLflow's protobuf JSON (snake_case, `[{key, value}]` lists). Repeated fields are
 * always present, even when empty, which protobuf parsers accept and hand-written clients expect;
 * unset scalars (a running run's end_time) are left out, as protobuf leaves them out.
 */

const DATASET_CONTEXT_TAG = 'mlflow.data.context';

export interface KeyValue {
  key: string;
  value: string;
}

export function toKeyValues(record: Record<string, string>): KeyValue[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

/** Later entries win, as a later set-tag would. */
export function fromKeyValues(list: readonly KeyValue[] | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, value]));
}

export function toMlflowExperiment(experiment: Experiment): z.input<typeof MlflowExperiment> {
  return {
    experiment_id: experiment.experimentId,
    name: experiment.name,
    artifact_location: experiment.artifactLocation,
    lifecycle_stage: experiment.lifecycleStage,
    last_update_time: experiment.lastUpdateTime,
    creation_time: experiment.creationTime,
    tags: toKeyValues(experiment.tags),
  };
}

export function toMlflowRunInfo(info: RunInfo): z.input<typeof MlflowRunInfo> {
  return {
    run_id: info.runId,
    run_uuid: info.runId,
    run_name: info.runName,
    experiment_id: info.experimentId,
    user_id: info.userId,
    status: info.status,
    start_time: info.startTime,
    ...(info.endTime !== null ? { end_time: info.endTime } : {}),
    artifact_uri: info.artifactUri,
    lifecycle_stage: info.lifecycleStage,
  };
}

export function toMlflowMetric(metric: Metric): z.input<typeof MlflowMetric> {
  // A finite value is already MLflow's shape: given as it is, a page of 100,000 metrics makes no copies to collect.
  if (Number.isFinite(metric.value)) return metric;
  return { key: metric.key, value: encodeMetricValue(metric.value), timestamp: metric.timestamp, step: metric.step };
}

export function toMlflowRun(run: Run): z.input<typeof MlflowRun> {
  return {
    info: toMlflowRunInfo(run.info),
    data: {
      metrics: run.data.metrics.map(toMlflowMetric),
      params: toKeyValues(run.data.params),
      tags: toKeyValues(run.data.tags),
    },
    inputs: { dataset_inputs: run.inputs.map(toMlflowDatasetInput) },
  };
}

function toMlflowDatasetInput(input: DatasetInput): z.input<typeof MlflowDatasetInput> {
  return {
    tags: input.context ? [{ key: DATASET_CONTEXT_TAG, value: input.context }] : [],
    dataset: {
      name: input.name,
      digest: input.digest,
      source_type: input.sourceType,
      source: input.source,
      ...(input.schema !== undefined ? { schema: input.schema } : {}),
      ...(input.profile !== undefined ? { profile: input.profile } : {}),
    },
  };
}

/** MLflow's DatasetInput → ours. Only the context tag has a place in the domain; other input tags are dropped. */
export function fromMlflowDatasetInput(input: {
  tags?: KeyValue[] | undefined;
  dataset: {
    name: string;
    digest: string;
    source_type?: string | undefined;
    source?: string | undefined;
    schema?: string | undefined;
    profile?: string | undefined;
  };
}) {
  const { dataset } = input;
  return {
    name: dataset.name,
    digest: dataset.digest,
    context: fromKeyValues(input.tags)[DATASET_CONTEXT_TAG],
    sourceType: dataset.source_type,
    source: dataset.source,
    schema: dataset.schema,
    profile: dataset.profile,
  };
}

export function toMlflowFileInfo(entry: ArtifactEntry, path: string = entry.path): z.input<typeof MlflowFileInfo> {
  return { path, is_dir: entry.isDir, ...(entry.fileSize !== undefined ? { file_size: entry.fileSize } : {}) };
}

/**
 * A proxied-artifact path as MLflow clients build it from `mlflow-artifacts:/<experiment>/<run>/artifacts`:
 * `<experiment>/<run>/artifacts[/<path inside the run>]`. The run id alone names the run (the
 * experiment segment is only MLflow's folder layout); the path inside stays as sent, and the artifact
 * store refuses anything that would leave the run.
 */
export function parseProxiedArtifactPath(fullPath: string): { runId: string; path: string } {
  const [experimentId, runId, root, ...rest] = fullPath.split('/');
  if (!experimentId || !runId || root !== 'artifacts') {
    throw new InvalidInputError(`artifact path '${fullPath}' does not name a run's artifacts`, {
      where: 'path',
      hint: "use the run's artifact_uri: <experiment_id>/<run_id>/artifacts/<path>",
    });
  }
  return { runId, path: rest.join('/') };
}
