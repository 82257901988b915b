import { join } from 'node:path';
import { BlobIntegrity, LocalBlobStore, RunArtifacts, S3BlobStore, type BlobStore } from '../artifacts/index.js';
import { configEnvironment, hasNoStore, loadConfig, noStoreError, type CicloConfig } from '../common/config.js';
import { tightenHome } from '../common/private-files.js';
import { DatasetBlobReferences, DatasetService, PipelineDatasetCatalog } from '../data/index.js';
import { FeatureService, openOnlineStore } from '../features/index.js';
import { ApprovalService } from '../governance/approvals/index.js';
import { AccessControl, AuditLog, auditKeyring, withActor, type AuditKeyring } from '../governance/index.js';
import { builtinLineageRegistry, LineageService } from '../lineage/index.js';
import {
  addMonitoringLineage,
  AlertService,
  BaselineBlobReferences,
  compareOnEvaluationData,
  MonitorService,
  type BaselineService,
} from '../monitoring/index.js';
import { PipelineService, builtinExecutors } from '../pipelines/index.js';
import { addModelLineage, ModelPackageReferences, RegistryService } from '../registry/index.js';
import { openDatabase, type MetadataDatabase } from '../store/index.js';
import {
  CaptureBlobReferences,
  CaptureStore,
  DeploymentService,
  ModelLoader,
  ServingMetrics,
} from '../serving/index.js';
import { openBaselines, recordBaselineOnRegistration } from './baselines.js';
import { modelRuntimes } from './model-runtimes.js';
import { deployOnApproval } from './continuous-delivery.js';
import { projectLookups } from './project-lookups.js';
import { stepKinds, stepRuntimes } from './step-kinds.js';
import { TrackingService } from '../tracking/index.js';
import { SetupService } from '../setup/index.js';

/**
 * The composition root: one place that wires the store, the artifact store and the capabilities
 * together. The server, the CLI and the embedded SDK each open one of these.
 */
export interface CicloContext {
  readonly config: CicloConfig;
  readonly database: MetadataDatabase;
  readonly tracking: TrackingService;
  readonly datasets: DatasetService;
  /** The hash-chained log every capability appends its changes to. */
  readonly audit: AuditLog;
  /** Users, tokens, roles per project: who may do what (the server checks every route with it). */
  readonly access: AccessControl;
  readonly pipelines: PipelineService;
  /** Registered models and versions, aliases, stages, cards' data. */
  readonly registry: RegistryService;
  /** Policies, gates and approve/reject decisions over the registry's versions. */
  readonly approvals: ApprovalService;
  /**
   * Lineage graphs, with the registry's `model:` nodes and monitoring's `alert:`/`window:` nodes registered here
   * (lineage itself knows neither).
   */
  readonly lineage: LineageService;
  /** Feature views, training data, materialization and online lookup; the online store is opened on first use. */
  readonly features: FeatureService;
  /** Registered versions loaded by the model runtimes, for `ciclo serve` and deployments. */
  readonly serving: ModelLoader;
  /** Deployments as records (what should serve where, and their history); `ciclo server` runs them. */
  readonly deployments: DeploymentService;
  /** Captured requests (Parquet files in the artifact store) and the feedback joined to them. */
  readonly captures: CaptureStore;
  /** The process's Prometheus registry: serving series, and the servers' HTTP series (`/metrics`). */
  readonly metrics: ServingMetrics;
  /** `ciclo fsck` and `ciclo gc`: the blob store against every table that names its blobs. */
  readonly integrity: BlobIntegrity;
  /** Alert rules' states, history and actions (a rollback action rolls back through `deployments`). */
  readonly alerts: AlertService;
  /** Registered versions' baselines: training datasets and predictions on the evaluation set. */
  readonly baselines: BaselineService;
  /** Monitors over deployments' captured traffic, their results as time series, judged by the alert rules. */
  readonly monitors: MonitorService;
  /** `ciclo plan` / `ciclo apply` over a ciclo.yaml. */
  readonly setup: SetupService;
  close(): Promise<void>;
}

export interface ContextOptions {
  /** Given to pipeline steps as CICLO_TRACKING_URI (the server passes its own address). */
  trackingUri?: string;
}

