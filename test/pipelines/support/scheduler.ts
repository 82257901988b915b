import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CicloContext } from '../../../src/app/context.js';
import {
  LocalExecutor,
  PipelineScheduler,
  builtinStepKinds,
  compilePipeline,
  type PipelineDefinition,
  type PipelineInput,
  type StepExecutionRow,
} from '../../../src/pipelines/index.js';

export function schedulerFor(context: CicloContext): PipelineScheduler {
  return new PipelineScheduler({ db: context.database.db, tracking: context.tracking, home: context.config.home });
}

export function compile(raw: PipelineInput): PipelineDefinition {
  return compilePipeline(raw, { registry: builtinStepKinds() });
}

/** A `command` step running a shell script; `$W` in it is the pipeline folder. */
export function shell(script: string): { kind: 'command'; command: string[] } {
  return { kind: 'command', command: ['sh', '-c', script] };
}

export function newExecutor(): LocalExecutor {
  return new LocalExecutor({ killGraceMs: 500 });
}

/** The pipeline folder of a test, created under its CICLO_HOME. */
export async function workDirIn(home: string): Promise<string> {
  const workDir = path.join(home, 'work');
  await mkdir(workDir, { recursive: true });
  return workDir;
}

/** Step name → its attempts' statuses in order, e.g. { train: ['FAILED', 'SUCCEEDED'] }. */
export function statusesByStep(steps: readonly StepExecutionRow[]): Record<string, string[]> {
  const statuses: Record<string, string[]> = {};
  for (const step of steps) (statuses[step.step_name] ??= []).push(step.status);
  return statuses;
}
