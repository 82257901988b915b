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
  /** Migration `0009_access`; `default` unless created in another project. */
  project: Generated<string>;
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

export type PipelineRunStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type StepExecutionStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CACHED' | 'SKIPPED' | 'CANCELLED';

/** One run of a pipeline; `id` is the tracked run that stands for it. JSON columns are text. */
export interface PipelineRunsTable {
  id: string;
  pipeline_name: string;
  /** The compiled definition the run executes, as JSON: a run never re-reads the pipeline file. */
  definition: string;
  definition_digest: string;
  /** The resolved pipeline params, as JSON. */
  params: string;
  work_dir: string;
  environment: string | null;
  /** What started the run and its payload, as JSON; null when started by hand. */
  trigger: string | null;
  no_cache: number;
  status: PipelineRunStatus;
  created_time: number;
  updated_time: number;
  /** Who is driving the run (`host:pid:uuid`) and until when; another orchestrator waits for expiry. */
  lease_owner: string | null;
  lease_expires_at: number | null;
  /** Set by `ciclo pipeline cancel` from any process; the driving orchestrator polls it. */
  cancel_requested: Generated<number>;
  /** The executor the run's steps go to (`local`, `bullmq`). */
  executor: Generated<string>;
  /** The pipeline file the run was started from, when there was one. */
  source_file: string | null;
  /** HEAD of the work dir's git repository when the run started (`ciclo pipeline reproduce`). */
  git_commit: string | null;
  /**
   * The definition's project, where its tracked runs and registered datasets go (migration `0010_resource_projects`).
   */
  project: Generated<string>;
  /** The trigger that started the run; null when started by hand. */
  trigger_name: string | null;
  /** Set on a run started by `ciclo pipeline reproduce`. */
  reproduces_run_id: string | null;
}

/** One attempt of one step of a pipeline run; a step's state is its row with the highest attempt. */
export interface StepExecutionsTable {
  pipeline_run_id: string;
  step_name: string;
  attempt: number;
  status: StepExecutionStatus;
  /** The tracked run of this attempt; null until it starts, and for a cache hit. */
  run_id: string | null;
  exit_code: number | null;
  error: string | null;
  cache_key: string | null;
  /** For CACHED: the tracked step run whose outputs were reused. */
  cached_from_run_id: string | null;
  started_time: number | null;
  ended_time: number | null;
  /** A retry waits until then; null for a first attempt and for one added by resume. */
  next_attempt_at: number | null;
  /** Input name → content digest, as JSON, recorded when the attempt starts. */
  input_digests: string | null;
  /** Output name → content digest, as JSON, recorded when the attempt succeeds. */
  output_digests: string | null;
  /** The step's process (group) and the host it runs on, so a new orchestrator can end an orphan. */
  process_id: number | null;
  process_host: string | null;
  /** Which worker ran the attempt (`host:pid`), for queue executors. */
  worker: string | null;
  duration_ms: number | null;
}

/** Every input a step attempt read and every output it wrote, by content digest: lineage's edges. */
export interface StepArtifactsTable {
  pipeline_run_id: string;
  step_name: string;
  attempt: number;
  direction: 'input' | 'output';
  name: string;
  digest: string;
}

/** Per (pipeline, trigger): what a polling source last saw and how many firings started or dropped runs. */
export interface TriggerStateTable {
  pipeline_name: string;
  trigger_name: string;
  /** The source's own marker (a digest, a commit, JSON of known dataset digests); null before the first check. */
  cursor: string | null;
  /** Firings that started or queued a run. */
  fired_count: Generated<number>;
  /** Firings dropped because the pipeline's queue was full. */
  dropped_count: Generated<number>;
  last_fired_time: number | null;
  updated_time: number;
}

/** A named dataset; its content is in `dataset_versions`. */
export interface DatasetsTable {
  name: string;
  description: string | null;
  /** Migration `0010_resource_projects`; `default` unless registered into another project. */
  project: Generated<string>;
  created_time: number;
  updated_time: number;
}

/** One immutable version of a dataset. JSON columns are text. */
export interface DatasetVersionsTable {
  name: string;
  /** 1, 2, 3 … per dataset, in registration order. */
  version: number;
  /** `sha256:` over (relative path, file digest) pairs: identical content has one version per dataset. */
  digest: string;
  format: 'csv' | 'parquet' | 'jsonl';
  /** Relative path → { digest, sizeBytes } of its blob, as JSON. */
  files: string;
  /** [{ name, type, nullable }], as JSON. */
  schema: string;
  /** Column names tagged sensitive, as JSON. */
  sensitive: string;
  row_count: number;
  /** The profile computed at registration, as JSON. */
  profile: string | null;
  created_time: number;
}

/** One entry of the audit hash chain (migration `0007_audit`); see src/governance/audit. */
export interface AuditLogTable {
  /** 1, 2, 3 … without gaps: taken from `audit_head` under its lock, never from a sequence. */
  seq: number;
  time: number;
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  before_digest: string | null;
  after_digest: string | null;
  request_id: string | null;
  /** Canonical JSON text; the hash covers it as stored. */
  details: string | null;
  prev_hash: string;
  hash: string;
  /** HMAC of `hash` with CICLO_AUDIT_KEY (migration `0011_audit_key`); null when appended without a key. */
  mac: string | null;
}

