/**
 * Datasets: immutable versions of CSV/Parquet/JSON Lines files with schema and profile (`datasets`,
 * `dataset_versions`), expectations, the data step kinds and the catalog pipelines read datasets through (DuckDB).
 */
export { DatasetService, type DatasetServiceOptions } from './service.js';
export { computeDiff, DatasetDiffSchema, type Change, type DatasetDiff } from './diff.js';
export { computeProfile, columnKind } from './profile.js';
export { evaluateFile, evaluateTable } from './evaluate-table.js';
export { datasetRoutes } from './routes.js';
export { parseDatasetReference, type DatasetReference } from './reference.js';
/** A dataset's project, which access control judges requests by; takes the caller's connection. */
export { datasetProject } from './dataset-store.js';
/** Registered versions of a dataset (digest, number, time), which the `dataset` trigger watches. */
export { registeredDatasetVersions, type RegisteredDatasetVersion } from './dataset-store.js';
export {
  cellText,
  DataEngine,
  formatOf,
  readFilesSql,
  sqlIdentifier,
  sqlString,
  type Cell,
  type DataFormat,
  type Row,
} from './duckdb.js';
export * from './records.js';
export type { ColumnSchema, DatasetResolver, DatasetVersion } from './types.js';

export { PipelineDatasetCatalog } from './pipeline-catalog.js';
export { DatasetBlobReferences } from './blob-references.js';
export {
  loadSuiteFile,
  renderReportJson,
  renderReportText,
  runSuite,
  type ExpectationResult,
  type Suite,
  type SuiteReport,
} from './expectations/index.js';
/** The data step kinds and their runtimes, which the composition root adds to the pipelines' registries. */
export { registerDataStepKinds } from './steps/kinds.js';
export { registerDataStepRuntimes, type DataStepTask } from './steps/runtime.js';
/** A data step itself, which its process (src/runners/data-step.ts) runs. */
export { runDataStep, type LogStepMetrics } from './steps/run-step.js';
