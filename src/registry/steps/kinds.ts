import { z } from 'zod';
import type { StepKindRegistry } from '../../pipelines/index.js';

/**
 * The registry's step kind: `register` makes a model package produced upstream a version of a
 * registered model (the approvals' `gate` step then judges it). It runs in a child process like
 * every step (src/runners/model-step.ts) and reaches the orchestrator's store through the CICLO_*
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

export function registerModelStepKinds(kinds: StepKindRegistry): StepKindRegistry {
  return kinds.register<RegisterConfig>('register', {
    configSchema: RegisterConfigSchema,
    describe: (config) => `register as model ${config.model}`,
  });
}