/** The audit chain's head: one row (id = 1), the last seq and hash; appenders lock it. */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
  /** HMAC of seq, hash and keyed_from (migration `0011_audit_key`); null when last moved without a key. */
  mac: string | null;
  /** The first row appended with a key; every row from it on must carry a valid MAC. */
  keyed_from: number | null;
}

/** A registered model (migration `0006_registry`); its versions are in `model_versions`. */
export interface RegisteredModelsTable {
  name: string;
  description: string | null;
  created_time: number;
  updated_time: number;
  /** Migration `0009_access`; `default` unless created in another project. */
  project: Generated<string>;
}

export interface RegisteredModelTagsTable {
  name: string;
  key: string;
  value: string;
}

export type ModelVersionStatus = 'pending' | 'approved' | 'rejected';

/** One immutable version of a model: a package in a run's artifacts. JSON columns are text. */
export interface ModelVersionsTable {
  name: string;
  /** 1, 2, 3 … per model, in registration order. */
  version: number;
  run_id: string;
  /** The package's folder among the run's artifacts (`model`). */
  source: string;
  /**
   * Digest of the package's `ciclo-model.json`: it vouches for every file of the package. `''` when the version has no
   * verified package (`NO_PACKAGE_DIGEST` in src/registry/store.ts).
   */
  manifest_digest: string;
  flavor: string;
  /** { inputs, outputs }, as JSON. */
  signature: string;
  /** The run's latest metrics at registration, key → value, as JSON. */
  metrics: string;
  /** { run, pipeline_run, git_commit, datasets: [{ name, digest }] }, as JSON. */
  lineage: string;
  description: string | null;
  status: ModelVersionStatus;
  created_time: number;
  updated_time: number;
  /** Who registered it (migration `0008_approvals`): four-eyes compares approvers with it. */
  created_by: Generated<string>;
}

export interface ModelVersionTagsTable {
  name: string;
  version: number;
  key: string;
  value: string;
}

export interface ModelAliasesTable {
  name: string;
  alias: string;
  version: number;
  updated_time: number;
}

export interface ModelStagesTable {
  name: string;
  environment: 'dev' | 'staging' | 'prod';
  version: number;
  updated_time: number;
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
  pipeline_runs: PipelineRunsTable;
  step_executions: StepExecutionsTable;
  step_artifacts: StepArtifactsTable;
  trigger_state: TriggerStateTable;
  datasets: DatasetsTable;
  dataset_versions: DatasetVersionsTable;
  registered_models: RegisteredModelsTable;
  registered_model_tags: RegisteredModelTagsTable;
  model_versions: ModelVersionsTable;
  model_version_tags: ModelVersionTagsTable;
  model_aliases: ModelAliasesTable;
  model_stages: ModelStagesTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  projects: ProjectsTable;
  project_roles: ProjectRolesTable;
  model_policies: ModelPoliciesTable;
  model_gate_results: ModelGateResultsTable;
  model_approvals: ModelApprovalsTable;
  deployments: DeploymentsTable;
  deployment_events: DeploymentEventsTable;
  capture_files: CaptureFilesTable;
  prediction_feedback: PredictionFeedbackTable;
  captured_requests: CapturedRequestsTable;
  model_baselines: ModelBaselinesTable;
  monitors: MonitorsTable;
  monitor_results: MonitorResultsTable;
  monitor_metrics: MonitorMetricsTable;
  alert_states: AlertStatesTable;
  alert_events: AlertEventsTable;
  alert_actions: AlertActionsTable;
}

/** Access control (migration `0009_access`). */
export interface UsersTable {
  name: string;
  created_time: number;
  disabled_time: number | null;
}

export interface ApiTokensTable {
  /** Public id (shown in listings, used to revoke); the secret itself is never stored. */
  id: string;
  user_name: string;
  /** `sha256:` of the whole token string. */
  secret_hash: string;
  /** JSON array of actions: read, write, approve, admin. */
  scopes: string;
  description: string | null;
  created_time: number;
  expires_time: number | null;
  revoked_time: number | null;
  last_used_time: number | null;
}

export interface ProjectsTable {
  name: string;
  description: string | null;
  created_time: number;
}

export interface ProjectRolesTable {
  /** A project's name, or `*` for every project. */
  project: string;
  user_name: string;
  role: 'viewer' | 'editor' | 'approver' | 'admin';
  granted_time: number;
}

/** Approvals (migration `0008_approvals`); see src/governance/approvals. */
export interface ModelPoliciesTable {
  name: string;
  /** The policy's YAML text as it was set. */
  policy: string;
  /** `sha256:` over the parsed policy's canonical JSON: layout and comments do not change it. */
  digest: string;
  set_by: string;
  set_time: number;
}

/** One evaluation of a policy's gates against a version. */
export interface ModelGateResultsTable {
  id: string;
  name: string;
  version: number;
  /** `stored` (the model's policy) or the file the policy was read from. */
  policy_source: string;
  policy_digest: string;
  evaluated_by: string;
  evaluated_time: number;
  passed: number;
  /** [{ gate, passed, observed, expected, message }], as JSON. */
  results: string;
}

