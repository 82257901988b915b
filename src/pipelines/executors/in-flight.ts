import { InvalidStateError } from '../../common/errors.js';

/**
 * The steps an executor has in flight and the signal that ends them when it closes: `close()`
 * cancels every step still running and waits for each to report back.
 */
export class InFlightSteps {
  readonly #closing = new AbortController();
  readonly #running = new Set<Promise<unknown>>();

  readonly #executorName: string;

  constructor(executorName: string) {
    this.#executorName = executorName;
  }

  /** The caller's signal, also aborted when the executor closes; throws once it is closed. */
  signalFor(signal: AbortSignal): AbortSignal {
    if (this.#closing.signal.aborted) throw new InvalidStateError(`the ${this.#executorName} executor is closed`);
    return AbortSignal.any([signal, this.#closing.signal]);
  }

  async track<T>(running: Promise<T>): Promise<T> {
    this.#running.add(running);
    try {
      return await running;
    } finally {
      this.#running.delete(running);
    }
  }

  async close(): Promise<void> {
    this.#closing.abort();
    await Promise.allSettled(this.#running);
  }
}
