/**
 * Pipelines: definitions (YAML or TypeScript), the durable scheduler and its executors, step kinds, caching and
 * logs (`pipeline_runs`, `step_executions`, `step_artifacts`).
 */
export {
  PipelineSchema,
  parseReference,
  type EnvironmentOverlay,
  type OutputSpec,
  type ParamSpec,
  type ParamType,
  type ParamValue,
  type PipelineDefinition,
  type PipelineInput,
  type Reference,
  type RetryBackoff,
  type StepDefinition,
  type StepInput,
  type StepSpec,
} from './definition/definition.js';
export type { FieldPath, SourceMap } from './definition/definition-error.js';
export { TriggerSpecSchema, cronOptions, type TriggerSpec, type TriggerType } from './definition/triggers.js';
export { validateTriggers, type TriggerIssue } from './definition/trigger-checks.js';
export { compilePipeline, type CompileOptions } from './definition/compile.js';
export { stepDependencies, topologicalOrder, type Dependency } from './definition/graph.js';
export { paramTypeMismatch, parseParamAssignments } from './definition/params.js';
export {
  StepKindRegistry,
  coreStepKinds,
  type CommandConfig,
  type StepKind,
  type TsConfig,
} from './definition/step-kinds.js';
export { definePipeline, step } from './definition/dsl.js';
export { loadPipelineFile, loadPipelineYaml, type LoadOptions } from './definition/yaml.js';
export { renderTemplate, type TemplateValues } from './definition/templates.js';
export type { Executor, RunOptions, StepJob, StepProcessInfo, StepResult, StepStatus } from './executors/types.js';
export { LocalExecutor, stepEnvironment, type LocalExecutorOptions } from './executors/local.js';
export type { ProcessSpec, RunnerTask, StepRuntime } from './kinds/runtime.js';
export { parseKindConfig, runnerProcess } from './kinds/runtime.js';
export { pickName, writeJsonOutput } from './kinds/task-io.js';
export { StepRuntimeRegistry, coreStepRuntimes } from './kinds/registry.js';
export { commandRuntime, splitCommand } from './kinds/command.js';
export { tsRuntime, type StepContext } from './kinds/ts.js';
export {
  canonicalJson,
  codeFilesOf,
  computeStepCacheKey,
  type CacheKeyInput,
  type StepCacheKey,
} from './run/cache-key.js';
export {
  PipelineScheduler,
  type DriveOptions,
  type PipelineSchedulerOptions,
  type StartOptions,
} from './run/scheduler.js';
export type { PipelineRunRow, PipelineRunStatus, StepExecutionRow, StepExecutionStatus } from './run/run-store.js';
export {
  PipelineService,
  type CancelOutcome,
  type DriveControl,
  type LaunchOptions,
  type LoadedPipeline,
  type PipelineServiceOptions,
  type TriggerRecord,
} from './service.js';
export type { PipelineEvent, PipelineEventListener } from './run/events.js';
export type { UpstreamStepRun } from './run/step-runs.js';
export { ExecutorRegistry, builtinExecutors, type ExecutorFactory } from './executors/registry.js';
export { RunLease, isProcessAlive, newLeaseOwner, type LeaseOptions } from './run/lease.js';
export type { PipelineRunFilter } from './run/run-store.js';
/**
 * The queries lineage walks `pipeline_runs`, `step_executions` and `step_artifacts` with, each taking the caller's
 * connection or transaction: this capability owns those tables.
 */
export {
  cachedCopiesOf,
  findPipelineRun,
  findStepExecution,
  pipelineRunsByTriggerType,
  type StepExecutionKey,
} from './run/run-store.js';
export { stepArtifactDigestKnown, stepArtifactsOf, stepRunsByDigest } from './run/step-artifact-store.js';
export { STEP_RUN_TAGS } from './run/step-attempt.js';
export {
  BullmqExecutor,
  stepJobId,
  type BullmqExecutorOptions,
  type QueueLocation,
  type ResolvedQueue,
} from './executors/bullmq.js';
export { startStepWorker, type StepWorkerHandle, type StepWorkerOptions } from './executors/bullmq-worker.js';
export { streamRunLogs, type LogChunk, type LogSource, type StreamLogsOptions } from './run/logs.js';
export { reproduceRun, type DigestComparison, type ReproduceReport } from './run/reproduce.js';
export { digestPath, folderDigest } from './run/output-digest.js';
export type { DatasetCatalog } from './run/dataset-catalog.js';
