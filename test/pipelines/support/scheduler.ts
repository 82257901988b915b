import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { CicloContext } from '../../../src/app/context.js';
import type { DialectName } from '../../../src/store/index.js';
import { openTestContext, type TestContext } from '../../support/context.js';
import {
  LocalExecutor,
  PipelineScheduler,
  compilePipeline,
  type PipelineDefinition,
  type PipelineInput,
  type StepExecutionRow,
} from '../../../src/pipelines/index.js';
import { stepKinds, stepRuntimes } from '../../../src/app/step-kinds.js';

export function schedulerFor(context: CicloContext): PipelineScheduler {
  return new PipelineScheduler({ db: context.database.db, tracking: context.tracking, home: context.config.home });
}

export function compile(raw: PipelineInput): PipelineDefinition {
  return compilePipeline(raw, { registry: stepKinds() });
}

/** A `command` step running a shell script; `$W` in it is the pipeline folder. */
export function shell(script: string): { kind: 'command'; command: string[] } {
  return { kind: 'command', command: ['sh', '-c', script] };
}

export function newExecutor(): LocalExecutor {
  return new LocalExecutor({ killGraceMs: 500, runtimes: stepRuntimes() });
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

export interface SchedulerFixture {
  test: TestContext;
  scheduler: PipelineScheduler;
  executor: LocalExecutor;
  /** The pipeline folder, under the test's CICLO_HOME. */
  workDir: string;
}

/** Each test of the suite gets a context, scheduler, executor and pipeline folder of its own. */
export function useSchedulerFixture(dialect: DialectName): SchedulerFixture {
  const fixture = {} as SchedulerFixture;
  beforeEach(async () => {
    fixture.test = await openTestContext(dialect);
    fixture.scheduler = schedulerFor(fixture.test.context);
    fixture.executor = newExecutor();
    fixture.workDir = await workDirIn(fixture.test.dir);
  });
  afterEach(async () => {
    await fixture.executor.close();
    await fixture.test.drop();
  });
  return fixture;
}
