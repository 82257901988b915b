import { z } from 'zod';
import type { StepKindRegistry } from '../../pipelines/index.js';

/**
 * The model step kinds. `register` makes a model package produced upstream a version of a
 * registered model; `gate` evaluates the model's approval policy against that version, approves it
 * when the policy says so, and fails the step when a gate fails. Both run in a child process like
 * every step (src/runners/model-step.ts) and reach the orchestrator's store through the CICLO_*
 * variables it gives its steps.
 */

const InputName = z.string().min(1);

export const RegisterConfigSchema = z.object({
  /** The registered model's name. */
  model: z.string().min(1),
  /** The input holding the package folder: the input named `model`, else the only input, when omitted. */
  package: InputName.optional(),
  description: z.string().max(5000).optional(),
  tags: z.record(z.string().min(1), z.string()).optional(),
  /** The declared output the version reference (JSON) goes to; the only output when omitted. */
  output: InputName.optional(),
});
export type RegisterConfig = z.output<typeof RegisterConfigSchema>;

export const GateConfigSchema = z.object({
  /** The policy YAML, relative to the pipeline folder. */
  policy: z.string().min(1),
  /** The input holding the `register` step's version reference; the only input when omitted. */
  input: InputName.optional(),
  /** A failed gate fails the step; `false` records the result and lets the pipeline go on. */
  fail_on_reject: z.boolean().default(true),
  /** The declared output the decision (JSON) goes to; the only output, if any, when omitted. */
  output: InputName.optional(),
});
export type GateConfig = z.output<typeof GateConfigSchema>;

export function registerModelStepKinds(kinds: StepKindRegistry): StepKindRegistry {
  return kinds
    .register<RegisterConfig>('register', { configSchema: RegisterConfigSchema, describe: (config) => `register as model ${config.model}` })
    .register<GateConfig>('gate', { configSchema: GateConfigSchema, describe: (config) => `gate on ${config.policy}` });
}
