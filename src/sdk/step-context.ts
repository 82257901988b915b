import type { StepContext } from '../pipelines/index.js';
import type { ActiveRun } from './active-run.js';

/** The context a `ts` step's function receives (src/runners/ts-step.ts): the pipeline's data and its tracked run. */
export interface StepRunContext extends StepContext {
  /**
   * The step's tracked run, for `log({auc})`, `logParams`, `logArtifact`; connects on first call
   * (to CICLO_TRACKING_URI, or the embedded store the pipeline uses) and is flushed when the step returns.
   */
  run(): Promise<ActiveRun>;
}
