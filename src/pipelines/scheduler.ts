import { cp, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { InvalidInputError, InvalidStateError, NotFoundError } from '../common/errors.js';
import type { Schema } from '../store/index.js';
import { captureCodeVersion, codeVersionTags, type RunStatus, type TrackingService } from '../tracking/index.js';
import { canonicalJson, codeFilesOf, computeStepCacheKey } from './cache-key.js';
import type { ParamValue, PipelineDefinition, StepDefinition } from './definition.js';
import type { Executor, StepJob, StepResult } from './executors/types.js';
import { stepDependencies, topologicalOrder } from './graph.js';
import { sha256Digest } from '../artifacts/index.js';

import { digestPath } from './output-digest.js';
import { paramTypeMismatch } from './params.js';
import type { PipelineEventListener } from './events.js';
import type { TriggerRecord } from './service.js';
import {
  findPipelineRun,
  findSucceededByCacheKey,
  insertPendingAttempt,
  insertPipelineRun,
  latestStepExecutions,
  listStepExecutions,
  setPipelineRunStatus,
  updateStepExecution,
  type PipelineRunRow,
  type PipelineRunStatus,
  type StepExecutionRow,
  type StepExecutionStatus,
} from './run-store.js';

export interface PipelineSchedulerOptions {
  db: Kysely<Schema>;
  tracking: TrackingService;
  /** CICLO_HOME: step logs and outputs go under `<home>/pipelines/<pipeline run id>/`. */
  home: string;
  /** Passed to steps as CICLO_TRACKING_URI so they can log over REST. */
  trackingUri?: string;
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

/** What one drive of a run needs to know, read once from the pipeline run row. */
interface RunPlan {
  id: string;
  definition: PipelineDefinition;
  params: Record<string, ParamValue>;
  workDir: string;
  noCache: boolean;
  experimentId: string;
}

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
  readonly #trackingUri: string | undefined;
  readonly #now: () => number;

  constructor(options: PipelineSchedulerOptions) {
    this.#db = options.db;
    this.#tracking = options.tracking;
    this.#home = options.home;
    this.#trackingUri = options.trackingUri;
    this.#now = options.now ?? Date.now;
  }

  /** Records a new run of a compiled definition, every step PENDING, and returns its id. */
  async start(definition: PipelineDefinition, options: StartOptions): Promise<string> {
    const effective = withEnvironment(definition, options.env);
    const params = resolveParams(effective, options.params ?? {});
    const workDir = path.resolve(options.workDir);
    const code = await captureCodeVersion(workDir);
    const experiment = await this.#tracking.getOrCreateExperiment(definition.name);
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
    await insertPipelineRun(
      this.#db,
      {
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
        reproduces_run_id: options.reproduces ?? null,
        lease_owner: null,
        lease_expires_at: null,
        status: 'PENDING',
        created_time: now,
        updated_time: now,
      },
      effective.steps.map((step) => step.name),
    );
    return id;
  }

  /** Runs the pipeline run until every step has ended; returns the run's final status. */
  async drive(pipelineRunId: string, options: DriveOptions): Promise<PipelineRunStatus> {
    const row = await this.#requireRun(pipelineRunId);
    if (FINISHED_RUN.has(row.status)) return row.status;
    const plan = await this.#plan(row);
    await this.#recoverInterrupted(pipelineRunId);
    await setPipelineRunStatus(this.#db, pipelineRunId, 'RUNNING', this.#now());
    await this.#tracking.updateRun(pipelineRunId, { status: 'RUNNING' });

    const cancel = options.signal ?? new AbortController().signal;
    const halt = new AbortController();
    const stepSignal = AbortSignal.any([halt.signal, cancel]);
    const order = topologicalOrder(plan.definition);
    const parallelism = plan.definition.parallelism ?? DEFAULT_PARALLELISM;
    const running = new Map<string, Promise<void>>();
    let latest = await latestStepExecutions(this.#db, pipelineRunId);
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
            continue;
          }
          if (!upstream.every((status) => DONE.has(status))) continue;
          if (current.next_attempt_at !== null && current.next_attempt_at > this.#now()) {
            wakeAt = Math.min(wakeAt ?? Infinity, current.next_attempt_at);
            continue;
          }
          const execution = this.#execute(plan, step, current.attempt, options.executor, stepSignal)
            .then((outcome) => {
              if (outcome === 'failed') failed = true;
            })
            .finally(() => running.delete(step.name));
          running.set(step.name, execution);
        }
      }
      if (running.size === 0 && (halt.signal.aborted || wakeAt === undefined)) break;
      await waitForChange(running.values(), wakeAt === undefined ? undefined : wakeAt - this.#now(), stepSignal);
      latest = await latestStepExecutions(this.#db, pipelineRunId);
    }

    return this.#finish(pipelineRunId, cancel.aborted);
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
      await trx
        .updateTable('pipeline_runs')
        .set({ status: 'PENDING', cancel_requested: 0, updated_time: this.#now() })
        .where('id', '=', pipelineRunId)
        .execute();
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

  /** Where a step's attempt logs and outputs live. */
  stepFolder(pipelineRunId: string, stepName: string): string {
    return path.join(this.#home, 'pipelines', pipelineRunId, stepName);
  }

  async #requireRun(pipelineRunId: string): Promise<PipelineRunRow> {
    const row = await findPipelineRun(this.#db, pipelineRunId);
    if (!row) throw new NotFoundError(`no pipeline run ${pipelineRunId}`, { where: 'pipeline_run_id' });
    return row;
  }

  async #plan(row: PipelineRunRow): Promise<RunPlan> {
    const tracked = await this.#tracking.getRun(row.id);
    return {
      id: row.id,
      definition: JSON.parse(row.definition) as PipelineDefinition,
      params: JSON.parse(row.params) as Record<string, ParamValue>,
      workDir: row.work_dir,
      noCache: row.no_cache === 1,
      experimentId: tracked.info.experimentId,
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
      if (execution.run_id !== null) await this.#endTrackedRun(execution.run_id, 'KILLED');
      await updateStepExecution(this.#db, keyOf(execution), {
        status: 'PENDING',
        run_id: null,
        started_time: null,
        error: null,
      });
    }
  }

  /** One attempt of one step; reports 'failed' when the step has failed for good. */
  async #execute(
    plan: RunPlan,
    step: StepDefinition,
    attempt: number,
    executor: Executor,
    signal: AbortSignal,
  ): Promise<'done' | 'failed'> {
    const key = { pipelineRunId: plan.id, stepName: step.name, attempt };
    const folder = this.stepFolder(plan.id, step.name);
    const outputDir = path.join(folder, 'outputs');
    const params = { ...plan.params, ...step.params };
    const inputs = this.#inputPaths(plan, step);
    let stepRunId: string | undefined;
    try {
      const cacheKey = step.cache && !plan.noCache ? await this.#cacheKey(plan, step, params, inputs) : null;
      if (cacheKey !== null && (await this.#reuseCached(key, cacheKey, outputDir))) return 'done';

      await updateStepExecution(this.#db, key, { status: 'RUNNING', cache_key: cacheKey, started_time: this.#now() });
      const stepRun = await this.#tracking.createRun({
        experimentId: plan.experimentId,
        runName: `${step.name}#${attempt}`,
        parentRunId: plan.id,
        tags: { 'ciclo.pipeline.step': step.name, 'ciclo.pipeline.attempt': String(attempt) },
      });
      stepRunId = stepRun.info.runId;
      await updateStepExecution(this.#db, key, { run_id: stepRunId });

      // An interrupted attempt may have left partial outputs; a step starts from an empty folder.
      await rm(outputDir, { recursive: true, force: true });
      await mkdir(outputDir, { recursive: true });
      const job: StepJob = {
        pipelineRunId: plan.id,
        stepRunId,
        stepName: step.name,
        attempt,
        kind: step.kind,
        config: step.config,
        params,
        inputs,
        outputs: Object.fromEntries(Object.keys(step.outputs).map((name) => [name, path.join(outputDir, name)])),
        outputDir,
        workDir: plan.workDir,
        logFile: path.join(folder, `${attempt}.log`),
        env: step.env,
        ...(step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs }),
        ...(this.#trackingUri === undefined ? {} : { trackingUri: this.#trackingUri }),
      };
      const result = await runJob(executor, job, signal);
      if (result.status === 'succeeded') {
        const missing = await missingOutputs(job.outputs);
        if (missing.length === 0) {
          await this.#tracking.logArtifactDirectory(stepRunId, outputDir, 'outputs');
          await this.#endTrackedRun(stepRunId, 'FINISHED');
          await updateStepExecution(this.#db, key, { status: 'SUCCEEDED', exit_code: result.exitCode, ended_time: this.#now() });
          return 'done';
        }
        result.status = 'failed';
        result.error = `the step did not write its output(s) ${missing.join(', ')}`;
      }
      if (result.status === 'cancelled') {
        await this.#endTrackedRun(stepRunId, 'KILLED');
        await updateStepExecution(this.#db, key, {
          status: 'CANCELLED',
          exit_code: result.exitCode,
          error: result.error ?? 'cancelled',
          ended_time: this.#now(),
        });
        return 'done';
      }
      await this.#endTrackedRun(stepRunId, 'FAILED');
      return await this.#recordFailure(step, key, result);
    } catch (error) {
      // A step that cannot even be prepared (a missing code file, an unknown kind) fails for good.
      if (stepRunId !== undefined) await this.#endTrackedRun(stepRunId, 'FAILED');
      await updateStepExecution(this.#db, key, {
        status: 'FAILED',
        error: (error as Error).message,
        ended_time: this.#now(),
      });
      return 'failed';
    }
  }

  /** Marks the attempt FAILED and, while retries remain, adds the next attempt after a backoff. */
  async #recordFailure(
    step: StepDefinition,
    key: { pipelineRunId: string; stepName: string; attempt: number },
    result: StepResult,
  ): Promise<'done' | 'failed'> {
    const executions = (await listStepExecutions(this.#db, key.pipelineRunId)).filter((e) => e.step_name === step.name);
    // Attempts added by a retry carry next_attempt_at; the last one without it began this round.
    const roundStart = Math.max(...executions.filter((e) => e.next_attempt_at === null).map((e) => e.attempt));
    const retriesUsed = key.attempt - roundStart;
    const retry = retriesUsed < step.retries;
    const now = this.#now();
    await this.#db.transaction().execute(async (trx) => {
      await updateStepExecution(trx, key, {
        status: 'FAILED',
        exit_code: result.exitCode,
        error: result.error ?? result.status,
        ended_time: now,
      });
      if (retry) {
        const { initialMs, factor, maxMs } = step.retryBackoff;
        const delay = Math.min(initialMs * factor ** retriesUsed, maxMs);
        await insertPendingAttempt(trx, key.pipelineRunId, step.name, key.attempt + 1, now + delay);
      }
    });
    return retry ? 'done' : 'failed';
  }

  /** Input name → the path the step reads: an upstream step's output, or a param's value. */
  #inputPaths(plan: RunPlan, step: StepDefinition): Record<string, string> {
    const inputs: Record<string, string> = {};
    for (const [name, reference] of Object.entries(step.inputs)) {
      inputs[name] =
        reference.from === 'step'
          ? path.join(this.stepFolder(plan.id, reference.step), 'outputs', reference.output)
          : path.resolve(plan.workDir, String(plan.params[reference.param]));
    }
    return inputs;
  }

  async #cacheKey(
    plan: RunPlan,
    step: StepDefinition,
    params: Record<string, ParamValue>,
    inputs: Record<string, string>,
  ): Promise<string> {
    const inputDigests: Record<string, string> = {};
    for (const [name, input] of Object.entries(inputs)) {
      // An input that does not exist is keyed by its path, so creating it later makes a miss.
      inputDigests[name] = await digestPath(input).catch(() => sha256Digest(`missing:${input}`));
    }
    const codeFiles = await codeFilesOf(step, plan.workDir, params);
    return (await computeStepCacheKey({ step, params, inputDigests, codeFiles, workDir: plan.workDir })).key;
  }

  /**
   * A cache hit copies the outputs of the execution that produced them into this step's folder, so
   * downstream steps read every input from the same place whether it was computed or reused. A hit
   * whose outputs are gone from disk is a miss.
   */
  async #reuseCached(
    key: { pipelineRunId: string; stepName: string; attempt: number },
    cacheKey: string,
    outputDir: string,
  ): Promise<boolean> {
    const source = await findSucceededByCacheKey(this.#db, cacheKey);
    if (!source || source.run_id === null) return false;
    const sourceDir = path.join(this.stepFolder(source.pipeline_run_id, source.step_name), 'outputs');
    if (!(await isDirectory(sourceDir))) return false;
    const now = this.#now();
    await rm(outputDir, { recursive: true, force: true });
    await cp(sourceDir, outputDir, { recursive: true });
    await updateStepExecution(this.#db, key, {
      status: 'CACHED',
      cache_key: cacheKey,
      cached_from_run_id: source.run_id,
      started_time: now,
      ended_time: now,
    });
    return true;
  }

  async #finish(pipelineRunId: string, cancelled: boolean): Promise<PipelineRunStatus> {
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
    await this.#endTrackedRun(pipelineRunId, TRACKED_STATUS[status]);
    return status;
  }

  async #endTrackedRun(runId: string, status: RunStatus): Promise<void> {
    try {
      await this.#tracking.updateRun(runId, { status });
    } catch (error) {
      // A tracked run deleted by a user meanwhile must not stop the pipeline.
      if (!(error instanceof NotFoundError) && !(error instanceof InvalidStateError)) throw error;
    }
  }
}

