import {
  parseKindConfig,
  runnerProcess,
  type RunnerTask,
  type StepJob,
  type StepRuntime,
  type StepRuntimeRegistry,
} from '../../pipelines/index.js';
import { GateConfigSchema, RegisterConfigSchema } from './kinds.js';

/** What the runner process gets: the job's model side, config checked. */
export type ModelStepTask = RunnerTask<'register' | 'gate'>;

const SCHEMAS = { register: RegisterConfigSchema, gate: GateConfigSchema } as const;

function modelRuntime(kind: ModelStepTask['kind'], runner: string): StepRuntime {
  return {
    prepare(job: StepJob) {
      const config: Record<string, unknown> = { ...parseKindConfig(SCHEMAS[kind], job) };
      return runnerProcess(runner, 'model step', kind, job, config);
    },
  };
}

/** The model kinds' runtimes: each starts `runner` (the model step process, src/runners/model-step.ts). */
export function registerModelStepRuntimes(runtimes: StepRuntimeRegistry, runner: string): StepRuntimeRegistry {
  for (const kind of ['register', 'gate'] as const) runtimes.register(kind, modelRuntime(kind, runner));
  return runtimes;
}
