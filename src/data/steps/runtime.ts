import { fileURLToPath } from 'node:url';
import type { StepJob, StepRuntimeRegistry } from '../../pipelines/index.js';
// Not through the pipelines index: its built-in runtime registry registers these, so the index imports this module.
import { parseKindConfig, runnerProcess, type RunnerTask, type StepRuntime } from '../../pipelines/kinds/runtime.js';
import { renderTemplate } from '../../pipelines/definition/templates.js';
import { DedupeConfigSchema, EvaluateConfigSchema, SplitConfigSchema, SqlConfigSchema, ValidateConfigSchema } from './kinds.js';

// Compiled to dist like the ts step runner; src/data/steps and dist/data/steps sit at the same depth.
const RUNNER = fileURLToPath(new URL('../../../dist/data/steps/runner.js', import.meta.url));

/** What the runner process gets: the job's data side, config checked and templates filled in. */
export type DataStepTask = RunnerTask<'sql' | 'dedupe' | 'split' | 'validate' | 'evaluate'>;

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
      return runnerProcess(RUNNER, 'data step', kind, job, config);
    },
  };
}

export function registerDataStepRuntimes(runtimes: StepRuntimeRegistry): StepRuntimeRegistry {
  for (const kind of ['sql', 'dedupe', 'split', 'validate', 'evaluate'] as const) runtimes.register(kind, dataRuntime(kind));
  return runtimes;
}