function keyOf(execution: StepExecutionRow): { pipelineRunId: string; stepName: string; attempt: number } {
  return { pipelineRunId: execution.pipeline_run_id, stepName: execution.step_name, attempt: execution.attempt };
}

/** An executor that rejects could not start the job; for the scheduler that is a failed attempt. */
async function runJob(executor: Executor, job: StepJob, signal: AbortSignal): Promise<StepResult> {
  try {
    return await executor.run(job, { signal });
  } catch (error) {
    return { status: 'failed', exitCode: null, signal: null, durationMs: 0, error: (error as Error).message };
  }
}

async function missingOutputs(outputs: Record<string, string>): Promise<string[]> {
  const missing: string[] = [];
  for (const [name, output] of Object.entries(outputs)) {
    if (!(await stat(output).then(() => true, () => false))) missing.push(name);
  }
  return missing;
}

async function isDirectory(folder: string): Promise<boolean> {
  return stat(folder).then((info) => info.isDirectory(), () => false);
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
    wakes.push(new Promise<void>((resolve) => {
      onAbort = () => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
    }));
  }
  try {
    await Promise.race(wakes);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** The definition with `environments[name]` laid over it: its params' defaults, parallelism and env. */
function withEnvironment(definition: PipelineDefinition, name: string | undefined): PipelineDefinition {
  if (name === undefined) return definition;
  const overlay = definition.environments[name];
  if (!overlay) {
    const known = Object.keys(definition.environments);
    throw new InvalidInputError(`pipeline "${definition.name}" has no environment "${name}"`, {
      where: 'env',
      hint: known.length > 0 ? `its environments: ${known.join(', ')}` : 'the pipeline declares no environments',
    });
  }
  const params = { ...definition.params };
  for (const [param, value] of Object.entries(overlay.params ?? {})) {
    if (params[param]) params[param] = { ...params[param], default: value };
  }
  return {
    ...definition,
    params,
    ...(overlay.executor === undefined ? {} : { executor: overlay.executor }),
    ...(overlay.parallelism === undefined ? {} : { parallelism: overlay.parallelism }),
    steps: definition.steps.map((step) => ({ ...step, env: { ...overlay.env, ...step.env } })),
  };
}

/** Defaults overlaid by the given values; every declared param must end up with a value of its type. */
function resolveParams(definition: PipelineDefinition, given: Record<string, ParamValue>): Record<string, ParamValue> {
  const resolved: Record<string, ParamValue> = {};
  for (const name of Object.keys(given)) {
    if (!definition.params[name]) {
      throw new InvalidInputError(`pipeline "${definition.name}" has no param "${name}"`, { where: `params.${name}` });
    }
  }
  for (const [name, spec] of Object.entries(definition.params)) {
    const value = given[name] ?? spec.default;
    if (value === undefined) {
      throw new InvalidInputError(`param "${name}" has no default and no value was given`, { where: `params.${name}` });
    }
    const mismatch = paramTypeMismatch(spec.type, value);
    if (mismatch) throw new InvalidInputError(`param "${name}": ${mismatch}`, { where: `params.${name}` });
    resolved[name] = value;
  }
  return resolved;
}
