import { z } from 'zod';
import {
  parseKindConfig,
  runnerProcess,
  type RunnerTask,
  type StepJob,
  type StepKindRegistry,
  type StepRuntimeRegistry,
} from '../../../pipelines/index.js';

/**
 * The `gate` step kind: evaluates the model's approval policy against the version a `register` step
 * output, approves it when the policy says so, and fails the step when a gate fails. It runs in the
 * model step process (src/runners/model-step.ts), like `register`, over the orchestrator's store.
 */
export const GateConfigSchema = z.object({
  /** The policy YAML, relative to the pipeline folder. */
  policy: z.string().min(1),
  /** The input holding the `register` step's version reference; the only input when omitted. */
  input: z.string().min(1).optional(),
  /** A failed gate fails the step; `false` records the result and lets the pipeline go on. */
  fail_on_reject: z.boolean().default(true),
  /** The declared output the decision (JSON) goes to; the only output, if any, when omitted. */
  output: z.string().min(1).optional(),
});
export type GateConfig = z.output<typeof GateConfigSchema>;

/** What the model step process gets for a `gate` step: the job's model side, config checked. */
export type GateStepTask = RunnerTask<'gate'>;

export function registerGateStepKind(kinds: StepKindRegistry): StepKindRegistry {
  return kinds.register<GateConfig>('gate', {
    configSchema: GateConfigSchema,
    describe: (config) => `gate on ${config.policy}`,
  });
}

/** The `gate` runtime: it starts `runner` (the model step process). */
export function registerGateStepRuntime(runtimes: StepRuntimeRegistry, runner: string): StepRuntimeRegistry {
  return runtimes.register('gate', {
    prepare(job: StepJob) {
      const config: Record<string, unknown> = { ...parseKindConfig(GateConfigSchema, job) };
      return runnerProcess(runner, 'model step', 'gate', job, config);
    },
  });
}
