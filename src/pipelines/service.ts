import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { InvalidInputError, NotFoundError } from '../common/errors.js';
import { digestOf, type AuditLog } from '../governance/index.js';
import type { Schema } from '../store/index.js';
import type { TrackingService } from '../tracking/index.js';
import { compilePipeline } from './definition/compile.js';
import type { ParamValue, PipelineDefinition } from './definition/definition.js';
import type { DatasetCatalog } from './run/dataset-catalog.js';
import type { PipelineEventListener } from './run/events.js';
import type { ExecutorRegistry } from './executors/registry.js';
import { RunLease, type LeaseOptions } from './run/lease.js';
import {
  countActivePipelineRuns,
  findPipelineRun,
  latestStepExecutions,
  listPipelineRuns,
  listStepExecutions,
  requestPipelineRunCancel,
  type PipelineRunFilter,
  type PipelineRunRow,
  type PipelineRunStatus,
  type StepExecutionRow,
  type StepExecutionStatus,
} from './run/run-store.js';
import { PipelineScheduler } from './run/scheduler.js';
import { completedStepRuns, upstreamStepRuns, type UpstreamStepRun } from './run/step-runs.js';
import { coreStepKinds, type StepKindRegistry } from './definition/step-kinds.js';
import { loadPipelineFile } from './definition/yaml.js';

export interface PipelineServiceOptions {
  db: Kysely<Schema>;
  tracking: TrackingService;
  executors: ExecutorRegistry;
  /** CICLO_HOME: step logs and outputs go under `<home>/pipelines/<pipeline run id>/`. */
  home: string;
  /** Passed to steps as CICLO_TRACKING_URI so they can log over REST. */
  trackingUri?: string;
  /** Variables that point steps' SDK at this store when there is no tracking URI (`configEnvironment`). */
  storeEnv?: Record<string, string>;
  stepKinds?: StepKindRegistry;
  lease?: LeaseOptions;
  /** Registered datasets, for `datasets.NAME@v` inputs and `register:` outputs. */
  datasets?: DatasetCatalog;
  /** Started runs and cancel requests are appended here, in the transactions that record them. */
  audit?: AuditLog;
}

/** A compiled pipeline and the folder its steps run in. */
export interface LoadedPipeline {
  definition: PipelineDefinition;
  /** The steps' working directory; relative code files and paths are read from here. */
  workDir: string;
  /** The file it was loaded from, if any; recorded on runs for `reproduce`. */
  file?: string;
}

/** What started a run, recorded on it; absent when a person started it. */
export interface TriggerRecord {
  name: string;
  type: string;
  payload?: unknown;
}

export interface LaunchOptions {
  params?: Record<string, ParamValue>;
  /** One of `definition.environments`, overlaid on the definition. */
  env?: string;
  noCache?: boolean;
  trigger?: TriggerRecord;
  /** Set by `reproduce`: the run this one re-executes. */
  reproduces?: string;
}

export interface DriveControl {
  /** Aborting cancels the run. */
  signal?: AbortSignal;
  onEvent?: PipelineEventListener;
}

export type CancelOutcome = 'requested' | 'cancelled' | 'already-finished';

const FINISHED: ReadonlySet<PipelineRunStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/**
 * The pipelines capability as the CLI, the server, the triggers and the SDK use it: load a pipeline,
 * start and drive runs (one driver per run, through a lease), cancel from anywhere, resume, read.
 */
export class PipelineService {
  readonly scheduler: PipelineScheduler;
  /** CICLO_HOME: step folders, and scratch space such as `reproduce`'s checkouts. */
  readonly home: string;
  readonly #db: Kysely<Schema>;
  readonly #executors: ExecutorRegistry;
  readonly #stepKinds: StepKindRegistry;
  readonly #lease: LeaseOptions;
  readonly #audit: AuditLog | undefined;

  constructor(options: PipelineServiceOptions) {
    this.#db = options.db;
    this.#executors = options.executors;
    this.#stepKinds = options.stepKinds ?? coreStepKinds();
    this.#lease = options.lease ?? {};
    this.#audit = options.audit;
    this.home = options.home;
    this.scheduler = new PipelineScheduler({
      db: options.db,
      tracking: options.tracking,
      home: options.home,
      ...(options.trackingUri === undefined ? {} : { trackingUri: options.trackingUri }),
      ...(options.storeEnv === undefined ? {} : { storeEnv: options.storeEnv }),
      ...(options.datasets === undefined ? {} : { datasets: options.datasets }),
      ...(options.audit === undefined ? {} : { audit: options.audit }),
    });
  }

