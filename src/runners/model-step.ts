/**
 * The process a model step (`register`, `gate`) runs in: `model-step <task JSON>`. It opens the store
 * the CICLO_* variables name (the orchestrator's, passed to every step), runs the step, prints what
 * it did and exits 0, or prints the error and exits 1. CICLO_TRACKING_URI is ignored here: the
 * registry and the approvals are not served to steps over REST.
 */
import { openLocalContext } from '../app/context.js';
import { describeError } from '../common/errors.js';
import { runGateStep, type GateStepTask } from '../governance/approvals/index.js';
import { runRegisterStep, type ModelStepTask } from '../registry/index.js';

async function main(taskJson: string | undefined): Promise<void> {
  if (!taskJson) throw new Error('usage: model-step <task JSON>');
  const task = JSON.parse(taskJson) as ModelStepTask | GateStepTask;
  const context = await openLocalContext();
  const log = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const { pipelines, tracking, registry, datasets } = context;
    if (task.kind === 'register') {
      await runRegisterStep({ pipelines, tracking, registry, datasets, log }, task);
    } else {
      await runGateStep({ tracking, registry, approvals: context.approvals, log }, task);
    }
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
