import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { CicloContext } from '../../src/app/context.js';
import {
  compilePipeline,
  type LoadedPipeline,
  type PipelineInput,
  type PipelineRunRow,
} from '../../src/pipelines/index.js';
import type { DialectName } from '../../src/store/index.js';
import { TriggerRuntime, type TriggerEvent, type TriggerRuntimeOptions } from '../../src/triggers/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { waitFor } from '../support/wait.js';
import { stepKinds } from '../../src/app/step-kinds.js';

export { waitFor };

/** A `command` step running a shell script. */
export function shell(script: string): { kind: 'command'; command: string[] } {
  return { kind: 'command', command: ['sh', '-c', script] };
}

export function loaded(raw: PipelineInput, workDir: string): LoadedPipeline {
  return { definition: compilePipeline(raw, { registry: stepKinds() }), workDir };
}

/** The trigger column of a run, parsed. */
export function triggerOf(row: PipelineRunRow): { name: string; type: string; payload?: unknown } | null {
  return row.trigger === null ? null : (JSON.parse(row.trigger) as { name: string; type: string; payload?: unknown });
}

export interface TriggerFixture {
  test: TestContext;
  context: CicloContext;
  /** A folder of the test's own for the pipeline (its working directory). */
  workDir: string;
  events: TriggerEvent[];
  /** Builds, registers and starts a runtime over the test's context; stopped after the test. */
  start(pipelines: LoadedPipeline[], options?: Partial<TriggerRuntimeOptions>): Promise<TriggerRuntime>;
  /** Stops the runtime started last (to test a restart). */
  stopRuntime(): Promise<void>;
  /** How many checks a trigger has made so far. */
  checks(trigger: string): number;
  runs(pipelineName: string): Promise<PipelineRunRow[]>;
}

/** Each test gets a context (own database, own folder), a pipeline folder and runtimes that are stopped after it. */
export function useTriggerFixture(
  dialect: DialectName,
  open: () => Promise<TestContext> = () => openTestContext(dialect),
): TriggerFixture {
  const fixture = { events: [] as TriggerEvent[] } as TriggerFixture;
  let runtimes: TriggerRuntime[] = [];
  beforeEach(async () => {
    fixture.test = await open();
    fixture.context = fixture.test.context;
    fixture.workDir = path.join(fixture.test.dir, 'work');
    fixture.events = [];
    await mkdir(fixture.workDir, { recursive: true });
  });
  afterEach(async () => {
    for (const runtime of runtimes.reverse()) await runtime.stop();
    runtimes = [];
    await fixture.test.drop();
  });
  fixture.start = async (pipelines, options = {}) => {
    const runtime = new TriggerRuntime({
      pipelines: fixture.context.pipelines,
      db: fixture.context.database.db,
      config: fixture.context.config,
      waitPollMs: 25,
      onEvent: (event) => fixture.events.push(event),
      ...options,
    });
    for (const pipeline of pipelines) runtime.add(pipeline);
    await runtime.start();
    runtimes.push(runtime);
    return runtime;
  };
  fixture.stopRuntime = async () => {
    const runtime = runtimes.pop();
    await runtime?.stop();
  };
  fixture.checks = (trigger) =>
    fixture.events.filter((event) => event.type === 'checked' && event.trigger === trigger).length;
  fixture.runs = (pipelineName) => fixture.context.pipelines.listRuns({ pipelineName });
  return fixture;
}

/**
 * Waits until the trigger has checked `count` more times than now: a "nothing fired" assertion needs checks, not time.
 */
export async function moreChecks(fixture: TriggerFixture, trigger: string, count = 3): Promise<void> {
  const target = fixture.checks(trigger) + count;
  await waitFor(`${count} more checks of ${trigger}`, () => fixture.checks(trigger) >= target);
}

/** Fails the test with the first error a trigger reported, if any. */
export function reportedErrors(fixture: TriggerFixture): unknown[] {
  return fixture.events.filter((event) => event.type === 'error').map((event) => (event as { error: unknown }).error);
}
