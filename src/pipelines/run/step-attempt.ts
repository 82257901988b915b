import { cp, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { sha256Digest } from '../../artifacts/index.js';
import { CicloError, InvalidStateError, NotFoundError } from '../../common/errors.js';
import { makePrivateDir } from '../../common/private-files.js';
import type { Schema } from '../../store/index.js';
import type { RunStatus, TrackingService } from '../../tracking/index.js';
import { codeFilesOf, computeStepCacheKey } from './cache-key.js';
import type { ParamValue, PipelineDefinition, StepDefinition } from '../definition/definition.js';
import type { PipelineEventListener, StepEventDetails } from './events.js';
import type { DatasetCatalog } from './dataset-catalog.js';
import type { Executor, StepJob, StepResult } from '../executors/types.js';
import { digestPath, outputDigests } from './output-digest.js';
import { renderStepParams } from '../definition/templates.js';
import { changedFiles, inputSignature, snapshotFolder, type FolderSnapshot } from './write-guard.js';
import {
  findSucceededByCacheKey,
  insertPendingAttempt,
  listStepExecutions,
  recordStepArtifacts,
  updateStepExecution,
  type StepExecutionKey,
} from './run-store.js';

/** What one drive of a run needs to know, read once from the pipeline run row. */
export interface RunPlan {
  id: string;
  /** The pipeline's project (`pipeline_runs.project`): where the datasets it registers go. */
  project: string;
  definition: PipelineDefinition;
  params: Record<string, ParamValue>;
  workDir: string;
  noCache: boolean;
  experimentId: string;
  /** The pipeline run's `mlflow.source.git.*` tags, given to every step's tracked run. */
  codeTags: Record<string, string>;
}

export interface StepAttemptDeps {
  db: Kysely<Schema>;
  tracking: TrackingService;
  now: () => number;
  /** `<home>/pipelines/<run>/<step>`: the attempt's log and outputs folder. */
  stepFolder: (pipelineRunId: string, stepName: string) => string;
  trackingUri: string | undefined;
  /** The API token steps send to a server with authentication on. */
  trackingToken: string | undefined;
  storeEnv: Record<string, string> | undefined;
  /** CICLO_HOME, left out of the check for writes into the pipeline folder when it lies inside it. */
  home: string;
  /** Registered datasets, for `datasets.NAME@v` inputs and `register:` outputs. */
  datasets: DatasetCatalog | undefined;
  emit: PipelineEventListener;
}

/** The tags an attempt's tracked run carries, under its pipeline run: how lineage finds the execution of a run id. */
export const STEP_RUN_TAGS = { step: 'ciclo.pipeline.step', attempt: 'ciclo.pipeline.attempt' } as const;

/** 'failed' when the step has failed for good (no retry left), which fail-fast acts on. */
export type AttemptOutcome = 'done' | 'failed';

/**
 * One attempt of one step, start to end: a cache hit, or a tracked child run around the executor's
 * work, with every state change written to `step_executions` before the next one happens.
 */
export class StepAttempt {
  readonly #deps: StepAttemptDeps;
  readonly #plan: RunPlan;
  readonly #step: StepDefinition;
  readonly #key: StepExecutionKey;
  readonly #outputDir: string;
  /** The pipeline's params with the step's own over them; the step's are rendered when the attempt runs. */
  #params: Record<string, ParamValue>;
  #inputs: Record<string, string>;
  readonly #outputs: Record<string, string>;

  constructor(deps: StepAttemptDeps, plan: RunPlan, step: StepDefinition, attempt: number) {
    this.#deps = deps;
    this.#plan = plan;
    this.#step = step;
    this.#key = { pipelineRunId: plan.id, stepName: step.name, attempt };
    this.#outputDir = path.join(deps.stepFolder(plan.id, step.name), 'outputs');
    this.#inputs = inputPaths(deps, plan, step);
    this.#outputs = Object.fromEntries(
      Object.keys(step.outputs).map((name) => [name, path.join(this.#outputDir, name)]),
    );
    this.#params = plan.params;
  }

  async run(executor: Executor, signal: AbortSignal): Promise<AttemptOutcome> {
    const { db, now } = this.#deps;
    let stepRunId: string | undefined;
    try {
      await this.#materializeDatasets();
      const values = { params: this.#plan.params, inputs: this.#inputs, outputs: this.#outputs };
      this.#params = { ...this.#plan.params, ...renderStepParams(this.#step.params, values) };
      const inputDigests = await this.#inputDigests();
      const cacheKey = this.#step.cache && !this.#plan.noCache ? await this.#cacheKey(inputDigests) : null;
      if (cacheKey !== null && (await this.#reuseCached(cacheKey, inputDigests))) return 'done';

      // The tracked run first, then one write that makes the attempt RUNNING under it. A crash in
      // between leaves a tracked run nothing points to, and the attempt PENDING, which runs again.
      stepRunId = await this.#createTrackedRun({});
      await this.#logDatasetInputs(stepRunId);
      await updateStepExecution(db, this.#key, {
        status: 'RUNNING',
        run_id: stepRunId,
        cache_key: cacheKey,
        started_time: now(),
        input_digests: JSON.stringify(inputDigests),
      });
      this.#emit({ status: 'RUNNING', runId: stepRunId });

      // An interrupted attempt may have left partial outputs; a step starts from an empty folder.
      await rm(this.#outputDir, { recursive: true, force: true });
      await makePrivateDir(this.#outputDir);
      const job = this.#job(stepRunId);
      const before = await snapshotFolder(this.#plan.workDir, [this.#deps.home]);
      const inputsBefore = await this.#inputSignatures();
      const result = await runJob(executor, job, signal, (info) => {
        void updateStepExecution(db, this.#key, {
          process_id: info.pid,
          process_host: info.host,
          worker: info.worker ?? null,
        }).catch(() => undefined);
      });
      const strayWrites = await this.#checkStrayWrites(stepRunId, before, inputsBefore);
      if (result.status === 'succeeded' && strayWrites !== undefined) {
        result.status = 'failed';
        result.error = strayWrites;
      }
      if (result.status === 'succeeded') {
        const missing = await missingOutputs(job.outputs);
        if (missing.length === 0) {
          await this.#recordSuccess(stepRunId, inputDigests, result);
          return 'done';
        }
        result.status = 'failed';
        result.error = `the step did not write its output(s) ${missing.join(', ')}`;
      }
      if (result.status === 'cancelled') {
        await this.#endTrackedRun(stepRunId, 'KILLED');
        const error = result.error ?? 'cancelled';
        await updateStepExecution(db, this.#key, {
          status: 'CANCELLED',
          exit_code: result.exitCode,
          error,
          ended_time: now(),
          duration_ms: Math.round(result.durationMs),
        });
        this.#emit({ status: 'CANCELLED', runId: stepRunId, error });
        return 'done';
      }
      await this.#endTrackedRun(stepRunId, 'FAILED');
      return await this.#recordFailure(stepRunId, result);
    } catch (error) {
      // A step that cannot even be prepared (a missing code file, an unknown kind) fails for good.
      if (stepRunId !== undefined) await this.#endTrackedRun(stepRunId, 'FAILED');
      // The stable code too: a CORRUPT_DATASET input must read as damage to the store, not as a bug in the step.
      const message = error instanceof CicloError ? `${error.code}: ${error.message}` : (error as Error).message;
      await updateStepExecution(db, this.#key, { status: 'FAILED', error: message, ended_time: now() });
      this.#emit({ status: 'FAILED', error: message, ...(stepRunId === undefined ? {} : { runId: stepRunId }) });
      return 'failed';
    }
  }

  #job(stepRunId: string): StepJob {
    const { trackingUri, trackingToken, storeEnv } = this.#deps;
    const step = this.#step;
    return {
      pipelineRunId: this.#plan.id,
      stepRunId,
      stepName: step.name,
      attempt: this.#key.attempt,
      kind: step.kind,
      config: step.config,
      params: this.#params,
      inputs: this.#inputs,
      outputs: this.#outputs,
      outputDir: this.#outputDir,
      workDir: this.#plan.workDir,
      logFile: path.join(this.#deps.stepFolder(this.#plan.id, step.name), `${this.#key.attempt}.log`),
      env: step.env,
      ...(step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs }),
      ...(trackingUri === undefined ? {} : { trackingUri }),
      ...(trackingToken === undefined ? {} : { trackingToken }),
      ...(storeEnv === undefined ? {} : { storeEnv }),
    };
  }

  async #createTrackedRun(tags: Record<string, string>): Promise<string> {
    const run = await this.#deps.tracking.createRun({
      experimentId: this.#plan.experimentId,
      runName: `${this.#step.name}#${this.#key.attempt}`,
      parentRunId: this.#plan.id,
      tags: {
        ...this.#plan.codeTags,
        [STEP_RUN_TAGS.step]: this.#step.name,
        [STEP_RUN_TAGS.attempt]: String(this.#key.attempt),
        ...tags,
      },
    });
    return run.info.runId;
  }

  async #recordSuccess(stepRunId: string, inputDigests: Record<string, string>, result: StepResult): Promise<void> {
    const { db, now } = this.#deps;
    await this.#registerOutputs(stepRunId);
    const logged = await this.#logOutputs(stepRunId);
    const outputs = outputDigests(Object.keys(this.#step.outputs), logged);
    await this.#endTrackedRun(stepRunId, 'FINISHED');
    await db.transaction().execute(async (trx) => {
      await recordStepArtifacts(trx, this.#key, inputDigests, outputs);
      await updateStepExecution(trx, this.#key, {
        status: 'SUCCEEDED',
        exit_code: result.exitCode,
        ended_time: now(),
        duration_ms: Math.round(result.durationMs),
        output_digests: JSON.stringify(outputs),
      });
    });
    this.#emit({ status: 'SUCCEEDED', runId: stepRunId, durationMs: result.durationMs, exitCode: result.exitCode });
  }

  /**
   * Copies each `datasets.NAME@v` input out of the store; the pinned reference makes it the same data every attempt.
   */
  async #materializeDatasets(): Promise<void> {
    for (const [name, reference] of Object.entries(this.#step.inputs)) {
      if (reference.from !== 'dataset') continue;
      this.#inputs[name] = await this.#catalog().materialize(reference.dataset, this.#inputs[name]!);
    }
  }

  async #logDatasetInputs(stepRunId: string): Promise<void> {
    for (const reference of Object.values(this.#step.inputs)) {
      if (reference.from === 'dataset') await this.#catalog().logInput(stepRunId, reference.dataset);
    }
  }

  /** Outputs declared with `register: NAME` become dataset versions; the step's run is tagged with each. */
  async #registerOutputs(stepRunId: string): Promise<void> {
    for (const [name, spec] of Object.entries(this.#step.outputs)) {
      if (spec.register === undefined) continue;
      const { reference } = await this.#catalog().register(spec.register, this.#outputs[name]!, {
        project: this.#plan.project,
        ...(spec.sensitive === undefined ? {} : { sensitive: spec.sensitive }),
      });
      await this.#deps.tracking.setTag(stepRunId, `ciclo.dataset.output.${name}`, reference);
    }
  }

  #catalog(): DatasetCatalog {
    if (this.#deps.datasets) return this.#deps.datasets;
    throw new InvalidStateError('this pipeline uses registered datasets, but no dataset catalog is configured', {
      hint: 'run it through a Ciclo context (the CLI, the server or openContext), which provides one',
    });
  }

  /** The outputs folder as the step run's artifacts under `outputs/`; nothing to do for an empty one. */
  async #logOutputs(stepRunId: string): Promise<Array<{ path: string; digest: string }>> {
    const entries = await readdir(this.#outputDir).catch(() => []);
    if (entries.length === 0) return [];
    return this.#deps.tracking.logArtifactDirectory(stepRunId, this.#outputDir, 'outputs');
  }

  /** Marks the attempt FAILED and, while retries remain, adds the next attempt after a backoff. */
  async #recordFailure(stepRunId: string, result: StepResult): Promise<AttemptOutcome> {
    const { db, now } = this.#deps;
    const step = this.#step;
    const executions = (await listStepExecutions(db, this.#key.pipelineRunId)).filter((e) => e.step_name === step.name);
    // Attempts added by a retry carry next_attempt_at; the last one without it began this round.
    const roundStart = Math.max(...executions.filter((e) => e.next_attempt_at === null).map((e) => e.attempt));
    const retriesUsed = this.#key.attempt - roundStart;
    const retry = retriesUsed < step.retries;
    const ended = now();
    const { initialMs, factor, maxMs } = step.retryBackoff;
    const nextAttemptAt = ended + Math.min(initialMs * factor ** retriesUsed, maxMs);
    const error = result.error ?? result.status;
    await db.transaction().execute(async (trx) => {
      await updateStepExecution(trx, this.#key, {
        status: 'FAILED',
        exit_code: result.exitCode,
        error,
        ended_time: ended,
        duration_ms: Math.round(result.durationMs),
      });
      if (retry)
        await insertPendingAttempt(trx, this.#key.pipelineRunId, step.name, this.#key.attempt + 1, nextAttemptAt);
    });
    this.#emit({
      status: 'FAILED',
      runId: stepRunId,
      error,
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      ...(retry ? { nextAttemptAt } : {}),
    });
    return retry ? 'done' : 'failed';
  }

  /**
   * What the step changed outside its output folder. Changing an input fails the step: another
   * step's recorded output (or a file a digest was taken of) no longer holds what lineage and the
   * cache say. Files written into the pipeline folder are recorded on the step's tracked run as
   * `ciclo.pipeline.wrote_outside` and reported, since scratch files and counters there are common
   * (with steps running side by side, a write is seen by each step running at the time).
   */
  async #checkStrayWrites(
    stepRunId: string,
    before: FolderSnapshot | undefined,
    inputsBefore: Record<string, string | undefined>,
  ): Promise<string | undefined> {
    const after = await this.#inputSignatures();
    const changedInputs = Object.keys(inputsBefore).filter((name) => after[name] !== inputsBefore[name]);
    if (changedInputs.length > 0) {
      return (
        `the step changed its input(s) ${changedInputs.join(', ')}; ` +
        'a step writes only into CICLO_OUTPUT_DIR (the files were left as they are)'
      );
    }
    if (before === undefined) return undefined;
    const now = await snapshotFolder(this.#plan.workDir, [this.#deps.home]);
    const written = now === undefined ? [] : changedFiles(before, now);
    if (written.length === 0) return undefined;
    const shown = written.slice(0, 10).join(', ') + (written.length > 10 ? ` and ${written.length - 10} more` : '');
    await this.#deps.tracking.setTag(stepRunId, 'ciclo.pipeline.wrote_outside', shown).catch(() => undefined);
    this.#emit({ status: 'RUNNING', runId: stepRunId, warning: `wrote outside its output folder: ${shown}` });
    return undefined;
  }

  async #inputSignatures(): Promise<Record<string, string | undefined>> {
    const signatures: Record<string, string | undefined> = {};
    for (const [name, input] of Object.entries(this.#inputs)) signatures[name] = await inputSignature(input);
    return signatures;
  }

  async #inputDigests(): Promise<Record<string, string>> {
    const digests: Record<string, string> = {};
    for (const [name, input] of Object.entries(this.#inputs)) {
      // An input that does not exist is keyed by its path, so creating it later makes a cache miss.
      digests[name] = await digestPath(input).catch(() => sha256Digest(`missing:${input}`));
    }
    return digests;
  }

  async #cacheKey(inputDigests: Record<string, string>): Promise<string> {
    const codeFiles = await codeFilesOf(this.#step, this.#plan.workDir, this.#params);
    const key = await computeStepCacheKey({
      step: this.#step,
      params: this.#params,
      inputDigests,
      codeFiles,
      workDir: this.#plan.workDir,
    });
    return key.key;
  }

  /**
   * A cache hit copies the outputs of the execution that produced them into this step's folder, so
   * downstream steps read every input from the same place whether it was computed or reused. It is
   * recorded as a tracked run of its own (tagged with the run it reused) so every step of every
   * pipeline run has one. A hit whose outputs are gone from disk is a miss.
   */
  async #reuseCached(cacheKey: string, inputDigests: Record<string, string>): Promise<boolean> {
    const { db, now, stepFolder } = this.#deps;
    const source = await findSucceededByCacheKey(db, cacheKey);
    if (!source || source.run_id === null) return false;
    const sourceDir = path.join(stepFolder(source.pipeline_run_id, source.step_name), 'outputs');
    if (!(await isDirectory(sourceDir))) return false;
    const started = now();
    await rm(this.#outputDir, { recursive: true, force: true });
    // Made here, not by cp, which would create the step's folders with the umask's mode; cp then
    // copies into the existing folder.
    await makePrivateDir(this.#outputDir);
    if ((await readdir(sourceDir)).length > 0) await cp(sourceDir, this.#outputDir, { recursive: true });
    const stepRunId = await this.#createTrackedRun({ 'ciclo.pipeline.cached_from': source.run_id });
    await this.#deps.tracking.copyMetrics(source.run_id, stepRunId);
    const outputs = source.output_digests === null ? {} : (JSON.parse(source.output_digests) as Record<string, string>);
    await this.#logOutputs(stepRunId);
    await this.#endTrackedRun(stepRunId, 'FINISHED');
    await db.transaction().execute(async (trx) => {
      await recordStepArtifacts(trx, this.#key, inputDigests, outputs);
      await updateStepExecution(trx, this.#key, {
        status: 'CACHED',
        run_id: stepRunId,
        cache_key: cacheKey,
        cached_from_run_id: source.run_id,
        input_digests: JSON.stringify(inputDigests),
        output_digests: source.output_digests,
        started_time: started,
        ended_time: now(),
        duration_ms: 0,
      });
    });
    this.#emit({ status: 'CACHED', runId: stepRunId, cachedFromRunId: source.run_id });
    return true;
  }

  async #endTrackedRun(runId: string, status: RunStatus): Promise<void> {
    await endTrackedRun(this.#deps.tracking, runId, status);
  }

  #emit(event: StepEventDetails): void {
    this.#deps.emit({
      type: 'step',
      pipelineRunId: this.#plan.id,
      stepName: this.#step.name,
      attempt: this.#key.attempt,
      ...event,
    });
  }
}

/** Ends a tracked run; one deleted or ended by a user meanwhile must not stop the pipeline. */
export async function endTrackedRun(tracking: TrackingService, runId: string, status: RunStatus): Promise<void> {
  try {
    await tracking.updateRun(runId, { status });
  } catch (error) {
    if (!(error instanceof NotFoundError) && !(error instanceof InvalidStateError)) throw error;
  }
}

/**
 * Input name → the path the step reads: an upstream step's output, a param's value, or for a dataset
 * the folder it is copied to when the attempt starts (`materializeDatasets` may narrow it to the file).
 */
function inputPaths(deps: StepAttemptDeps, plan: RunPlan, step: StepDefinition): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const [name, reference] of Object.entries(step.inputs)) {
    inputs[name] =
      reference.from === 'step'
        ? path.join(deps.stepFolder(plan.id, reference.step), 'outputs', reference.output)
        : reference.from === 'dataset'
          ? path.join(deps.stepFolder(plan.id, step.name), 'inputs', name)
          : path.resolve(plan.workDir, String(plan.params[reference.param]));
  }
  return inputs;
}

/** An executor that rejects could not start the job; for the scheduler that is a failed attempt. */
async function runJob(
  executor: Executor,
  job: StepJob,
  signal: AbortSignal,
  onStart: (info: { pid: number; host: string; worker?: string }) => void,
): Promise<StepResult> {
  try {
    return await executor.run(job, { signal, onStart });
  } catch (error) {
    return { status: 'failed', exitCode: null, signal: null, durationMs: 0, error: (error as Error).message };
  }
}

async function missingOutputs(outputs: Record<string, string>): Promise<string[]> {
  const missing: string[] = [];
  for (const [name, output] of Object.entries(outputs)) {
    if (
      !(await stat(output).then(
        () => true,
        () => false,
      ))
    )
      missing.push(name);
  }
  return missing;
}

async function isDirectory(folder: string): Promise<boolean> {
  return stat(folder).then(
    (info) => info.isDirectory(),
    () => false,
  );
}