export async function openContext(
  config: CicloConfig = loadConfig(),
  options: ContextOptions = {},
): Promise<CicloContext> {
  tightenHome(config.home);
  // First, so that a bucket that cannot be reached fails the open before the database is opened.
  const s3Blobs = await openS3BlobStore(config);
  const database = await openDatabase(config.database).catch((error: unknown) => {
    s3Blobs?.close();
    throw error;
  });
  const blobs: BlobStore = s3Blobs ?? new LocalBlobStore(config.artifactRoot);
  const audit = new AuditLog(database.db, auditKeyOptions(config));
  const runArtifacts = new RunArtifacts(database.db, blobs);
  const tracking = new TrackingService(database.db, runArtifacts, { audit });
  const datasets = new DatasetService({ db: database.db, blobs, tracking, audit });
  const trackingUri = options.trackingUri ?? config.trackingUri;
  const pipelines = new PipelineService({
    db: database.db,
    tracking,
    executors: builtinExecutors(config, stepRuntimes()),
    stepKinds: stepKinds(),
    home: config.home,
    datasets: new PipelineDatasetCatalog(datasets),
    audit,
    ...(trackingUri === undefined ? { storeEnv: configEnvironment(config) } : { trackingUri }),
  });
  const features = new FeatureService({ datasets, audit, onlineStore: () => openOnlineStore(config) });
  const access = new AccessControl({
    db: database.db,
    projects: projectLookups(database.db),
    audit,
    ...(config.tokenMaxDays === undefined ? {} : { maxTokenDays: config.tokenMaxDays }),
  });
  const registry = new RegistryService({
    db: database.db,
    tracking,
    pipelineRuns: pipelines,
    audit,
    // Called only after openContext returns, when `baselines` is set.
    onVersionRegistered: recordBaselineOnRegistration(() => baselines),
  });
  const metrics = new ServingMetrics();
  const runtimes = modelRuntimes(config);
  const deployments = new DeploymentService({ db: database.db, registry, audit, runtimes });
  const alerts = new AlertService({
    db: database.db,
    audit,
    ...(config.natsUrl === undefined ? {} : { natsUrl: config.natsUrl }),
    ...(config.redisUrl === undefined ? {} : { redisUrl: config.redisUrl }),
    rollback: async (deployment, actor, reason) => {
      await withActor({ actor }, () => deployments.rollback(deployment, reason));
    },
  });
  const serving = new ModelLoader({
    registry,
    runtimes,
    packageCache: join(config.home, 'serving', 'packages'),
    metrics,
  });
  const captures = new CaptureStore(database.db, blobs);
  const baselines = openBaselines(config, {
    db: database.db,
    blobs,
    datasets,
    registry,
    loader: serving,
    pipelines,
    audit,
  });
  const approvals = new ApprovalService({
    db: database.db,
    registry,
    audit,
    access,
    pipelineRuns: pipelines,
    deploy: deployOnApproval(deployments),
    championEvaluator: (request) => compareOnEvaluationData({ baselines, registry, loader: serving }, request),
  });
  const monitors = new MonitorService({ db: database.db, registry, deployments, captures, baselines, alerts, audit });
  return {
    config,
    database,
    tracking,
    datasets,
    audit,
    access,
    pipelines,
    registry,
    approvals,
    setup: new SetupService({ access, approvals, registry, monitors, deployments }),
    lineage: new LineageService(database.db, addMonitoringLineage(addModelLineage(builtinLineageRegistry()))),
    features,
    serving,
    metrics,
    deployments,
    captures,
    integrity: new BlobIntegrity(blobs, [
      runArtifacts,
      new DatasetBlobReferences(database.db),
      new ModelPackageReferences(database.db),
      new CaptureBlobReferences(database.db),
      new BaselineBlobReferences(database.db),
    ]),
    alerts,
    baselines,
    monitors,
    close: async () => {
      await alerts.idle();
      await baselines.settled();
      await pipelines.close();
      await features.close();
      await database.close();
      s3Blobs?.close();
    },
  };
}

/**
 * The embedded store that CICLO_HOME / CICLO_DATABASE_URL name, whatever CICLO_TRACKING_URI says:
 * for what is not served to clients by a tracking server (pipelines, datasets, features, lineage,
 * models, the audit log, access control) and for processes that read local files.
 */
export async function openLocalContext(config: CicloConfig = loadConfig()): Promise<CicloContext> {
  const { trackingUri: _ignored, ...local } = config;
  return openContext(local);
}

/**
 * The feature service for commands that read view files and their sources but write nothing
 * (`ciclo features validate`, `get-historical`): the local store is opened only when a view names a
 * dataset, so path-only views need no metadata store. `close` closes that store if it was opened.
 */
export function openViewFileFeatures(config: CicloConfig = loadConfig()): {
  features: FeatureService;
  close(): Promise<void>;
} {
  let local: Promise<CicloContext> | undefined;
  const datasets = {
    resolve: async (reference: string) => {
      // A view file is read anywhere; its dataset only from a store that exists, never one made to look in.
      if (hasNoStore(config)) throw noStoreError(`dataset ${reference}: no Ciclo store here or above to resolve it`);
      return (await (local ??= openLocalContext(config))).datasets.resolve(reference);
    },
  };
  const features = new FeatureService({ datasets, onlineStore: () => openOnlineStore(config) });
  return {
    features,
    close: async () => {
      await features.close();
      // A store that failed to open has already failed the resolve that opened it.
      await local?.then(
        (context) => context.close(),
        () => undefined,
      );
    },
  };
}

/** The S3 store CICLO_ARTIFACT_STORE names, checked reachable (HeadBucket); none when blobs stay local. */
async function openS3BlobStore(config: CicloConfig): Promise<S3BlobStore | undefined> {
  if (config.s3 === undefined) return undefined;
  return S3BlobStore.connect(config.s3, { cacheDir: join(config.home, 's3-cache') });
}

/** The audit log's keys from CICLO_AUDIT_KEY and CICLO_AUDIT_PREVIOUS_KEYS; none when no key is set. */
function auditKeyOptions(config: CicloConfig): { keyring?: AuditKeyring } {
  return config.auditKey === undefined
    ? {}
    : { keyring: auditKeyring(config.auditKey, config.auditPreviousKeys ?? []) };
}