/** The decision on a version: at most one, since only a pending version is decided. */
export interface ModelApprovalsTable {
  name: string;
  version: number;
  decision: 'approved' | 'rejected';
  actor: string;
  comment: string | null;
  decided_time: number;
  /** 1 when the policy approved it (`auto_approve`), 0 for a person's decision. */
  automatic: number;
  policy_digest: string | null;
  /** The gate evaluation the approval relied on. */
  gate_result_id: string | null;
}

/** Deployments (migration `0012_deployments`); see src/serving/deployments. */
export interface DeploymentsTable {
  name: string;
  project: string;
  environment: string;
  model_name: string;
  /** The alias the deployment follows; null when it stays on `pinned_version`. */
  alias: string | null;
  pinned_version: number | null;
  /** The runtime named at creation; null: the one the package's flavor picks. */
  runtime: string | null;
  replicas: number;
  /** The rollout strategy and its thresholds, as JSON. */
  strategy: string;
  /** The share of requests captured, 0 to 1. */
  capture_rate: number;
  state: 'PENDING' | 'READY' | 'UPDATING' | 'FAILED';
  /** Why the last change failed (a package that did not load: the runtime's message). */
  message: string | null;
  serving_version: number | null;
  candidate_version: number | null;
  created_by: string;
  created_time: number;
  updated_time: number;
}

/** A deployment's history, kept after it is deleted. */
export interface DeploymentEventsTable {
  deployment: string;
  /** 1, 2, … within the deployment. */
  seq: number;
  time: number;
  actor: string;
  /** `create`, `serve`, `fail`, `promote`, `rollback`, `update`, `delete`. */
  action: string;
  from_version: number | null;
  to_version: number | null;
  reason: string | null;
  /** JSON object. */
  details: string;
}

/** A Parquet file of captured requests, stored as a blob (migration `0012_deployments`). */
export interface CaptureFilesTable {
  deployment: string;
  path: string;
  hour: number;
  digest: string;
  rows: number;
  bytes: number;
  created_time: number;
}

/** Ground truth for a captured request (the latest one sent wins). */
export interface PredictionFeedbackTable {
  deployment: string;
  request_id: string;
  /** JSON. */
  label: string;
  actor: string;
  time: number;
}

/** A request id in a deployment's capture files (migration `0013_monitoring`): what feedback may name. */
export interface CapturedRequestsTable {
  deployment: string;
  request_id: string;
  hour: number;
}

/** A registered version's baseline (migration `0013_monitoring`); see src/monitoring/baselines. */
export interface ModelBaselinesTable {
  model_name: string;
  version: number;
  source: 'lineage' | 'explicit';
  /** JSON: the dataset versions with their roles and profiles. */
  datasets: string;
  /** JSON: the summary of the predictions on the evaluation set. */
  predictions: string | null;
  predictions_digest: string | null;
  /** Why there are no predictions (the model failed to load or score). */
  predictions_error: string | null;
  created_by: string;
  created_time: number;
}

/** A monitor applied from YAML. */
export interface MonitorsTable {
  name: string;
  project: string;
  deployment: string;
  /** The validated definition, JSON. */
  definition: string;
  /** The YAML text it was applied from. */
  source: string;
  created_by: string;
  created_time: number;
  updated_time: number;
}

/** One run of a monitor over one window. */
export interface MonitorResultsTable {
  id: Generated<number>;
  monitor: string;
  time: number;
  window_start: number;
  window_end: number;
  rows: number;
  status: 'ok' | 'no_data' | 'failed';
  message: string | null;
  /** JSON. */
  details: string;
}

/** One value of a monitor run: a point of the series (monitor, metric, feature, segment). */
export interface MonitorMetricsTable {
  result_id: number;
  monitor: string;
  time: number;
  metric: string;
  feature: string;
  segment: string;
  value: number | null;
  reason: string | null;
}

/** An alert rule's current state. */
export interface AlertStatesTable {
  monitor: string;
  rule: string;
  state: 'OK' | 'FIRING';
  severity: string;
  consecutive: number;
  since: number;
  last_fired: number | null;
  last_value: number | null;
  acked_by: string | null;
  acked_time: number | null;
}

/** An alert's history: transitions and acknowledgements. */
export interface AlertEventsTable {
  id: Generated<number>;
  monitor: string;
  rule: string;
  kind: 'FIRING' | 'RESOLVED' | 'ACKED';
  severity: string;
  time: number;
  actor: string;
  result_id: number | null;
  value: number | null;
  /** JSON. */
  payload: string;
}

/** One action of an alert event, with its attempts. */
export interface AlertActionsTable {
  id: Generated<number>;
  event_id: number;
  action_index: number;
  type: string;
  /** JSON: the action as declared when the event happened. */
  action: string;
  status: 'PENDING' | 'DONE' | 'FAILED';
  attempts: number;
  next_time: number | null;
  last_error: string | null;
  updated_time: number;
}
