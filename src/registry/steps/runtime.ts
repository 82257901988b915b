import {
  parseKindConfig,
  runnerProcess,
  type RunnerTask,
  type StepJob,
  type StepRuntime,
  type StepRuntimeRegistry,
} from '../../pipelines/index.js';
import { RegisterConfigSchema } from './kinds.js';

/** What the runner process gets: the job's model side, config checked. */
export type ModelStepTask = RunnerTask<'register'>;

function registerRuntime(runner: string): StepRuntime {
  return {
    prepare(job: StepJob) {
      const config: Record<string, unknown> = { ...parseKindConfig(RegisterConfigSchema, job) };
      return runnerProcess(runner, 'model step', 'register', job, config);
    },
  };
}

/** The `register` runtime: it starts `runner` (the model step process, src/runners/model-step.ts). */
export function registerModelStepRuntimes(runtimes: StepRuntimeRegistry, runner: string): StepRuntimeRegistry {
  return runtimes.register('register', registerRuntime(runner));
}
