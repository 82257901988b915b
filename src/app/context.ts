import { LocalBlobStore, RunArtifacts } from '../artifacts/index.js';
import { loadConfig, type CicloConfig } from '../common/config.js';
import { openDatabase, type MetadataDatabase } from '../store/index.js';
import { TrackingService } from '../tracking/index.js';

/**
 * The composition root: one place that wires the store, the artifact store and the capabilities
 * together. The server, the CLI and the embedded SDK each open one of these.
 */
export interface CicloContext {
  readonly config: CicloConfig;
  readonly database: MetadataDatabase;
  readonly tracking: TrackingService;
  close(): Promise<void>;
}

export async function openContext(config: CicloConfig = loadConfig()): Promise<CicloContext> {
  const database = await openDatabase(config.database);
  const blobs = new LocalBlobStore(config.artifactRoot);
  const tracking = new TrackingService(database.db, new RunArtifacts(database.db, blobs));
  return { config, database, tracking, close: () => database.close() };
}
