import type { Kysely } from 'kysely';
import {
  findPipelineRun,
  findStepExecution,
  STEP_RUN_TAGS,
  type PipelineRunRow,
  type StepExecutionRow,
} from '../pipelines/index.js';
import type { Schema } from '../store/index.js';
import { findRunRow, findTags, type RunRow } from '../tracking/index.js';
import { runNodeId, type RunNode } from './types.js';

/** A run as lineage sees it: its node, and for a step run the execution row its edges come from. */
export interface RunInfo {
  node: RunNode;
  run: RunRow;
  execution?: StepExecutionRow;
}

/**
 * Reads what a run id stands for (a pipeline run, a step attempt, or any tracked run) once per walk.
 * `step_executions` has no index on `run_id`, so a step run is found by its tags and parent instead:
 * the scheduler tags each attempt's run with the step and attempt, under the pipeline run.
 */
export class RunLookup {
  readonly #db: Kysely<Schema>;
  readonly #cache = new Map<string, Promise<RunInfo | undefined>>();
  // Every step run names its pipeline run: read each pipeline run once, not once per step.
  readonly #pipelines = new Map<string, Promise<PipelineRunRow | undefined>>();

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  get(runId: string): Promise<RunInfo | undefined> {
    let found = this.#cache.get(runId);
    if (!found) {
      found = this.#load(runId);
      this.#cache.set(runId, found);
    }
    return found;
  }

  async #load(runId: string): Promise<RunInfo | undefined> {
    const run = await findRunRow(this.#db, runId);
    if (!run) return undefined;
    const base = {
      id: runNodeId(runId),
      kind: 'run' as const,
      runId,
      runName: run.run_name,
      startTime: Number(run.start_time),
    };
    const pipeline = await this.#pipeline(runId);
    if (pipeline) {
      const node: RunNode = {
        ...base,
        role: 'pipeline',
        status: pipeline.status,
        pipelineName: pipeline.pipeline_name,
        pipelineRunId: pipeline.id,
        params: JSON.parse(pipeline.params) as Record<string, unknown>,
        ...(pipeline.git_commit === null ? {} : { gitCommit: pipeline.git_commit }),
        ...(pipeline.trigger_name === null ? {} : { triggerName: pipeline.trigger_name }),
      };
      return { node, run };
    }
    const execution = await this.#stepExecution(run);
    if (execution) {
      const parent = await this.#pipeline(execution.pipeline_run_id);
      const node: RunNode = {
        ...base,
        role: 'step',
        status: execution.status,
        pipelineRunId: execution.pipeline_run_id,
        stepName: execution.step_name,
        attempt: execution.attempt,
        ...(parent === undefined ? {} : { pipelineName: parent.pipeline_name }),
        ...(execution.cached_from_run_id === null ? {} : { cachedFromRunId: execution.cached_from_run_id }),
      };
      return { node, run, execution };
    }
    return { node: { ...base, role: 'run', status: run.status }, run };
  }

  #pipeline(id: string): Promise<PipelineRunRow | undefined> {
    let found = this.#pipelines.get(id);
    if (!found) {
      found = findPipelineRun(this.#db, id);
      this.#pipelines.set(id, found);
    }
    return found;
  }

  async #stepExecution(run: RunRow): Promise<StepExecutionRow | undefined> {
    if (run.parent_run_id === null) return undefined;
    const tags = await findTags(this.#db, run.run_uuid, [STEP_RUN_TAGS.step, STEP_RUN_TAGS.attempt]);
    const stepName = tags.get(STEP_RUN_TAGS.step);
    const attempt = Number(tags.get(STEP_RUN_TAGS.attempt));
    if (stepName === undefined || !Number.isSafeInteger(attempt)) return undefined;
    const execution = await findStepExecution(this.#db, { pipelineRunId: run.parent_run_id, stepName, attempt });
    // Tags are user-writable: the row must point back at this run to count.
    return execution?.run_id === run.run_uuid ? execution : undefined;
  }
}
