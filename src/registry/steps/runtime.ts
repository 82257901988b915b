import { fileURLToPath } from 'node:url';
import type { StepJob, StepRuntimeRegistry } from '../../pipelines/index.js';
// Not through the pipelines index: its built-in runtime registry registers these, so the index imports this module.
import { parseKindConfig, runnerProcess, type StepRuntime } from '../../pipelines/kinds/runtime.js';
import { GateConfigSchema, RegisterConfigSchema } from './kinds.js';

// Compiled to dist like the data step runner; src/registry/steps and dist/registry/steps sit at the same depth.
const RUNNER = fileURLToPath(new URL('../../../dist/registry/steps/runner.js', import.meta.url));

/** What the runner process gets: the job's model side, config checked. */
export interface ModelStepTask {
  kind: 'register' | 'gate';
  pipelineRunId: string;
  stepName: string;
  stepRunId: string;
  config: Record<string, unknown>;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  /** The pipeline folder: where a `gate` step's policy file is found. */
  workDir: string;
}

const SCHEMAS = { register: RegisterConfigSchema, gate: GateConfigSchema } as const;

function modelRuntime(kind: ModelStepTask['kind']): StepRuntime {
  return {
    prepare(job: StepJob) {
      const config: Record<string, unknown> = { ...parseKindConfig(SCHEMAS[kind], job) };
      const task: ModelStepTask = {
        kind,
        pipelineRunId: job.pipelineRunId,
        stepName: job.stepName,
        stepRunId: job.stepRunId,
        config,
        inputs: job.inputs,
        outputs: job.outputs,
        workDir: job.workDir,
      };
      return runnerProcess(RUNNER, 'model step', task);
    },
  };
}

export function registerModelStepRuntimes(runtimes: StepRuntimeRegistry): StepRuntimeRegistry {
  for (const kind of ['register', 'gate'] as const) runtimes.register(kind, modelRuntime(kind));
  return runtimes;
}
