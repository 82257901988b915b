import { fileURLToPath } from 'node:url';
import type { StepJob, StepRuntimeRegistry } from '../../pipelines/index.js';
// Not through the pipelines index: its built-in runtime registry registers these, so the index imports this module.
import { parseKindConfig, runnerProcess, type StepRuntime } from '../../pipelines/kinds/runtime.js';
import { renderTemplate } from '../../pipelines/templates.js';
import { DedupeConfigSchema, EvaluateConfigSchema, SplitConfigSchema, SqlConfigSchema, ValidateConfigSchema } from './kinds.js';

// Compiled to dist like the ts step runner; src/data/steps and dist/data/steps sit at the same depth.
const RUNNER = fileURLToPath(new URL('../../../dist/data/steps/runner.js', import.meta.url));

/** What the runner process gets: the job's data side, config checked and templates filled in. */
export interface DataStepTask {
  kind: 'sql' | 'dedupe' | 'split' | 'validate' | 'evaluate';
  stepName: string;
  stepRunId: string;
  config: Record<string, unknown>;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  /** The pipeline folder: where a `validate` step's suite and schema files are found. */
  workDir: string;
}

const SCHEMAS = {
  sql: SqlConfigSchema,
  dedupe: DedupeConfigSchema,
  split: SplitConfigSchema,
  validate: ValidateConfigSchema,
  evaluate: EvaluateConfigSchema,
} as const;

function dataRuntime(kind: DataStepTask['kind']): StepRuntime {
  return {
    prepare(job: StepJob) {
      const config: Record<string, unknown> = { ...parseKindConfig(SCHEMAS[kind], job) };
      if (kind === 'sql') config.query = renderTemplate(String(config.query), job);
      const task: DataStepTask = {
        kind,
        stepName: job.stepName,
        stepRunId: job.stepRunId,
        config,
        inputs: job.inputs,
        outputs: job.outputs,
        workDir: job.workDir,
      };
      return runnerProcess(RUNNER, 'data step', task);
    },
  };
}

export function registerDataStepRuntimes(runtimes: StepRuntimeRegistry): StepRuntimeRegistry {
  for (const kind of ['sql', 'dedupe', 'split', 'validate', 'evaluate'] as const) runtimes.register(kind, dataRuntime(kind));
  return runtimes;
}
