import { RateLimitedError } from '../../common/errors.js';

export interface FailedAuthLimits {
  /** Failures allowed from one address within the window; the next attempt is refused. Default 10. */
  maxFailures?: number;
  /** Default 60 s. */
  windowMs?: number;
}

/**
 * Counts failed authentications per client address in a fixed window; once an address has used up
 * its failures, every attempt from it (good tokens too) is refused until the window ends, so a
 * token cannot be guessed by volume. In memory: each server process counts its own.
 */
export class FailedAuthLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #failures = new Map<string, { count: number; windowStart: number }>();

  constructor(limits: FailedAuthLimits = {}, now: () => number = Date.now) {
    this.#max = limits.maxFailures ?? 10;
    this.#windowMs = limits.windowMs ?? 60_000;
    this.#now = now;
  }

  /** Throws RATE_LIMITED when the address has no attempts left in its window. */
  check(address: string): void {
    const entry = this.#current(address);
    if (entry !== undefined && entry.count >= this.#max) {
      const retryAfter = Math.max(1, Math.ceil((entry.windowStart + this.#windowMs - this.#now()) / 1000));
      throw new RateLimitedError(
        `too many failed authentications from ${address}; try again in ${retryAfter} s`,
        retryAfter,
        {
          hint: 'Check the token (`ciclo tokens list` shows which exist); failures are limited per address.',
        },
      );
    }
  }

  fail(address: string): void {
    const entry = this.#current(address);
    if (entry === undefined) this.#failures.set(address, { count: 1, windowStart: this.#now() });
    else entry.count += 1;
    if (this.#failures.size > 10_000) this.#prune();
  }

  #current(address: string): { count: number; windowStart: number } | undefined {
    const entry = this.#failures.get(address);
    if (entry !== undefined && this.#now() - entry.windowStart >= this.#windowMs) {
      this.#failures.delete(address);
      return undefined;
    }
    return entry;
  }

  #prune(): void {
    const now = this.#now();
    for (const [address, entry] of this.#failures)
      if (now - entry.windowStart >= this.#windowMs) this.#failures.delete(address);
  }
}
