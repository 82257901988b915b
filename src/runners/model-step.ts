/**
 * The process a model step (`register`, `gate`) runs in: `model-step <task JSON>`. It opens the store
 * the CICLO_* variables name (the orchestrator's, passed to every step), runs the step, prints what
 * it did and exits 0, or prints the error and exits 1. CICLO_TRACKING_URI is ignored here: the
 * registry and the approvals are not served to steps over REST.
 */
import { openLocalContext } from '../app/context.js';
import { describeError } from '../common/errors.js';
import { runGateStep, runRegisterStep, type ModelStepDeps, type ModelStepTask } from '../registry/index.js';

async function main(taskJson: string | undefined): Promise<void> {
  if (!taskJson) throw new Error('usage: model-step <task JSON>');
  const task = JSON.parse(taskJson) as ModelStepTask;
  const context = await openLocalContext();
  try {
    const deps: ModelStepDeps = {
      db: context.database.db,
      tracking: context.tracking,
      registry: context.registry,
      approvals: context.approvals,
      datasets: context.datasets,
      log: (line) => process.stdout.write(`${line}\n`),
    };
    if (task.kind === 'register') await runRegisterStep(deps, task);
    else await runGateStep(deps, task);
  } finally {
    await context.close();
  }
}

main(process.argv[2]).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${describeError(error)}\n`, () => process.exit(1));
  },
);
