import type { Kysely } from 'kysely';
import type { Schema } from '../../store/index.js';
import type { PipelineDefinition } from '../definition/definition.js';
import { findPipelineRun, latestStepExecutions, listStepExecutions, type StepExecutionRow } from './run-store.js';

/** An input of a step that another step of the same run produced, and where that step's results were logged. */
export interface UpstreamStepRun {
  input: string;
  step: string;
  /** The tracked run holding the upstream step's outputs and metrics; none when it has not run. */
  runId: string | undefined;
}

/** The tracked run holding an attempt's outputs and metrics: its own, or for a cache hit the run it reused. */
function resultRunOf(execution: StepExecutionRow): string | undefined {
  return execution.cached_from_run_id ?? execution.run_id ?? undefined;
}

/**
 * Each input of `stepName` that another step produces (`steps.NAME.outputs.X`), with that step's latest attempt's
 * result run, read from the run's compiled definition; inputs from params or datasets are left out, and an unknown
 * run or step has none.
 */
export async function upstreamStepRuns(
  db: Kysely<Schema>,
  pipelineRunId: string,
  stepName: string,
): Promise<UpstreamStepRun[]> {
  const run = await findPipelineRun(db, pipelineRunId);
  if (run === undefined) return [];
  const definition = JSON.parse(run.definition) as PipelineDefinition;
  const step = definition.steps.find((candidate) => candidate.name === stepName);
  const latest = await latestStepExecutions(db, pipelineRunId);
  return Object.entries(step?.inputs ?? {}).flatMap(([input, reference]) => {
    if (reference.from !== 'step') return [];
    const execution = latest.get(reference.step);
    return [{ input, step: reference.step, runId: execution === undefined ? undefined : resultRunOf(execution) }];
  });
}

/** The result runs of the run's succeeded and cached attempts, each once, in step and attempt order. */
export async function completedStepRuns(db: Kysely<Schema>, pipelineRunId: string): Promise<string[]> {
  const completed = (await listStepExecutions(db, pipelineRunId)).filter(
    (execution) => execution.status === 'SUCCEEDED' || execution.status === 'CACHED',
  );
  return [...new Set(completed.map(resultRunOf).filter((runId): runId is string => runId !== undefined))];
}
