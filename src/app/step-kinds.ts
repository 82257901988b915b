import { registerDataStepKinds, registerDataStepRuntimes } from '../data/index.js';
import { coreStepKinds, coreStepRuntimes, type StepKindRegistry, type StepRuntimeRegistry } from '../pipelines/index.js';
import { registerModelStepKinds, registerModelStepRuntimes } from '../registry/index.js';

/**
 * Every step kind an installation has: the pipelines' own (`command`, `ts`), the data kinds (`sql`,
 * `dedupe`, `split`, `validate`, `evaluate`) and the model kinds (`register`, `gate`). Each capability
 * brings its kinds; only the composition root knows them all, so pipelines imports neither data nor
 * the registry.
 */
export function stepKinds(): StepKindRegistry {
  return registerModelStepKinds(registerDataStepKinds(coreStepKinds()));
}

/** The runtimes of those kinds, for the executors that run steps (local, and `ciclo worker` for BullMQ). */
export function stepRuntimes(): StepRuntimeRegistry {
  return registerModelStepRuntimes(registerDataStepRuntimes(coreStepRuntimes()));
}
