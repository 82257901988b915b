import {
  parseKindConfig,
  renderTemplate,
  runnerProcess,
  type RunnerTask,
  type StepJob,
  type StepRuntime,
  type StepRuntimeRegistry,
} from '../../pipelines/index.js';
import {
  DedupeConfigSchema,
  EvaluateConfigSchema,
  SplitConfigSchema,
  SqlConfigSchema,
  ValidateConfigSchema,
} from './kinds.js';

/** What the runner process gets: the job's data side, config checked and templates filled in. */
export type DataStepTask = RunnerTask<'sql' | 'dedupe' | 'split' | 'validate' | 'evaluate'>;

const SCHEMAS = {
  sql: SqlConfigSchema,
  dedupe: DedupeConfigSchema,
  split: SplitConfigSchema,
  validate: ValidateConfigSchema,
  evaluate: EvaluateConfigSchema,
} as const;

function dataRuntime(kind: DataStepTask['kind'], runner: string): StepRuntime {
  return {
    prepare(job: StepJob) {
      const config: Record<string, unknown> = { ...parseKindConfig(SCHEMAS[kind], job) };
      if (kind === 'sql') config.query = renderTemplate(String(config.query), job);
      return runnerProcess(runner, 'data step', kind, job, config);
    },
  };
}

/** The data kinds' runtimes: each starts `runner` (the data step process, src/runners/data-step.ts). */
export function registerDataStepRuntimes(runtimes: StepRuntimeRegistry, runner: string): StepRuntimeRegistry {
  for (const kind of ['sql', 'dedupe', 'split', 'validate', 'evaluate'] as const) {
    runtimes.register(kind, dataRuntime(kind, runner));
  }
  return runtimes;
}
