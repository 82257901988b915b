// Types only: BullMQ and ioredis are loaded on first use, so the CLI commands and processes that
// never touch a queue do not pay a few hundred milliseconds for loading them.
import type { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { InvalidInputError, InvalidStateError } from '../../common/errors.js';
import { InFlightSteps } from './in-flight.js';
import type { Executor, RunOptions, StepJob, StepProcessInfo, StepResult } from './types.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_QUEUE_NAME = 'ciclo-steps';
/** BullMQ's own default key prefix; every key and channel of a queue starts with `<prefix>:<queue>:`. */
export const DEFAULT_QUEUE_PREFIX = 'bull';

export interface QueueLocation {
  /** Redis URL (`redis://` or `rediss://`). */
  redisUrl?: string;
  queueName?: string;
  /** Redis key prefix of the queue (BullMQ's `prefix`). */
  prefix?: string;
}

export interface BullmqExecutorOptions extends QueueLocation {
  /**
   * How often the executor also reads a job's state from Redis, besides listening to the queue's
   * events: an event stream read can miss events around a reconnection, a poll cannot.
   */
  pollMs?: number;
  /** After a cancel, how long to wait for the worker to report the step ended before giving up on it. */
  cancelGraceMs?: number;
  /** How long a finished job's record is kept in Redis (for inspection and idempotent re-adds). */
  keepFinishedMs?: number;
  /** How long connecting to Redis may take before `run` rejects. */
  connectTimeoutMs?: number;
}

/** Where one queue lives, with defaults filled in and the URL checked. */
export interface ResolvedQueue {
  redisUrl: string;
  queueName: string;
  prefix: string;
}

export function resolveQueue(location: QueueLocation): ResolvedQueue {
  const redisUrl = location.redisUrl ?? DEFAULT_REDIS_URL;
  let protocol: string;
  try {
    protocol = new URL(redisUrl).protocol;
  } catch {
    throw new InvalidInputError(`not a Redis URL: ${redisUrl}`, {
      where: 'CICLO_REDIS_URL',
      hint: 'e.g. redis://127.0.0.1:6379',
    });
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new InvalidInputError(`not a Redis URL: ${redisUrl}`, {
      where: 'CICLO_REDIS_URL',
      hint: 'use redis:// or rediss://',
    });
  }
  const queueName = location.queueName ?? DEFAULT_QUEUE_NAME;
  // BullMQ builds keys as `<prefix>:<queue>:…`, so a ':' in either would make them ambiguous.
  if (!/^[A-Za-z0-9._-]+$/.test(queueName)) {
    throw new InvalidInputError(`invalid queue name "${queueName}"`, {
      where: 'queue',
      hint: 'use letters, digits, ".", "_" or "-"',
    });
  }
  const prefix = location.prefix ?? DEFAULT_QUEUE_PREFIX;
  if (prefix === '' || prefix.includes(':')) {
    throw new InvalidInputError(`invalid queue prefix "${prefix}"`, {
      where: 'prefix',
      hint: 'a non-empty name without ":"',
    });
  }
  return { redisUrl, queueName, prefix };
}

/**
 * The job id of one attempt of one step: the same attempt added twice is the same job. BullMQ
 * refuses ':' in custom ids and ids that parse as integers, hence the separator and the `step.` head.
 */
export function stepJobId(job: Pick<StepJob, 'pipelineRunId' | 'stepName' | 'attempt'>): string {
  return ['step', job.pipelineRunId, job.stepName, String(job.attempt)]
    .map((part) => part.replaceAll(':', '_'))
    .join('.');
}

/** The pub/sub channel on which executors ask workers to cancel a job; the message is the job id. */
export function cancelChannel(queue: ResolvedQueue): string {
  return `${queue.prefix}:${queue.queueName}:ciclo:cancel`;
}

/**
 * Set before a cancel is published, so that a worker that takes the job just after the message went
 * out (pub/sub does not keep messages) still sees it.
 */
export function cancelKey(queue: ResolvedQueue, jobId: string): string {
  return `${queue.prefix}:${queue.queueName}:ciclo:cancelled:${jobId}`;
}

/** How long a cancel request outlives its publication. */
export const CANCEL_KEY_TTL_MS = 24 * 60 * 60 * 1000;

const StepResultSchema = z.object({
  status: z.enum(['succeeded', 'failed', 'timed_out', 'cancelled']),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  durationMs: z.number(),
  error: z.string().optional(),
});

const ProgressSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  worker: z.string().optional(),
});

/** The `{pid, host, worker}` a worker writes as job progress when the step's process started, if it is one. */
export function parseStepProgress(value: unknown): StepProcessInfo | undefined {
  const parsed = ProgressSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const { pid, host, worker } = parsed.data;
  return { pid, host, ...(worker === undefined ? {} : { worker }) };
}

