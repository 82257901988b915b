/** The public TypeScript SDK: `import { Ciclo } from 'ciclo'`. */
export { Ciclo, type ConnectOptions, type StartRunOptions } from './ciclo.js';
export { ActiveRun, type EndStatus, type ParamValue } from './active-run.js';
export { RemoteTrackingClient } from './remote-client.js';
export type { DatasetInputArg, TrackingApi } from './tracking-api.js';
export type { CicloConfig } from '../common/config.js';
export { loadConfig } from '../common/config.js';
export {
  AlreadyExistsError,
  CicloError,
  CorruptArtifactError,
  CorruptDatasetError,
  describeError,
  InvalidInputError,
  InvalidStateError,
  NotFoundError,
  PermissionDeniedError,
  UnauthenticatedError,
  type ErrorCode,
  type ErrorDetails,
} from '../common/errors.js';
export type { ArtifactEntry, ArtifactFile } from '../artifacts/index.js';
export {
  LIMITS,
  RUN_STATUSES,
  SYSTEM_TAGS,
  type CreateExperimentInput,
  type CreateRunInput,
  type DatasetInput,
  type Experiment,
  type LifecycleStage,
  type LogBatchInput,
  type Metric,
  type MetricInput,
  type Page,
  type Run,
  type RunInfo,
  type RunStatus,
  type SearchExperimentsInput,
  type SearchRunsInput,
  type UpdateRunInput,
  type ViewType,
} from '../tracking/index.js';
/** Pipelines as code: `export default definePipeline({...})`, and the context a `ts` step receives. */
export { definePipeline } from './define-pipeline.js';
export {
  step,
  type PipelineDefinition,
  type PipelineInput,
  type StepContext,
  type StepInput,
  type StepSpec,
} from '../pipelines/index.js';
export type { StepRunContext } from './step-context.js';
export { FeatureClient, type FeatureClientOptions } from './feature-client.js';
export type { OnlineLookupRequest, OnlineLookupResponse } from '../features/index.js';
// Writing a model package (docs/model-format.md) from a training step or script.
export {
  MANIFEST_FILE,
  loadModelPackage,
  writeManifest,
  type ManifestFields,
  type ModelManifest,
  type ModelSignature,
} from '../registry/index.js';
