import type { Generated } from 'kysely';

/**
 * The metadata database as a TypeScript type: every query is checked against it.
 * Times are epoch milliseconds. Booleans are 0/1 integers so both dialects read them the same way.
 */
export interface ExperimentsTable {
  experiment_id: Generated<number>;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  creation_time: number;
  last_update_time: number;
}

export interface ExperimentTagsTable {
  experiment_id: number;
  key: string;
  value: string;
}

export interface RunsTable {
  run_uuid: string;
  experiment_id: number;
  run_name: string;
  user_id: string;
  status: 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
  start_time: number;
  end_time: number | null;
  lifecycle_stage: 'active' | 'deleted';
  artifact_uri: string;
  parent_run_id: string | null;
  deleted_time: number | null;
}

export interface ParamsTable {
  run_uuid: string;
  key: string;
  value: string;
}

export interface TagsTable {
  run_uuid: string;
  key: string;
  value: string;
}

/** Full metric history. NaN is stored as value 0 with is_nan = 1 (SQLite cannot store NaN). */
export interface MetricsTable {
  run_uuid: string;
  key: string;
  value: number;
  is_nan: number;
  timestamp: number;
  step: number;
}

/** One row per (run, key): the point with the highest (step, timestamp, value); search reads this. */
export interface LatestMetricsTable {
  run_uuid: string;
  key: string;
  value: number;
  is_nan: number;
  timestamp: number;
  step: number;
}

export interface RunInputsTable {
  run_uuid: string;
  dataset_name: string;
  dataset_digest: string;
  context: string;
  source_type: string;
  source: string;
  dataset_schema: string | null;
  profile: string | null;
}

/** A run's logical artifact paths, each pointing at a content-addressed blob. */
export interface RunArtifactsTable {
  run_uuid: string;
  path: string;
  digest: string;
  size_bytes: number;
  created_time: number;
}

export interface Schema {
  experiments: ExperimentsTable;
  experiment_tags: ExperimentTagsTable;
  runs: RunsTable;
  params: ParamsTable;
  tags: TagsTable;
  metrics: MetricsTable;
  latest_metrics: LatestMetricsTable;
  run_inputs: RunInputsTable;
  run_artifacts: RunArtifactsTable;
}