function resultOf(value: unknown): StepResult {
  const parsed = StepResultSchema.safeParse(value);
  if (parsed.success) {
    const { error, ...rest } = parsed.data;
    return { ...rest, ...(error === undefined ? {} : { error }) };
  }
  return failedResult('the worker returned no step result');
}

function failedResult(error: string): StepResult {
  return { status: 'failed', exitCode: null, signal: null, durationMs: 0, error };
}

function cancelledResult(): StepResult {
  return { status: 'cancelled', exitCode: null, signal: null, durationMs: 0, error: 'cancelled' };
}

type StepQueueJob = Job<StepJob, StepResult>;

/** What a job being waited on is told by the queue's event stream. */
interface JobWatcher {
  completed(returnvalue: unknown): void;
  failed(reason: string): void;
  progress(data: unknown): void;
}

/**
 * Runs steps on `ciclo worker` processes through a BullMQ queue in Redis. The queue only carries the
 * job and its result: workers read inputs and write outputs and logs at the job's paths, so they
 * must see the orchestrator's CICLO_HOME and pipeline folder (a shared volume).
 */
export class BullmqExecutor implements Executor {
  readonly queue: ResolvedQueue;
  readonly #pollMs: number;
  readonly #cancelGraceMs: number;
  readonly #keepFinishedSeconds: number;
  readonly #connectTimeoutMs: number;
  readonly #inFlight = new InFlightSteps('bullmq');
  /** One listener per event type dispatches by job id, rather than a listener per waiting job. */
  readonly #watchers = new Map<string, JobWatcher>();
  #connections: Promise<{ queue: Queue<StepJob, StepResult>; events: QueueEvents; redis: Redis }> | undefined;

