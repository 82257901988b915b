/**
 * Experiment tracking: experiments, runs, params, metrics, tags, dataset inputs and artifacts (`experiments`,
 * `experiment_tags`, `runs`, `params`, `metrics`, `latest_metrics`, `tags`, `run_inputs`), search and REST routes.
 */
export { TrackingService } from './service.js';
export { captureCodeVersion, codeVersionTags, pickCodeVersionTags, type CodeVersion } from './code-version.js';
export { captureEnvironment, environmentTags, type RuntimeEnvironment } from './environment.js';
export * from './types.js';
export { trackingRoutes } from './routes.js';
export {
  batchToWire,
  camelKeys,
  metricFromWire,
  pageFromWire,
  runFromWire,
  snakeKeys,
  type WireArtifactEntry,
  type WireArtifactFile,
  type WireExperiment,
  type WireMetric,
  type WirePage,
  type WireRun,
  type WireRunInfo,
} from './native-wire.js';
export { mlflowRoutes } from './mlflow/routes.js';
/**
 * Reads of runs, their tags and their dataset inputs for lineage and the triggers, and the projects of experiments
 * and runs for access control, each taking the caller's connection.
 */
export { childRunIds, findRunRow, findTags, projectOfRun, type RunRow } from './run-store.js';
export { projectOfExperiment, projectOfExperimentNamed } from './experiment-store.js';
export {
  datasetDigests,
  datasetsOfRun,
  loggedDatasetVersions,
  runsUsingDataset,
  type LoggedDatasetVersion,
} from './input-store.js';
