import { z } from 'zod';
import { AlreadyExistsError, InvalidInputError } from '../../common/errors.js';
import { STEP_FIELDS } from './definition.js';
import { checkTsStepModule } from '../kinds/ts-exports.js';

/**
 * What a step kind contributes to a definition: the schema of its own fields. A kind's fields sit
 * next to the common step fields when authored, so its schema is an object whose keys must not
 * collide with them; the registry makes it strict so a misspelt field is an error, not a no-op.
 */
export interface StepKind<C = Record<string, unknown>> {
  configSchema: z.ZodObject;
  /** One line for people (CLI, UI): what a step of this kind does with this config. */
  describe?(config: C): string;
  /**
   * What the schema cannot tell, checked when the pipeline is loaded (before anything runs): that the files the
   * config names are there and say what it expects. Throws a CicloError naming the step's field.
   */
  check?(config: C, step: { name: string; workDir: string }): Promise<void>;
}

export class StepKindRegistry {
  readonly #kinds = new Map<string, StepKind>();

  register<C>(kind: string, spec: StepKind<C>): this {
    if (this.#kinds.has(kind)) throw new AlreadyExistsError(`step kind "${kind}" is already registered`);
    const clashing = Object.keys(spec.configSchema.shape).filter((key) => STEP_FIELDS.has(key));
    if (clashing.length > 0) {
      throw new InvalidInputError(`step kind "${kind}" declares fields every step already has: ${clashing.join(', ')}`);
    }
    this.#kinds.set(kind, { ...(spec as StepKind), configSchema: spec.configSchema.strict() });
    return this;
  }

  has(kind: string): boolean {
    return this.#kinds.has(kind);
  }

  get(kind: string): StepKind {
    const found = this.#kinds.get(kind);
    if (found) return found;
    throw new InvalidInputError(`unknown step kind "${kind}"`, {
      hint: `use one of the known kinds: ${this.kinds().join(', ')}`,
    });
  }

  kinds(): string[] {
    return [...this.#kinds.keys()].sort();
  }
}

export const CommandConfigSchema = z.object({
  command: z.union([z.string().min(1), z.array(z.string()).min(1)], {
    error: 'expected a command line or a non-empty list of arguments',
  }),
  cwd: z.string().min(1).optional(),
});
export type CommandConfig = z.output<typeof CommandConfigSchema>;

export const TsConfigSchema = z.object({
  module: z.string().min(1),
  export: z.string().min(1).default('default'),
});
export type TsConfig = z.output<typeof TsConfigSchema>;

/**
 * The kinds the pipelines capability itself runs: `command` and `ts`. The data and model kinds
 * (`sql`, `validate`, `register`, …) belong to their capabilities and are added by the composition
 * root (src/app/step-kinds.ts), so pipelines imports neither.
 */
export function coreStepKinds(): StepKindRegistry {
  return new StepKindRegistry()
    .register<CommandConfig>('command', {
      configSchema: CommandConfigSchema,
      describe: ({ command }) => (typeof command === 'string' ? command : command.join(' ')),
    })
    .register<TsConfig>('ts', {
      configSchema: TsConfigSchema,
      describe: (config) => `${config.module}#${config.export}`,
      check: checkTsStepModule,
    });
}
