import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { ArtifactEntry, ArtifactFile } from '../artifacts/index.js';
import type {
  CreateExperimentInput,
  CreateRunInput,
  DatasetInputSchema,
  Experiment,
  LogBatchInput,
  Metric,
  Page,
  Run,
  RunInfo,
  SearchExperimentsInput,
  SearchRunsInput,
  UpdateRunInput,
} from '../tracking/index.js';

/** A dataset a run read, as it is logged (defaults filled in by the service). */
export type DatasetInputArg = z.input<typeof DatasetInputSchema>;

/**
 * The tracking operations the SDK and CLI use, with two implementations: TrackingService itself
 * (embedded) and RemoteTrackingClient (over REST). Both throw the same domain errors, so callers
 * cannot tell which one they hold.
 */
export interface TrackingApi {
  createExperiment(input: CreateExperimentInput): Promise<Experiment>;
  getExperiment(experimentId: string): Promise<Experiment>;
  getExperimentByName(name: string): Promise<Experiment>;
  getOrCreateExperiment(name: string): Promise<Experiment>;
  searchExperiments(input?: SearchExperimentsInput): Promise<Page<Experiment>>;

  createRun(input: CreateRunInput): Promise<Run>;
  getRun(runId: string): Promise<Run>;
  updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo>;
  deleteRun(runId: string): Promise<void>;
  restoreRun(runId: string): Promise<void>;
  searchRuns(input: SearchRunsInput): Promise<Page<Run>>;

  logBatch(runId: string, input: LogBatchInput): Promise<void>;
  setTag(runId: string, key: string, value: string): Promise<void>;
  logInputs(runId: string, datasets: readonly DatasetInputArg[]): Promise<void>;
  getMetricHistory(
    runId: string,
    key: string,
    page?: { maxResults?: number | undefined; pageToken?: string | undefined },
  ): Promise<Page<Metric>>;

  logArtifactFile(runId: string, localFile: string, artifactPath: string): Promise<ArtifactFile>;
  logArtifactDirectory(runId: string, localDir: string, artifactDir: string): Promise<ArtifactFile[]>;
  listArtifacts(runId: string, dir?: string): Promise<ArtifactEntry[]>;
  /** The artifact's bytes, verified against its digest as they are read. */
  openArtifact(runId: string, path: string): Promise<Readable>;
}
