import { registerDataStepKinds, registerDataStepRuntimes } from '../data/index.js';
import { registerGateStepKind, registerGateStepRuntime } from '../governance/approvals/index.js';
import {
  coreStepKinds,
  coreStepRuntimes,
  type StepKindRegistry,
  type StepRuntimeRegistry,
} from '../pipelines/index.js';
import { registerModelStepKinds, registerModelStepRuntimes } from '../registry/index.js';
import { packagePath } from '../common/package-files.js';

/**
 * Every step kind an installation has: the pipelines' own (`command`, `ts`), the data kinds (`sql`,
 * `dedupe`, `split`, `validate`, `evaluate`), the registry's `register` and the approvals' `gate`. Each
 * capability brings its kinds; only the composition root knows them all, so pipelines imports none of
 * them.
 */
export function stepKinds(): StepKindRegistry {
  return registerGateStepKind(registerModelStepKinds(registerDataStepKinds(coreStepKinds())));
}

/**
 * The runtimes of those kinds, for the executors that run steps (local, and `ciclo worker` for BullMQ). The built-in
 * kinds other than `command` run one of the programs of src/runners, which import the SDK or this root, so no
 * capability may import them: their paths are handed in from here.
 */
export function stepRuntimes(): StepRuntimeRegistry {
  const runtimes = registerDataStepRuntimes(coreStepRuntimes(stepRunner('ts-step')), stepRunner('data-step'));
  const modelStep = stepRunner('model-step');
  return registerGateStepRuntime(registerModelStepRuntimes(runtimes, modelStep), modelStep);
}

/**
 * A step process is started with plain `node`, so it runs the bundled runner from dist/bin/ (a source
 * checkout needs `npm run build` first, which the runtimes say when it is missing).
 */
function stepRunner(name: 'ts-step' | 'data-step' | 'model-step'): string {
  return packagePath('dist', 'bin', `${name}.js`);
}