  constructor(options: BullmqExecutorOptions = {}) {
    this.queue = resolveQueue(options);
    this.#pollMs = options.pollMs ?? 1000;
    this.#cancelGraceMs = options.cancelGraceMs ?? 30_000;
    this.#keepFinishedSeconds = Math.ceil((options.keepFinishedMs ?? 24 * 60 * 60 * 1000) / 1000);
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  async run(job: StepJob, options: RunOptions): Promise<StepResult> {
    return this.#inFlight.track(this.#run(job, options, this.#inFlight.signalFor(options.signal)));
  }

  /** Cancels the steps still waiting on a result, waits for them, then closes the connections. */
  async close(): Promise<void> {
    await this.#inFlight.close();
    const connections = this.#connections;
    this.#connections = undefined;
    if (!connections) return;
    const opened = await connections.catch(() => undefined);
    if (!opened) return;
    await Promise.allSettled([opened.events.close(), opened.queue.close()]);
    opened.redis.disconnect();
  }

  #connect(): Promise<{ queue: Queue<StepJob, StepResult>; events: QueueEvents; redis: Redis }> {
    this.#connections ??= (async () => {
      const [{ Queue, QueueEvents }, { Redis }] = await Promise.all([import('bullmq'), import('ioredis')]);
      const url = this.queue.redisUrl;
      const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
      // Errors surface through the awaited calls; without listeners they would also crash the process.
      redis.on('error', () => undefined);
      try {
        // Our own client first: it fails at once when Redis is unreachable, where BullMQ's retry forever.
        await withTimeout(redis.connect(), this.#connectTimeoutMs, 'timed out');
      } catch (error) {
        redis.disconnect();
        this.#connections = undefined;
        throw new Error(`could not connect to Redis at ${url}: ${(error as Error).message}`, { cause: error });
      }
      const connection = { url };
      const queue = new Queue<StepJob, StepResult>(this.queue.queueName, { connection, prefix: this.queue.prefix });
      const events = new QueueEvents(this.queue.queueName, { connection, prefix: this.queue.prefix });
      queue.on('error', () => undefined);
      events.on('error', () => undefined);
      events.on('completed', ({ jobId, returnvalue }) => this.#watchers.get(jobId)?.completed(returnvalue));
      events.on('failed', ({ jobId, failedReason }) => this.#watchers.get(jobId)?.failed(failedReason));
      events.on('progress', ({ jobId, data }) => this.#watchers.get(jobId)?.progress(data));
      try {
        await withTimeout(
          Promise.all([queue.waitUntilReady(), events.waitUntilReady()]),
          this.#connectTimeoutMs,
          'timed out',
        );
      } catch (error) {
        await Promise.allSettled([events.close(), queue.close()]);
        redis.disconnect();
        this.#connections = undefined;
        throw new Error(`could not connect to Redis at ${url}: ${(error as Error).message}`, { cause: error });
      }
      return { queue, events, redis };
    })();
    return this.#connections;
  }

  async #run(job: StepJob, options: RunOptions, signal: AbortSignal): Promise<StepResult> {
    if (signal.aborted) return cancelledResult();
    const { queue, redis } = await this.#connect();
    if (signal.aborted) return cancelledResult();
    const jobId = stepJobId(job);
    await this.#enqueue(queue, redis, jobId, job);
    return this.#awaitResult(queue, redis, jobId, options, signal);
  }

  /**
   * Adds the job unless this very attempt (same tracked run) is queued already. A job with the same
   * id left by an earlier drive of the same attempt (its orchestrator died; the scheduler re-runs
   * the attempt under a new tracked run) is ended and replaced.
   */
  async #enqueue(queue: Queue<StepJob, StepResult>, redis: Redis, jobId: string, job: StepJob): Promise<void> {
    const existing = await queue.getJob(jobId);
    if (existing) {
      if (existing.data.stepRunId === job.stepRunId) return;
      await this.#replaceStale(queue, redis, existing, jobId);
    }
    await redis.del(cancelKey(this.queue, jobId));
    await queue.add(job.stepName, job, {
      jobId,
      attempts: 1,
      removeOnComplete: { age: this.#keepFinishedSeconds },
      removeOnFail: { age: this.#keepFinishedSeconds },
    });
  }

  async #replaceStale(
    queue: Queue<StepJob, StepResult>,
    redis: Redis,
    stale: StepQueueJob,
    jobId: string,
  ): Promise<void> {
    const deadline = Date.now() + this.#cancelGraceMs;
    let asked = false;
    for (;;) {
      const state = await stale.getState();
      if (state === 'unknown' || (await queue.remove(jobId)) === 1) return;
      // Locked by a worker: the stale attempt is still running somewhere; ask it to stop and wait.
      if (state === 'active' && !asked) {
        await this.#requestCancel(redis, jobId);
        asked = true;
      }
      if (Date.now() > deadline) {
        throw new InvalidStateError(`job ${jobId} of an earlier drive is still held by a worker`, {
          where: 'executor',
          hint: 'wait for the worker to finish it, or stop that worker',
        });
      }
      await delay(Math.min(this.#pollMs, 200));
    }
  }

  async #requestCancel(redis: Redis, jobId: string): Promise<void> {
    await redis.set(cancelKey(this.queue, jobId), '1', 'PX', CANCEL_KEY_TTL_MS);
    await redis.publish(cancelChannel(this.queue), jobId);
  }

  #awaitResult(
    queue: Queue<StepJob, StepResult>,
    redis: Redis,
    jobId: string,
    options: RunOptions,
    signal: AbortSignal,
  ): Promise<StepResult> {
    return new Promise<StepResult>((resolve) => {
      let settled = false;
      let cancelling = false;
      let graceTimer: NodeJS.Timeout | undefined;
      const reported = new Set<string>();
      const report = (progress: unknown) => {
        const info = parseStepProgress(progress);
        if (!info) return;
        // Reported again when another worker re-takes the job: the step then runs in a new process.
        const key = `${info.worker ?? ''}/${info.host}/${info.pid}`;
        if (reported.has(key)) return;
        reported.add(key);
        options.onStart?.(info);
      };
      const poll = async () => {
        const current = await queue.getJob(jobId).catch(() => null);
        if (settled) return;
        if (current === null) return; // a transient read error
        if (current === undefined) {
          settle(cancelling ? cancelledResult() : failedResult(`job ${jobId} disappeared from the queue`));
          return;
        }
        report(current.progress);
        if (current.finishedOn === undefined) return;
        if (current.failedReason) settle(failedResult(current.failedReason));
        else settle(resultOf(current.returnvalue));
      };
      const timer = setInterval(() => void poll(), this.#pollMs);
      const onAbort = () => {
        cancelling = true;
        void (async () => {
          await this.#requestCancel(redis, jobId).catch(() => undefined);
          // A job no worker has taken yet is simply removed; a taken one ends when its worker reports.
          const removed = await queue.remove(jobId).catch(() => 0);
          if (removed === 1) settle(cancelledResult());
          else graceTimer = setTimeout(() => settle(cancelledResult()), this.#cancelGraceMs);
        })();
      };
      const settle = (result: StepResult) => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        clearTimeout(graceTimer);
        if (this.#watchers.get(jobId) === watcher) this.#watchers.delete(jobId);
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const watcher: JobWatcher = {
        completed: (returnvalue) => settle(resultOf(returnvalue)),
        failed: (reason) => settle(failedResult(reason)),
        progress: report,
      };
      this.#watchers.set(jobId, watcher);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      // The job may have finished before the listeners were attached (a re-added attempt).
      void poll();
    });
  }
}

/** Rejects with `message` when `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
