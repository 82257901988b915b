import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { InvalidStateError } from '../../common/errors.js';
import type { Schema } from '../../store/index.js';
import { findLeaseState, releaseLease, renewLease, takeLease } from './run-store.js';

/**
 * One orchestrator drives a pipeline run at a time. The driver holds a lease on the run row and
 * renews it while it works; a second `drive` or `resume` is refused while the lease is live. A lease
 * whose holder died is taken over: at once when the holder was a process on this host that no longer
 * exists, otherwise when the lease expires. Renewing also reads the cancel flag, so
 * `ciclo pipeline cancel` from any process reaches the driver within one renewal interval.
 */

export interface LeaseOptions {
  /** How long a lease lasts without renewal. */
  ttlMs?: number;
  /** How often the holder renews and checks for a cancel request. */
  renewEveryMs?: number;
  now?: () => number;
}

const DEFAULT_TTL_MS = 15_000;
const DEFAULT_RENEW_MS = 500;

/** `host:pid:nonce` of this process; the nonce tells apart two drivers in one process. */
export function newLeaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** True when the owner names a process on this host that has ended. */
export function isDeadLocalOwner(owner: string): boolean {
  const [host, pid] = owner.split(':');
  if (host !== hostname() || pid === undefined) return false;
  return !isProcessAlive(Number(pid));
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RunLease {
  readonly owner: string;
  readonly #db: Kysely<Schema>;
  readonly #runId: string;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #cancel = new AbortController();
  readonly #timer: NodeJS.Timeout;
  #renewing: Promise<void> = Promise.resolve();

  private constructor(db: Kysely<Schema>, runId: string, owner: string, options: Required<LeaseOptions>) {
    this.#db = db;
    this.#runId = runId;
    this.owner = owner;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now;
    this.#timer = setInterval(() => {
      this.#renewing = this.#renew().catch(() => undefined);
    }, options.renewEveryMs);
    this.#timer.unref();
  }

  /** Takes the lease or throws INVALID_STATE naming the live holder. */
  static async acquire(db: Kysely<Schema>, runId: string, options: LeaseOptions = {}): Promise<RunLease> {
    const resolved: Required<LeaseOptions> = {
      ttlMs: options.ttlMs ?? DEFAULT_TTL_MS,
      renewEveryMs: options.renewEveryMs ?? DEFAULT_RENEW_MS,
      now: options.now ?? Date.now,
    };
    const owner = newLeaseOwner();
    const now = resolved.now();
    const current = await findLeaseState(db, runId);
    if (!current) throw new InvalidStateError(`no pipeline run ${runId}`);
    const free =
      current.lease_owner === null || (current.lease_expires_at ?? 0) < now || isDeadLocalOwner(current.lease_owner);
    if (!free) {
      throw new InvalidStateError(`pipeline run ${runId} is being driven by ${current.lease_owner}`, {
        where: 'pipeline_run_id',
        hint: 'wait for it to finish, or cancel it with `ciclo pipeline cancel`',
      });
    }
    // Compare-and-set on the owner read above: of two processes racing for a free lease, one wins.
    if (!(await takeLease(db, runId, current.lease_owner, owner, now + resolved.ttlMs))) {
      throw new InvalidStateError(`pipeline run ${runId} was just taken by another orchestrator`, {
        where: 'pipeline_run_id',
      });
    }
    const lease = new RunLease(db, runId, owner, resolved);
    if (current.cancel_requested === 1) lease.#cancel.abort();
    return lease;
  }

  /** Aborts when someone asks to cancel the run, or when the lease was lost to another driver. */
  get cancelSignal(): AbortSignal {
    return this.#cancel.signal;
  }

  async release(): Promise<void> {
    clearInterval(this.#timer);
    await this.#renewing;
    await releaseLease(this.#db, this.#runId, this.owner);
  }

  async #renew(): Promise<void> {
    const renewed = await renewLease(this.#db, this.#runId, this.owner, this.#now() + this.#ttlMs);
    if (!renewed || renewed.cancelRequested) this.#cancel.abort();
  }
}
