import { hostname } from 'node:os';
import path from 'node:path';
import type { Insertable, Kysely } from 'kysely';
import { sha256Digest } from '../../artifacts/index.js';
import { InvalidStateError, NotFoundError } from '../../common/errors.js';
import { digestOf, type AuditLog } from '../../governance/index.js';
import type { PipelineRunsTable, Schema } from '../../store/index.js';
import {
  captureCodeVersion,
  codeVersionTags,
  pickCodeVersionTags,
  type RunStatus,
  type TrackingService,
} from '../../tracking/index.js';
import { canonicalJson } from './cache-key.js';
import type { DatasetCatalog } from './dataset-catalog.js';
import type { ParamValue, PipelineDefinition } from '../definition/definition.js';
import type { PipelineEvent, PipelineEventListener } from './events.js';
import type { Executor } from '../executors/types.js';
import { stepDependencies, topologicalOrder } from '../definition/graph.js';
import { isProcessAlive } from './lease.js';
import {
  findPipelineRun,
  insertPendingAttempt,
  insertPipelineRun,
  latestStepExecution,
  latestStepExecutions,
  listStepExecutions,
  reopenPipelineRun,
  setPipelineRunStatus,
  updateStepExecution,
  type PipelineRunRow,
  type PipelineRunStatus,
  type StepExecutionKey,
  type StepExecutionRow,
  type StepExecutionStatus,
} from './run-store.js';
import { resolveParams, withEnvironment } from './run-setup.js';
import type { TriggerRecord } from '../service.js';
import { StepAttempt, endTrackedRun, type RunPlan, type StepAttemptDeps } from './step-attempt.js';

export interface PipelineSchedulerOptions {
  db: Kysely<Schema>;
  tracking: TrackingService;
  /** CICLO_HOME: step logs and outputs go under `<home>/pipelines/<pipeline run id>/`. */
  home: string;
  /** Passed to steps as CICLO_TRACKING_URI so they can log over REST. */
  trackingUri?: string;
  /** Variables that point steps' SDK at this store when there is no tracking URI (`configEnvironment`). */
  storeEnv?: Record<string, string>;
  /** Registered datasets, for `datasets.NAME@v` inputs and `register:` outputs. */
  datasets?: DatasetCatalog;
  /** A started run is appended here, in the transaction that records it. */
  audit?: AuditLog;
  now?: () => number;
}

export interface StartOptions {
  params?: Record<string, ParamValue>;
  /** The pipeline's folder: the steps' working directory and where code files are found. */
  workDir: string;
  /** The name of one of `definition.environments`, overlaid on the definition. */
  env?: string;
  /** What started the run and its payload; recorded, never interpreted here. */
  trigger?: TriggerRecord;
  /** The pipeline file, recorded for `reproduce`. */
  sourceFile?: string;
  /** The run this one re-executes (`ciclo pipeline reproduce`). */
  reproduces?: string;
  /** Run every step even when an earlier execution with the same cache key succeeded. */
  noCache?: boolean;
}

export interface DriveOptions {
  executor: Executor;
  /** Aborting cancels the run: running steps are ended, the rest are marked CANCELLED. */
  signal?: AbortSignal;
  onEvent?: PipelineEventListener;
}

const DEFAULT_PARALLELISM = 4;
const DONE: ReadonlySet<StepExecutionStatus> = new Set(['SUCCEEDED', 'CACHED']);
const ENDED_BADLY: ReadonlySet<StepExecutionStatus> = new Set(['FAILED', 'SKIPPED', 'CANCELLED']);
const FINISHED_RUN: ReadonlySet<PipelineRunStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
const TRACKED_STATUS: Record<'SUCCEEDED' | 'FAILED' | 'CANCELLED', RunStatus> = {
  SUCCEEDED: 'FINISHED',
  FAILED: 'FAILED',
  CANCELLED: 'KILLED',
};

