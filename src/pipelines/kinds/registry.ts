import { AlreadyExistsError, InvalidInputError } from '../../common/errors.js';
import { commandRuntime } from './command.js';
import type { StepRuntime } from './runtime.js';
import { tsRuntime } from './ts.js';

/** Step runtimes by kind: a later kind registers its own and no executor changes. */
export class StepRuntimeRegistry {
  readonly #runtimes = new Map<string, StepRuntime>();

  register(kind: string, runtime: StepRuntime): this {
    if (this.#runtimes.has(kind))
      throw new AlreadyExistsError(`a runtime for step kind "${kind}" is already registered`);
    this.#runtimes.set(kind, runtime);
    return this;
  }

  get(kind: string): StepRuntime {
    const runtime = this.#runtimes.get(kind);
    if (runtime) return runtime;
    throw new InvalidInputError(`no runtime for step kind "${kind}"`, {
      hint: `this executor runs: ${[...this.#runtimes.keys()].sort().join(', ')}`,
    });
  }
}

/**
 * The runtimes of the pipelines' own kinds, `command` and `ts` (which starts `tsRunner`, the ts step process);
 * src/app/step-kinds.ts adds the data and model ones and says where each runner is.
 */
export function coreStepRuntimes(tsRunner: string): StepRuntimeRegistry {
  return new StepRuntimeRegistry().register('command', commandRuntime).register('ts', tsRuntime(tsRunner));
}
