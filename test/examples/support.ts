import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import type { PipelineRunStatus, PipelineService, StepExecutionRow } from '../../src/pipelines/index.js';
import type { TrackingService } from '../../src/tracking/index.js';

/** Both examples score the same age bands. */
export const AGE_BANDS = ['age_18_29', 'age_30_44', 'age_45_59', 'age_60plus'];

export interface ExampleRun {
  pipelineRunId: string;
  status: PipelineRunStatus;
  steps: StepExecutionRow[];
  ms: number;
}

/** Runs an example folder through the service; CICLO_EXAMPLE_TIMINGS=1 prints the step durations. */
export async function runExample(
  pipelines: PipelineService,
  folder: string,
  options: { params: Record<string, number>; noCache: boolean },
): Promise<ExampleRun> {
  const loaded = await pipelines.load(folder);
  const started = performance.now();
  const { pipelineRunId, status } = await pipelines.run(loaded, options);
  const ms = performance.now() - started;
  const { steps } = await pipelines.getRun(pipelineRunId);
  if (process.env.CICLO_EXAMPLE_TIMINGS) {
    console.log(
      `${loaded.definition.name} ${Math.round(ms)} ms`,
      Object.fromEntries(steps.map((s) => [s.step_name, s.duration_ms])),
    );
  }
  return { pipelineRunId, status, steps, ms };
}

export async function metricsOf(tracking: TrackingService, step: StepExecutionRow): Promise<Record<string, number>> {
  expect(step.run_id, `step ${step.step_name} has no tracked run`).not.toBeNull();
  const run = await tracking.getRun(step.run_id!);
  return Object.fromEntries(run.data.metrics.map((metric) => [metric.key, metric.value]));
}

export function stepNamed(steps: readonly StepExecutionRow[], name: string): StepExecutionRow {
  const found = steps.find((step) => step.step_name === name);
  if (!found) throw new Error(`no execution of step ${name}`);
  return found;
}

/** Every step's log, to make a failure readable. */
export async function logsOf(pipelines: PipelineService, run: ExampleRun): Promise<string> {
  const logs = await Promise.all(
    run.steps.map(async (step) => {
      const text = await readFile(pipelines.logFile(run.pipelineRunId, step.step_name, step.attempt), 'utf8').catch(
        () => '(no log)',
      );
      return `── ${step.step_name} ${step.status} ${step.error ?? ''}\n${text}`;
    }),
  );
  return logs.join('\n');
}