  /**
   * Steps started from now on log to this server (CICLO_TRACKING_URI), with this token (CICLO_TOKEN) when it needs one.
   */
  setStepTrackingUri(uri: string, token?: string): void {
    this.scheduler.setTrackingUri(uri, token);
  }

  get stepKinds(): StepKindRegistry {
    return this.#stepKinds;
  }

  /**
   * Loads `pipeline.yaml` (or `.yml`), or a TypeScript/JavaScript module whose default export is
   * a `definePipeline(...)` result; a folder means its `pipeline.yaml`. The steps run in the file's folder.
   */
  async load(file: string): Promise<LoadedPipeline> {
    let resolved = path.resolve(file);
    const info = await stat(resolved).catch(() => undefined);
    if (!info) throw new NotFoundError(`pipeline file ${file} does not exist`, { where: file });
    if (info.isDirectory()) resolved = path.join(resolved, 'pipeline.yaml');
    const definition = /\.(c|m)?(t|j)s$/.test(resolved)
      ? await this.#loadModule(resolved)
      : await loadPipelineFile(resolved, { registry: this.#stepKinds });
    const workDir = path.dirname(resolved);
    for (const step of definition.steps) {
      await this.#stepKinds.get(step.kind).check?.(step.config, { name: step.name, workDir });
    }
    return { definition, workDir, file: resolved };
  }

  /** Records a new run, every step PENDING; `drive` runs it. */
  async start(pipeline: LoadedPipeline, options: LaunchOptions = {}): Promise<string> {
    const executor =
      options.env === undefined
        ? pipeline.definition.executor
        : (pipeline.definition.environments[options.env]?.executor ?? pipeline.definition.executor);
    if (!this.#executors.has(executor)) {
      throw new InvalidInputError(
        `pipeline "${pipeline.definition.name}" asks for the unknown executor "${executor}"`,
        {
          where: options.env === undefined ? 'executor' : `environments.${options.env}.executor`,
          hint: `known executors: ${this.#executors.names().join(', ')}`,
        },
      );
    }
    return this.scheduler.start(pipeline.definition, {
      workDir: pipeline.workDir,
      ...(pipeline.file === undefined ? {} : { sourceFile: pipeline.file }),
      ...options,
    });
  }

  /** Drives a run to its end while holding its lease; refused while another driver holds it. */
  async drive(pipelineRunId: string, control: DriveControl = {}): Promise<PipelineRunStatus> {
    const row = await this.#require(pipelineRunId);
    if (FINISHED.has(row.status)) return row.status;
    const executor = this.#executors.get(row.executor);
    const lease = await RunLease.acquire(this.#db, pipelineRunId, this.#lease);
    try {
      const signal = control.signal ? AbortSignal.any([control.signal, lease.cancelSignal]) : lease.cancelSignal;
      return await this.scheduler.drive(pipelineRunId, {
        executor,
        signal,
        ...(control.onEvent ? { onEvent: control.onEvent } : {}),
      });
    } finally {
      await lease.release();
    }
  }

  /** `start` then `drive`. */
  async run(
    pipeline: LoadedPipeline,
    options: LaunchOptions & DriveControl = {},
  ): Promise<{ pipelineRunId: string; status: PipelineRunStatus }> {
    const { signal, onEvent, ...launch } = options;
    const pipelineRunId = await this.start(pipeline, launch);
    const status = await this.drive(pipelineRunId, { ...(signal ? { signal } : {}), ...(onEvent ? { onEvent } : {}) });
    return { pipelineRunId, status };
  }

  /** Gives failed, cancelled and skipped steps a new attempt and drives the run again. */
  async resume(pipelineRunId: string, control: DriveControl = {}): Promise<PipelineRunStatus> {
    const row = await this.#require(pipelineRunId);
    if (row.status === 'SUCCEEDED') return row.status;
    const lease = await RunLease.acquire(this.#db, pipelineRunId, this.#lease);
    await lease.release();
    await this.scheduler.prepareResume(pipelineRunId);
    return this.drive(pipelineRunId, control);
  }

  /**
   * Asks the run's driver to cancel it; the driver sees the request within a lease renewal. A run
   * nobody drives (its orchestrator died, or it was never driven) is cancelled here and now.
   */
  async requestCancel(pipelineRunId: string): Promise<CancelOutcome> {
    const row = await this.#require(pipelineRunId);
    if (FINISHED.has(row.status)) return 'already-finished';
    await this.#db.transaction().execute(async (trx) => {
      await requestPipelineRunCancel(trx, pipelineRunId);
      await this.#audit?.append(
        {
          action: 'pipeline.run.cancel',
          target: { type: 'pipeline_run', id: pipelineRunId },
          beforeDigest: digestOf({ id: pipelineRunId, status: row.status, cancel_requested: row.cancel_requested }),
          afterDigest: digestOf({ id: pipelineRunId, status: row.status, cancel_requested: 1 }),
          details: { pipeline: row.pipeline_name, status: row.status },
        },
        trx,
      );
    });
    let lease: RunLease;
    try {
      lease = await RunLease.acquire(this.#db, pipelineRunId, this.#lease);
    } catch {
      return 'requested';
    }
    try {
      await this.scheduler.drive(pipelineRunId, {
        executor: this.#executors.get(row.executor),
        signal: AbortSignal.abort(),
      });
    } finally {
      await lease.release();
    }
    return 'cancelled';
  }

  async getRun(pipelineRunId: string): Promise<{ run: PipelineRunRow; steps: StepExecutionRow[] }> {
    return { run: await this.#require(pipelineRunId), steps: await listStepExecutions(this.#db, pipelineRunId) };
  }

  /**
   * Each step's kind and its latest attempt's status (approvals' data-validation gate reads these); empty for an
   * unknown run.
   */
  async stepOutcomes(pipelineRunId: string): Promise<{ name: string; kind: string; status: StepExecutionStatus }[]> {
    const run = await findPipelineRun(this.#db, pipelineRunId);
    if (run === undefined) return [];
    const { steps } = JSON.parse(run.definition) as { steps: { name: string; kind: string }[] };
    const latest = await latestStepExecutions(this.#db, pipelineRunId);
    return steps.map((step) => ({
      name: step.name,
      kind: step.kind,
      status: latest.get(step.name)?.status ?? 'PENDING',
    }));
  }

  /** Whether the id is a pipeline run's (whose tracked run has the same id); the registry records it as lineage. */
  async hasRun(pipelineRunId: string): Promise<boolean> {
    return (await findPipelineRun(this.#db, pipelineRunId)) !== undefined;
  }

  /** The inputs of a step that other steps produced, with where those steps logged (a `register` step's evidence). */
  async upstreamStepRuns(pipelineRunId: string, stepName: string): Promise<UpstreamStepRun[]> {
    return upstreamStepRuns(this.#db, pipelineRunId, stepName);
  }

  /** The tracked runs of the run's succeeded and cached attempts (a cache hit: the run it reused), each once. */
  async completedStepRuns(pipelineRunId: string): Promise<string[]> {
    return completedStepRuns(this.#db, pipelineRunId);
  }

  async listRuns(filter: PipelineRunFilter = {}): Promise<PipelineRunRow[]> {
    return listPipelineRuns(this.#db, filter);
  }

  /** Runs of the pipeline that are PENDING or RUNNING (for triggers' queueing). */
  async countActiveRuns(pipelineName: string): Promise<number> {
    return countActivePipelineRuns(this.#db, pipelineName);
  }

  /** The log file of a step's attempt (stdout and stderr, as the step wrote them). */
  logFile(pipelineRunId: string, stepName: string, attempt: number): string {
    return path.join(this.scheduler.stepFolder(pipelineRunId, stepName), `${attempt}.log`);
  }

  async close(): Promise<void> {
    await this.#executors.close();
  }

  async #require(pipelineRunId: string): Promise<PipelineRunRow> {
    const row = await findPipelineRun(this.#db, pipelineRunId);
    if (!row) throw new NotFoundError(`no pipeline run ${pipelineRunId}`, { where: 'pipeline_run_id' });
    return row;
  }

  async #loadModule(file: string): Promise<PipelineDefinition> {
    const { tsImport } = await import('tsx/esm/api');
    const module = (await tsImport(file, import.meta.url)) as { default?: unknown };
    // A .ts file outside an ESM package is loaded as CommonJS, which nests the default export once more.
    const outer = module.default as { default?: unknown } | undefined;
    const exported = [outer?.default, outer].find((candidate) =>
      Array.isArray((candidate as { steps?: unknown })?.steps),
    );
    if (exported === undefined) {
      throw new InvalidInputError(`${file} has no default export of a pipeline`, {
        where: file,
        hint: 'export default definePipeline({ name, steps: [...] })',
      });
    }
    // definePipeline returns a compiled definition; a plain object is compiled here.
    return isCompiled(exported) ? exported : compilePipeline(exported, { registry: this.#stepKinds });
  }
}

function isCompiled(value: unknown): value is PipelineDefinition {
  const steps = (value as { steps?: unknown } | null)?.steps;
  return Array.isArray(steps) && steps.every((step) => typeof (step as { config?: unknown })?.config === 'object');
}
