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
} from './definition.js';
export type { FieldPath, SourceMap } from './definition-error.js';
export { compilePipeline, type CompileOptions } from './compile.js';
export { stepDependencies, topologicalOrder, type Dependency } from './graph.js';
export { paramTypeMismatch, parseParamAssignments } from './params.js';
export {
  StepKindRegistry,
  coreStepKinds,
  type CommandConfig,
  type StepKind,
  type TsConfig,
} from './step-kinds.js';
export { definePipeline, step } from './dsl.js';
export { loadPipelineFile, loadPipelineYaml, type LoadOptions } from './yaml.js';
export { renderTemplate, type TemplateValues } from './templates.js';
export type { Executor, RunOptions, StepJob, StepProcessInfo, StepResult, StepStatus } from './executors/types.js';
export { LocalExecutor, stepEnvironment, type LocalExecutorOptions } from './executors/local.js';
export type { ProcessSpec, StepRuntime } from './kinds/runtime.js';
export { parseKindConfig } from './kinds/runtime.js';
export { StepRuntimeRegistry, coreStepRuntimes } from './kinds/registry.js';
export { commandRuntime, splitCommand } from './kinds/command.js';
export { tsRuntime, type StepContext, type StepRunContext } from './kinds/ts.js';
export { canonicalJson, codeFilesOf, computeStepCacheKey, type CacheKeyInput, type StepCacheKey } from './cache-key.js';
export {
  PipelineScheduler,
  type DriveOptions,
  type PipelineSchedulerOptions,
  type StartOptions,
} from './scheduler.js';
export type { PipelineRunRow, PipelineRunStatus, StepExecutionRow, StepExecutionStatus } from './run-store.js';
export {
  PipelineService,
  type CancelOutcome,
  type DriveControl,
  type LaunchOptions,
  type LoadedPipeline,
  type PipelineServiceOptions,
  type TriggerRecord,
} from './service.js';
export type { PipelineEvent, PipelineEventListener } from './events.js';
export { ExecutorRegistry, builtinExecutors, type ExecutorFactory } from './executors/registry.js';
export { RunLease, isProcessAlive, newLeaseOwner, type LeaseOptions } from './lease.js';
export type { PipelineRunFilter } from './run-store.js';
export {
  BullmqExecutor,
  stepJobId,
  type BullmqExecutorOptions,
  type QueueLocation,
  type ResolvedQueue,
} from './executors/bullmq.js';
export { startStepWorker, type StepWorkerHandle, type StepWorkerOptions } from './executors/bullmq-worker.js';
export { streamRunLogs, type LogChunk, type LogSource, type StreamLogsOptions } from './logs.js';
export { reproduceRun, type DigestComparison, type ReproduceReport } from './reproduce.js';
export { digestPath, folderDigest } from './output-digest.js';
export type { DatasetCatalog } from './dataset-catalog.js';
