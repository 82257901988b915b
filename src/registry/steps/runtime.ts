import { fileURLToPath } from 'node:url';
import type { StepJob, StepRuntimeRegistry } from '../../pipelines/index.js';
// Not through the pipelines index: its built-in runtime registry registers these, so the index imports this module.
import { parseKindConfig, runnerProcess, type RunnerTask, type StepRuntime } from '../../pipelines/kinds/runtime.js';
import { GateConfigSchema, RegisterConfigSchema } from './kinds.js';

// Compiled to dist like the data step runner; src/registry/steps and dist/registry/steps sit at the same depth.
const RUNNER = fileURLToPath(new URL('../../../dist/registry/steps/runner.js', import.meta.url));

/** What the runner process gets: the job's model side, config checked. */
export type ModelStepTask = RunnerTask<'register' | 'gate'>;

const SCHEMAS = { register: RegisterConfigSchema, gate: GateConfigSchema } as const;

function modelRuntime(kind: ModelStepTask['kind']): StepRuntime {
  return {
    prepare(job: StepJob) {
      const config: Record<string, unknown> = { ...parseKindConfig(SCHEMAS[kind], job) };
      return runnerProcess(RUNNER, 'model step', kind, job, config);
    },
  };
}

export function registerModelStepRuntimes(runtimes: StepRuntimeRegistry): StepRuntimeRegistry {
  for (const kind of ['register', 'gate'] as const) runtimes.register(kind, modelRuntime(kind));
  return runtimes;
}