/**
 * Decides what runs next and records every decision in the metadata store before acting on it; the
 * executor only runs the step it is given. Because the store is the only state, `drive` can pick up
 * a run whose orchestrator died: a step row left RUNNING is an interrupted attempt and runs again,
 * finished steps never do.
 */
export class PipelineScheduler {
  readonly #db: Kysely<Schema>;
  readonly #tracking: TrackingService;
  readonly #home: string;
  #trackingUri: string | undefined;
  #trackingToken: string | undefined;
  readonly #storeEnv: Record<string, string> | undefined;
  readonly #datasets: DatasetCatalog | undefined;
  readonly #audit: AuditLog | undefined;
  readonly #now: () => number;

  constructor(options: PipelineSchedulerOptions) {
    this.#db = options.db;
    this.#tracking = options.tracking;
    this.#home = options.home;
    this.#trackingUri = options.trackingUri;
    this.#storeEnv = options.storeEnv;
    this.#datasets = options.datasets;
    this.#audit = options.audit;
    this.#now = options.now ?? Date.now;
  }

  /** Records a new run of a compiled definition, every step PENDING, and returns its id. */
  async start(definition: PipelineDefinition, options: StartOptions): Promise<string> {
    const effective = await this.#pinDatasets(withEnvironment(definition, options.env));
    const params = resolveParams(effective, options.params ?? {});
    const workDir = path.resolve(options.workDir);
    const code = await captureCodeVersion(workDir);
    const experiment = await this.#experimentOf(definition);
    const run = await this.#tracking.createRun({
      experimentId: experiment.experimentId,
      runName: definition.name,
      tags: {
        ...codeVersionTags(code),
        'ciclo.pipeline.name': definition.name,
        'ciclo.pipeline.executor': effective.executor,
        ...(options.env === undefined ? {} : { 'ciclo.pipeline.environment': options.env }),
        ...(options.trigger === undefined ? {} : { 'ciclo.pipeline.trigger': options.trigger.name }),
        ...(options.reproduces === undefined ? {} : { 'ciclo.pipeline.reproduces': options.reproduces }),
      },
    });
    const id = run.info.runId;
    await this.#tracking.logBatch(id, {
      params: Object.entries(params).map(([key, value]) => ({ key, value: String(value) })),
    });
    await this.#tracking.updateRun(id, { status: 'SCHEDULED' });
    const definitionJson = canonicalJson(effective);
    const now = this.#now();
    const row: Insertable<PipelineRunsTable> = {
      id,
      pipeline_name: definition.name,
      definition: definitionJson,
      definition_digest: sha256Digest(definitionJson),
      params: JSON.stringify(params),
      work_dir: workDir,
      environment: options.env ?? null,
      trigger: options.trigger === undefined ? null : JSON.stringify(options.trigger),
      trigger_name: options.trigger?.name ?? null,
      no_cache: options.noCache ? 1 : 0,
      executor: effective.executor,
      source_file: options.sourceFile === undefined ? null : path.resolve(options.sourceFile),
      git_commit: code?.commit ?? null,
      project: definition.project,
      reproduces_run_id: options.reproduces ?? null,
      lease_owner: null,
      lease_expires_at: null,
      status: 'PENDING',
      created_time: now,
      updated_time: now,
    };
    // The run, its PENDING steps and its audit entry commit together.
    await this.#db.transaction().execute(async (trx) => {
      await insertPipelineRun(
        trx,
        row,
        effective.steps.map((step) => step.name),
      );
      await this.#audit?.append(
        {
          action: 'pipeline.run.start',
          target: { type: 'pipeline_run', id },
          beforeDigest: null,
          afterDigest: digestOf(row),
          details: {
            pipeline: definition.name,
            trigger: options.trigger === undefined ? null : { name: options.trigger.name, type: options.trigger.type },
            ...(options.reproduces === undefined ? {} : { reproduces: options.reproduces }),
          },
        },
        trx,
      );
    });
    return id;
  }

  /** Runs the pipeline run until every step has ended; returns the run's final status. */
  async drive(pipelineRunId: string, options: DriveOptions): Promise<PipelineRunStatus> {
    const row = await this.#requireRun(pipelineRunId);
    if (FINISHED_RUN.has(row.status)) return row.status;
    const plan = await this.#plan(row);
    const emit = safeListener(options.onEvent);
    await this.#recoverInterrupted(pipelineRunId);
    await setPipelineRunStatus(this.#db, pipelineRunId, 'RUNNING', this.#now());
    await this.#tracking.updateRun(pipelineRunId, { status: 'RUNNING' });
    emit({ type: 'run', pipelineRunId, status: 'RUNNING' });
    const deps: StepAttemptDeps = {
      db: this.#db,
      tracking: this.#tracking,
      now: this.#now,
      stepFolder: (runId, stepName) => this.stepFolder(runId, stepName),
      trackingUri: this.#trackingUri,
      trackingToken: this.#trackingToken,
      storeEnv: this.#storeEnv,
      home: this.#home,
      datasets: this.#datasets,
      emit,
    };

    const cancel = options.signal ?? new AbortController().signal;
    const halt = new AbortController();
    const stepSignal = AbortSignal.any([halt.signal, cancel]);
    const order = topologicalOrder(plan.definition);
    const parallelism = plan.definition.parallelism ?? DEFAULT_PARALLELISM;
    const running = new Map<string, Promise<void>>();
    const latest = await latestStepExecutions(this.#db, pipelineRunId);
    // Steps whose attempt ended since the last look: only their rows are read again.
    const ended: string[] = [];
    let failed = [...latest.values()].some((execution) => execution.status === 'FAILED');

    for (;;) {
      if (cancel.aborted || (plan.definition.failFast && failed)) halt.abort();
      let wakeAt: number | undefined;
      if (!halt.signal.aborted) {
        for (const step of order) {
          if (running.size >= parallelism) break;
          const current = latest.get(step.name)!;
          if (current.status !== 'PENDING' || running.has(step.name)) continue;
          const upstream = stepDependencies(step).map((dependency) => latest.get(dependency.on)!.status);
          if (upstream.some((status) => ENDED_BADLY.has(status))) {
            const skipped = { ...current, status: 'SKIPPED' as const, error: 'an upstream step did not succeed' };
            await updateStepExecution(this.#db, keyOf(current), { status: 'SKIPPED', error: skipped.error });
            latest.set(step.name, skipped);
            emit({
              type: 'step',
              pipelineRunId,
              stepName: step.name,
              attempt: current.attempt,
              status: 'SKIPPED',
              error: skipped.error,
            });
            continue;
          }
          if (!upstream.every((status) => DONE.has(status))) continue;
          if (current.next_attempt_at !== null && current.next_attempt_at > this.#now()) {
            wakeAt = Math.min(wakeAt ?? Infinity, current.next_attempt_at);
            continue;
          }
          const execution = new StepAttempt(deps, plan, step, current.attempt)
            .run(options.executor, stepSignal)
            .then((outcome) => {
              if (outcome === 'failed') failed = true;
            })
            .finally(() => ended.push(step.name));
          running.set(step.name, execution);
        }
      }
      if (running.size === 0 && (halt.signal.aborted || wakeAt === undefined)) break;
      await waitForChange(running.values(), wakeAt === undefined ? undefined : wakeAt - this.#now(), stepSignal);
      // A step leaves `running` only once its row is read again: until then its state in `latest` is
      // the PENDING it started from, and the loop must not start it a second time.
      for (const name of ended.splice(0)) {
        const row = await latestStepExecution(this.#db, pipelineRunId, name);
        if (row) latest.set(name, row);
        running.delete(name);
      }
    }

    return this.#finish(pipelineRunId, cancel.aborted, emit);
  }

  /**
   * Makes a finished run runnable again: steps that FAILED, were CANCELLED or SKIPPED get a new
   * PENDING attempt (with a fresh retry budget); SUCCEEDED and CACHED steps stay as they are.
   * The caller drives it afterwards.
   */
  async prepareResume(pipelineRunId: string): Promise<void> {
    const row = await this.#requireRun(pipelineRunId);
    if (row.status === 'SUCCEEDED') return;
    await this.#db.transaction().execute(async (trx) => {
      for (const execution of (await latestStepExecutions(trx, pipelineRunId)).values()) {
        if (!ENDED_BADLY.has(execution.status)) continue;
        if (execution.started_time === null) {
          // It never started: the same attempt becomes runnable again rather than a new one.
          await updateStepExecution(trx, keyOf(execution), { status: 'PENDING', error: null, next_attempt_at: null });
        } else {
          await insertPendingAttempt(trx, pipelineRunId, execution.step_name, execution.attempt + 1, null);
        }
      }
      await reopenPipelineRun(trx, pipelineRunId, this.#now());
    });
  }

  /** `prepareResume` then `drive`, for callers that hold the run otherwise (tests). */
  async resume(pipelineRunId: string, options: DriveOptions): Promise<PipelineRunStatus> {
    await this.prepareResume(pipelineRunId);
    return this.drive(pipelineRunId, options);
  }

  async getRun(pipelineRunId: string): Promise<{ run: PipelineRunRow; steps: StepExecutionRow[] }> {
    return { run: await this.#requireRun(pipelineRunId), steps: await listStepExecutions(this.#db, pipelineRunId) };
  }

  /**
   * `datasets.NAME` inputs become `datasets.NAME@<latest version>` in the recorded definition, so a
   * resumed or reproduced run reads the same data however many versions were registered since.
   */
  async #pinDatasets(definition: PipelineDefinition): Promise<PipelineDefinition> {
    const uses = definition.steps.some((step) =>
      Object.values(step.inputs).some((reference) => reference.from === 'dataset'),
    );
    if (!uses) return definition;
    const catalog = this.#datasets;
    if (!catalog) {
      throw new InvalidStateError(
        `pipeline "${definition.name}" reads registered datasets, but no dataset catalog is configured`,
        {
          hint: 'run it through a Ciclo context (the CLI, the server or openContext), which provides one',
        },
      );
    }
    const steps = [];
    for (const step of definition.steps) {
      const inputs: typeof step.inputs = {};
      for (const [name, reference] of Object.entries(step.inputs)) {
        inputs[name] =
          reference.from === 'dataset' ? { from: 'dataset', dataset: await catalog.pin(reference.dataset) } : reference;
      }
      steps.push({ ...step, inputs });
    }
    return { ...definition, steps };
  }

  /** Steps started from now on get this as CICLO_TRACKING_URI (a server that came up after the scheduler). */
  setTrackingUri(uri: string, token?: string): void {
    this.#trackingUri = uri;
    this.#trackingToken = token;
  }

  /** Where a step's attempt logs and outputs live. */
  stepFolder(pipelineRunId: string, stepName: string): string {
    return path.join(this.#home, 'pipelines', pipelineRunId, stepName);
  }

  async #requireRun(pipelineRunId: string): Promise<PipelineRunRow> {
    const row = await findPipelineRun(this.#db, pipelineRunId);
    if (!row) throw new NotFoundError(`no pipeline run ${pipelineRunId}`, { where: 'pipeline_run_id' });
    return row;
  }

  /**
   * The experiment named after the pipeline, in the pipeline's project (created there when
   * missing). One of that name in another project is not logged into: it is another project's.
   */
  async #experimentOf(definition: PipelineDefinition) {
    const experiment = await this.#tracking.getOrCreateExperiment(definition.name, definition.project);
    if (experiment.project !== definition.project) {
      throw new InvalidStateError(
        `pipeline ${definition.name} belongs to project '${definition.project}', ` +
          `but the experiment '${definition.name}' its runs go into is in project '${experiment.project}'`,
        {
          where: 'project',
          hint:
            `Set \`project: ${experiment.project}\` in the pipeline, rename the pipeline, ` +
            `or have an admin move the experiment: ` +
            `ciclo experiments move ${experiment.experimentId} --project ${definition.project}`,
        },
      );
    }
    return experiment;
  }

  async #plan(row: PipelineRunRow): Promise<RunPlan> {
    const tracked = await this.#tracking.getRun(row.id);
    return {
      id: row.id,
      project: row.project,
      definition: JSON.parse(row.definition) as PipelineDefinition,
      params: JSON.parse(row.params) as Record<string, ParamValue>,
      workDir: row.work_dir,
      noCache: row.no_cache === 1,
      experimentId: tracked.info.experimentId,
      // The pipeline run's git tags, on each step's run too: a model registered from a step names its commit.
      codeTags: pickCodeVersionTags(tracked.data.tags),
    };
  }

  /**
   * A RUNNING row at the start of a drive belongs to an orchestrator that died: nothing else drives
   * the run (one orchestrator per run is the caller's to ensure). Its attempt runs again, under a
   * new tracked run; the old tracked run is marked KILLED.
   */
  async #recoverInterrupted(pipelineRunId: string): Promise<void> {
    for (const execution of (await latestStepExecutions(this.#db, pipelineRunId)).values()) {
      if (execution.status !== 'RUNNING') continue;
      killOrphan(execution);
      if (execution.run_id !== null) await endTrackedRun(this.#tracking, execution.run_id, 'KILLED');
      await updateStepExecution(this.#db, keyOf(execution), {
        status: 'PENDING',
        run_id: null,
        started_time: null,
        error: null,
        process_id: null,
        process_host: null,
        worker: null,
      });
    }
  }

  async #finish(pipelineRunId: string, cancelled: boolean, emit: PipelineEventListener): Promise<PipelineRunStatus> {
    const latest = [...(await latestStepExecutions(this.#db, pipelineRunId)).values()];
    for (const execution of latest) {
      if (execution.status !== 'PENDING') continue;
      await updateStepExecution(this.#db, keyOf(execution), {
        status: cancelled ? 'CANCELLED' : 'SKIPPED',
        error: cancelled ? 'the pipeline run was cancelled' : 'the pipeline stopped at the first failure',
      });
    }
    const status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED' = cancelled
      ? 'CANCELLED'
      : latest.every((execution) => DONE.has(execution.status))
        ? 'SUCCEEDED'
        : 'FAILED';
    await setPipelineRunStatus(this.#db, pipelineRunId, status, this.#now());
    await endTrackedRun(this.#tracking, pipelineRunId, TRACKED_STATUS[status]);
    emit({ type: 'run', pipelineRunId, status });
    return status;
  }
}

function keyOf(execution: StepExecutionRow): StepExecutionKey {
  return { pipelineRunId: execution.pipeline_run_id, stepName: execution.step_name, attempt: execution.attempt };
}

/** Resolves when a running step ends, the delay passes, or the signal aborts. */
async function waitForChange(
  running: Iterable<Promise<void>>,
  delayMs: number | undefined,
  signal: AbortSignal,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const wakes: Promise<unknown>[] = [...running];
  if (delayMs !== undefined) wakes.push(new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, delayMs)))));
  if (!signal.aborted) {
    wakes.push(
      new Promise<void>((resolve) => {
        onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    );
  }
  try {
    await Promise.race(wakes);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/**
 * A step process left by a dead orchestrator (its own process group, on this host) would keep
 * writing into the folder the new attempt uses: it is ended before the step runs again. Steps on
 * other hosts are their workers' to end.
 */
function killOrphan(execution: StepExecutionRow): void {
  if (execution.process_id === null || execution.process_host !== hostname()) return;
  if (!isProcessAlive(execution.process_id)) return;
  try {
    process.kill(-execution.process_id, 'SIGKILL');
  } catch {
    // Already gone, or no longer ours.
  }
}

/** A listener that throws must not break the run it watches. */
function safeListener(listener: PipelineEventListener | undefined): PipelineEventListener {
  if (!listener) return () => undefined;
  return (event: PipelineEvent) => {
    try {
      listener(event);
    } catch {
      // Progress display only.
    }
  };
}
