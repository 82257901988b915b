import type { CicloContext } from '../app/context.js';
import { LocalBlobStore } from '../artifacts/index.js';
import { DatasetService } from './service.js';

export { DatasetService, type DatasetServiceOptions } from './service.js';
export { computeDiff, DatasetDiffSchema, type Change, type DatasetDiff } from './diff.js';
export { computeProfile, columnKind } from './profile.js';
export { renderProfile, sparkline } from './profile-render.js';
export { datasetRoutes } from './routes.js';
export { parseDatasetReference, type DatasetReference } from './reference.js';
export { DataEngine, formatOf, readFilesSql, sqlIdentifier, sqlString, type Cell, type DataFormat, type Row } from './duckdb.js';
export * from './records.js';
export type { ColumnSchema, DatasetResolver, DatasetVersion } from './types.js';

/**
 * The dataset service over a context's store, artifact folder and tracking service. A factory, not a
 * context field: the composition root stays as it is and each user (CLI, server) makes its own.
 */
export function datasetServiceFor(context: CicloContext): DatasetService {
  return new DatasetService({
    db: context.database.db,
    blobs: new LocalBlobStore(context.config.artifactRoot),
    tracking: context.tracking,
  });
}
