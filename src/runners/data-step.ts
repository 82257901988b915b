/**
 * The process a data step (`sql`, `dedupe`, `split`, `validate`, `evaluate`) runs in: `data-step <task JSON>`. The
 * data capability runs the step (`runDataStep`); its metrics go to the step's tracked run through the SDK. Exit 0,
 * or the error and exit 1.
 */
import { describeError } from '../common/errors.js';
import { runDataStep, type DataStepTask } from '../data/index.js';

async function main(taskJson: string | undefined): Promise<void> {
  if (!taskJson) throw new Error('usage: data-step <task JSON>');
  const task = JSON.parse(taskJson) as DataStepTask;
  await runDataStep(task, (metrics) => logMetrics(task.stepRunId, metrics));
}

/** Metrics of the step's run (row counts, expectation counts) through the SDK, to the pipeline's store. */
async function logMetrics(runId: string, metrics: Record<string, number>): Promise<void> {
  const { Ciclo } = await import('../sdk/index.js');
  const ciclo = await Ciclo.connect();
  try {
    (await ciclo.attachRun(runId)).log(metrics);
  } finally {
    await ciclo.close();
  }
}

main(process.argv[2]).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${describeError(error)}\n`, () => process.exit(1));
  },
);
