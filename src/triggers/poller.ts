import type { TriggerSource } from './types.js';

const DURATION = /^(\d+)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `30s`, `500ms`, `5m`, `1h` → milliseconds (the spec's regex already refused anything else). */
export function parseInterval(text: string): number {
  const match = DURATION.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration`);
  return Math.max(1, Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

export interface PollerOptions {
  intervalMs: number;
  /** One look at the source; fires from inside when it sees something new. */
  check: () => Promise<void>;
  /** Called after every check, failed or not (`checked` events; errors are reported, polling goes on). */
  afterCheck: (error: unknown) => void;
  describe: () => string;
}

/**
 * Runs `check` now and then every interval, never two at once: the next check is scheduled when the
 * previous one ends, so a slow digest of a big folder cannot pile up.
 */
export class Poller implements TriggerSource {
  readonly #options: PollerOptions;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;
  #stopped = false;

  constructor(options: PollerOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    this.#tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#current;
  }

  describe(): string {
    return this.#options.describe();
  }

  #tick(): void {
    if (this.#stopped) return;
    this.#current = this.#options
      .check()
      .then(
        () => this.#options.afterCheck(undefined),
        (error: unknown) => this.#options.afterCheck(error),
      )
      .finally(() => {
        this.#current = undefined;
        if (!this.#stopped) this.#timer = setTimeout(() => this.#tick(), this.#options.intervalMs);
      });
  }
}
