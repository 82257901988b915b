import type { z } from 'zod';
import { existsSync } from 'node:fs';
import { InvalidInputError, InvalidStateError } from '../../common/errors.js';
import type { StepJob } from '../executors/types.js';

/** The process a step runs as. */
export interface ProcessSpec {
  executable: string;
  args: string[];
  /** Relative to the job's `workDir`; the `workDir` itself when absent. */
  cwd?: string;
}

/**
 * What a step kind does at run time: turn a job into the process to start. It spawns nothing, so a
 * job that cannot run (a bad config, an unknown template name) is refused before anything starts.
 */
export interface StepRuntime {
  /** `env` is the environment the process will get, for kinds that expand `$VARIABLES`. */
  prepare(job: StepJob, env: Readonly<Record<string, string>>): ProcessSpec;
}

/**
 * A job may come from a queue, another version or another machine, so its config is checked again
 * against the kind's schema rather than trusted.
 */
export function parseKindConfig<S extends z.ZodType>(schema: S, job: StepJob): z.output<S> {
  const parsed = schema.safeParse(job.config);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new InvalidInputError(`step "${job.stepName}" has an invalid ${job.kind} config: ${issue.message}`, {
    where: issue.path.map(String).join('.') || undefined,
  });
}

/** What a built-in kind's runner process gets of its job: the kind, the step, the checked config and the paths. */
export interface RunnerTask<K extends string> {
  kind: K;
  pipelineRunId: string;
  stepName: string;
  stepRunId: string;
  config: Record<string, unknown>;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  /** The pipeline folder: where files a config names (suites, schemas, policies) are found. */
  workDir: string;
}

/**
 * A built-in kind that runs as `node <runner> <task JSON>`: the runner is compiled to dist/, and a
 * checkout that was not built is told so before anything starts.
 */
export function runnerProcess<K extends string>(
  runner: string,
  what: string,
  kind: K,
  job: StepJob,
  config: Record<string, unknown>,
): ProcessSpec {
  if (!existsSync(runner))
    throw new InvalidStateError(`the ${what} runner is missing at ${runner}`, { hint: 'run npm run build' });
  const task: RunnerTask<K> = {
    kind,
    pipelineRunId: job.pipelineRunId,
    stepName: job.stepName,
    stepRunId: job.stepRunId,
    config,
    inputs: job.inputs,
    outputs: job.outputs,
    workDir: job.workDir,
  };
  return { executable: process.execPath, args: [runner, JSON.stringify(task)] };
}
