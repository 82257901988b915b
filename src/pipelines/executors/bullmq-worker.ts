/**
 * The other end of the `bullmq` executor: a worker takes step jobs from the queue and runs each with
 * a `LocalExecutor`, exactly as `executor: local` would on the orchestrator's machine.
 *
 * Workers read a job's inputs and write its outputs and log at the paths the scheduler put in the
 * job (under CICLO_HOME/pipelines/… and the pipeline folder), so every worker must see the same
 * CICLO_HOME and pipeline folders as the orchestrator, at the same paths: one machine, or a shared
 * volume mounted identically. Nothing but the job and its result travels through Redis.
 *
 * A worker that dies mid-step stops renewing its job's lock; another worker's stalled-job check
 * (every `lockMs / 2`) moves the job back to the queue within about twice `lockMs`, and the worker that
 * takes it kills what is left of the dead worker's step (when it ran on this host) before running
 * it again from an empty outputs folder.
 */
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Job } from 'bullmq';
import { InvalidInputError } from '../../common/errors.js';
import { makePrivateDir } from '../../common/private-files.js';
import type { StepRuntimeRegistry } from '../kinds/registry.js';
import {
  cancelChannel,
  cancelKey,
  parseStepProgress,
  resolveQueue,
  withTimeout,
  type QueueLocation,
  type ResolvedQueue,
} from './bullmq.js';
import { LocalExecutor } from './local.js';
import type { StepJob, StepProcessInfo, StepResult } from './types.js';

export interface StepWorkerOptions extends QueueLocation {
  /** How many steps this worker runs at once. */
  concurrency: number;
  /**
   * How long a job's lock lasts without renewal; the stalled-job check runs every half of it. A
   * worker that dies has its job re-taken after roughly twice this.
   */
  lockMs?: number;
  /** How long a cancelled step has between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  /** The kinds it can run: the composition root's, as for the local executor. */
  runtimes: StepRuntimeRegistry;
}

export interface StepWorkerHandle {
  /** `host:pid` of this process, as reported with each step's process. */
  readonly id: string;
  readonly queue: ResolvedQueue;
  readonly concurrency: number;
  /**
   * Stops taking jobs; steps still running are ended and their jobs go back to the queue, so
   * another worker runs them.
   */
  close(): Promise<void>;
}

const DEFAULT_LOCK_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;

export async function startStepWorker(options: StepWorkerOptions): Promise<StepWorkerHandle> {
  const queue = resolveQueue(options);
  const { concurrency } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new InvalidInputError(`concurrency must be a positive integer, got ${concurrency}`, { where: 'concurrency' });
  }
  const lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
  if (!Number.isInteger(lockMs) || lockMs < 200) {
    throw new InvalidInputError(`lock duration must be an integer of at least 200 ms, got ${lockMs}`, {
      where: 'lockMs',
    });
  }
  const id = `${hostname()}:${process.pid}`;
  // Loaded here so that importing the pipelines capability does not load BullMQ.
  const [{ WaitingError, Worker }, { Redis }] = await Promise.all([import('bullmq'), import('ioredis')]);
  const local = new LocalExecutor({
    runtimes: options.runtimes,
    ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
  });
  // Jobs this worker runs now, by id; aborting one ends its step.
  const running = new Map<string, AbortController>();
  const cancelRequested = new Set<string>();
  let stopping = false;

  const redis = new Redis(queue.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  const subscriber = new Redis(queue.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  redis.on('error', () => undefined);
  subscriber.on('error', () => undefined);

  const cancel = (jobId: string) => {
    cancelRequested.add(jobId);
    running.get(jobId)?.abort();
  };

  const processor = async (
    job: Job<StepJob, StepResult>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<StepResult> => {
    const jobId = job.id!;
    const controller = new AbortController();
    running.set(jobId, controller);
    try {
      if ((await redis.exists(cancelKey(queue, jobId))) === 1) cancelRequested.add(jobId);
      if (cancelRequested.has(jobId)) {
        return { status: 'cancelled', exitCode: null, signal: null, durationMs: 0, error: 'cancelled' };
      }
      await takeOver(job);
      const result = await local.run(job.data, {
        signal: signal === undefined ? controller.signal : AbortSignal.any([controller.signal, signal]),
        onStart: (info: StepProcessInfo) => {
          // The executor reports the step's start from this; a worker that re-takes the job after
          // this one died reads it to find the step's process.
          void job.updateProgress({ pid: info.pid, host: info.host, worker: id }).catch(() => undefined);
        },
      });
      if (result.status === 'cancelled' && stopping && !cancelRequested.has(jobId)) {
        // Ended because this worker is stopping, not because anyone cancelled the step: hand the
        // job back so that another worker runs it. Its progress no longer names a live process, so
        // the next worker must not kill by it.
        await job.updateProgress({});
        await job.moveToWait(token);
        throw new WaitingError();
      }
      return result;
    } finally {
      running.delete(jobId);
      cancelRequested.delete(jobId);
    }
  };

  const worker = new Worker<StepJob, StepResult>(queue.queueName, processor, {
    connection: { url: queue.redisUrl },
    prefix: queue.prefix,
    concurrency,
    name: id,
    lockDuration: lockMs,
    stalledInterval: Math.max(100, Math.floor(lockMs / 2)),
    // A job whose worker died goes back to the queue once; dying twice fails it (the scheduler's
    // retries then decide).
    maxStalledCount: 1,
    autorun: false,
  });
  worker.on('error', () => undefined);

  try {
    // Our own clients first: they fail at once when Redis is unreachable, where BullMQ's retry forever.
    await withTimeout(Promise.all([redis.connect(), subscriber.connect()]), CONNECT_TIMEOUT_MS, 'timed out');
    await subscriber.subscribe(cancelChannel(queue));
    subscriber.on('message', (_channel: string, jobId: string) => cancel(jobId));
    void worker.run().catch(() => undefined);
    await withTimeout(worker.waitUntilReady(), CONNECT_TIMEOUT_MS, 'timed out');
  } catch (error) {
    await worker.close(true).catch(() => undefined);
    redis.disconnect();
    subscriber.disconnect();
    throw new Error(`could not connect to Redis at ${queue.redisUrl}: ${(error as Error).message}`, { cause: error });
  }

  return {
    id,
    queue,
    concurrency,
    close: async () => {
      if (stopping) return;
      stopping = true;
      for (const controller of running.values()) controller.abort();
      await worker.close();
      await local.close();
      subscriber.disconnect();
      redis.disconnect();
    },
  };
}

/**
 * A job taken over from a worker that died: the dead worker's step may still run (it lives in a
 * process group of its own) and would write to the same outputs. When it ran on this host it is
 * killed here; its partial outputs are removed either way.
 */
async function takeOver(job: Job<StepJob, StepResult>): Promise<void> {
  const previous = parseStepProgress(job.progress);
  if (!previous) return;
  if (previous.host === hostname()) {
    try {
      process.kill(-previous.pid, 'SIGKILL');
    } catch {
      // ESRCH: the group ended with its worker already.
    }
    for (let tries = 0; tries < 50 && groupExists(previous.pid); tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  await rm(job.data.outputDir, { recursive: true, force: true });
  await makePrivateDir(job.data.outputDir);
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
