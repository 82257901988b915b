import { InvalidInputError } from '../../common/errors.js';
import type { CicloConfig } from '../../common/config.js';
import type { StepRuntimeRegistry } from '../kinds/registry.js';
import { BullmqExecutor } from './bullmq.js';
import { LocalExecutor } from './local.js';
import type { Executor } from './types.js';

export type ExecutorFactory = (config: CicloConfig) => Executor;

/**
 * Executors by the name a pipeline (or its environment) gives in `executor:`. Each is created on
 * first use, so a laptop that only runs `local` never connects to Redis.
 */
export class ExecutorRegistry {
  readonly #factories = new Map<string, ExecutorFactory>();
  readonly #open = new Map<string, Executor>();
  readonly #config: CicloConfig;

  constructor(config: CicloConfig) {
    this.#config = config;
  }

  register(name: string, factory: ExecutorFactory): this {
    this.#factories.set(name, factory);
    return this;
  }

  has(name: string): boolean {
    return this.#factories.has(name);
  }

  names(): string[] {
    return [...this.#factories.keys()];
  }

  get(name: string): Executor {
    const open = this.#open.get(name);
    if (open) return open;
    const factory = this.#factories.get(name);
    if (!factory) {
      throw new InvalidInputError(`unknown executor "${name}"`, {
        where: 'executor',
        hint: `known executors: ${this.names().join(', ')}`,
      });
    }
    const executor = factory(this.#config);
    this.#open.set(name, executor);
    return executor;
  }

  async close(): Promise<void> {
    const open = [...this.#open.values()];
    this.#open.clear();
    await Promise.allSettled(open.map((executor) => executor.close()));
  }
}

/** The executors every installation has; `runtimes` are the step kinds a local executor can run (src/app's). */
export function builtinExecutors(config: CicloConfig, runtimes: StepRuntimeRegistry): ExecutorRegistry {
  return new ExecutorRegistry(config)
    .register('local', () => new LocalExecutor({ runtimes }))
    .register(
      'bullmq',
      (current) =>
        new BullmqExecutor({
          ...(current.redisUrl === undefined ? {} : { redisUrl: current.redisUrl }),
          ...(current.queueName === undefined ? {} : { queueName: current.queueName }),
        }),
    );
}
