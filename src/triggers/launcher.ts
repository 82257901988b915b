import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidStateError } from '../common/errors.js';
import type { PipelineService } from '../pipelines/index.js';
import type { TriggerStateStore } from './state-store.js';
import type { FireOutcome, TriggerEventListener, TriggerTarget } from './types.js';

export interface LauncherOptions {
  pipelines: PipelineService;
  state: TriggerStateStore;
  onEvent: TriggerEventListener;
  /** How often a queued run looks whether the run before it (maybe another process's) has ended. */
  waitPollMs?: number;
}

const DEFAULT_WAIT_POLL_MS = 250;
/** Recovery looks at this many unfinished runs per pipeline; more would mean something else is wrong. */
const RECOVERY_LIMIT = 1000;

/**
 * Turns firings into runs, one lane per pipeline. The queue is the store itself: a queued firing is a
 * PENDING run (recorded by `start`, with its trigger and payload), so `countActiveRuns` is the one
 * count every decision reads and a restart finds the queue again. A lane drives its runs one after
 * another; before each it waits until no other live run of the pipeline (e.g. one started by hand
 * from the CLI) is RUNNING.
 */
export class TriggerLauncher {
  readonly #pipelines: PipelineService;
  readonly #state: TriggerStateStore;
  readonly #onEvent: TriggerEventListener;
  readonly #waitPollMs: number;
  readonly #lanes = new Map<string, Lane>();
  readonly #stop = new AbortController();

  constructor(options: LauncherOptions) {
    this.#pipelines = options.pipelines;
    this.#state = options.state;
    this.#onEvent = options.onEvent;
    this.#waitPollMs = options.waitPollMs ?? DEFAULT_WAIT_POLL_MS;
  }

  /**
   * One firing: a run when none of the pipeline is going, a queued run while fewer than `maxQueued`
   * wait, otherwise dropped (and counted). Decisions for one pipeline are taken one at a time so two
   * firings at once cannot both see an idle pipeline.
   */
  async fire(target: TriggerTarget, payload: unknown): Promise<FireOutcome> {
    if (this.#stop.signal.aborted) throw new InvalidStateError('the trigger runtime is stopped');
    const pipelineName = target.pipeline.definition.name;
    const { spec } = target;
    const lane = this.#lane(pipelineName);
    const result = await lane.exclusive(async (): Promise<FireOutcome> => {
      const active = await this.#pipelines.countActiveRuns(pipelineName);
      if (active > 0 && active - 1 >= spec.maxQueued) {
        await this.#state.count(pipelineName, spec.name, 'dropped');
        return { outcome: 'dropped' };
      }
      const pipelineRunId = await this.#pipelines.start(target.pipeline, {
        params: spec.params,
        ...(spec.env === undefined ? {} : { env: spec.env }),
        trigger: { name: spec.name, type: spec.type, ...(payload === undefined ? {} : { payload }) },
      });
      await this.#state.count(pipelineName, spec.name, 'fired');
      lane.enqueue(pipelineRunId);
      return { outcome: active === 0 ? 'started' : 'queued', pipelineRunId };
    });
    this.#onEvent({ type: 'fired', pipeline: pipelineName, trigger: spec.name, result });
    return result;
  }

  /**
   * Picks up the runs a trigger started that nobody finished: queued runs still PENDING, and RUNNING
   * ones whose server died. Driving holds the run's lease, so a run another server is driving is
   * refused there, never driven twice.
   */
  async recover(pipelineNames: Iterable<string>): Promise<number> {
    let recovered = 0;
    for (const pipelineName of new Set(pipelineNames)) {
      const rows = await this.#pipelines.listRuns({
        pipelineName,
        statuses: ['PENDING', 'RUNNING'],
        limit: RECOVERY_LIMIT,
      });
      const lane = this.#lane(pipelineName);
      const oldestFirst = rows.filter((row) => row.trigger_name !== null).reverse();
      for (const row of oldestFirst) lane.enqueue(row.id);
      recovered += oldestFirst.length;
    }
    return recovered;
  }

  /** Stops taking firings and cancels the runs being driven; queued runs stay PENDING for the next start. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#lanes.values()].map((lane) => lane.idle()));
  }

  #lane(pipelineName: string): Lane {
    let lane = this.#lanes.get(pipelineName);
    if (!lane) {
      lane = new Lane(pipelineName, {
        pipelines: this.#pipelines,
        onEvent: this.#onEvent,
        waitPollMs: this.#waitPollMs,
        signal: this.#stop.signal,
      });
      this.#lanes.set(pipelineName, lane);
    }
    return lane;
  }
}

interface LaneOptions {
  pipelines: PipelineService;
  onEvent: TriggerEventListener;
  waitPollMs: number;
  signal: AbortSignal;
}

/** One pipeline's firing decisions (serialized) and its runs (driven one at a time). */
class Lane {
  readonly #queue: string[] = [];
  #decisions: Promise<unknown> = Promise.resolve();
  #draining: Promise<void> | undefined;

  constructor(
    readonly pipelineName: string,
    readonly options: LaneOptions,
  ) {}

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#decisions.then(work);
    this.#decisions = next.catch(() => undefined);
    return next;
  }

  enqueue(pipelineRunId: string): void {
    if (this.#queue.includes(pipelineRunId)) return;
    this.#queue.push(pipelineRunId);
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  async idle(): Promise<void> {
    await this.#draining;
  }

  async #drain(): Promise<void> {
    const { pipelines, onEvent, signal } = this.options;
    while (this.#queue.length > 0 && !signal.aborted) {
      const pipelineRunId = this.#queue[0]!;
      try {
        await this.#waitForOthers(pipelineRunId);
        if (signal.aborted) break;
        // The stop signal cancels the run being driven: a server going down ends its step processes
        // and records CANCELLED rather than leaving them orphaned.
        const status = await pipelines.drive(pipelineRunId, { signal });
        onEvent({ type: 'run-ended', pipeline: this.pipelineName, pipelineRunId, status });
      } catch (error) {
        if (!signal.aborted) onEvent({ type: 'error', pipeline: this.pipelineName, error });
      }
      this.#queue.shift();
    }
  }

  /** Waits while another run of the pipeline is RUNNING under a live lease. */
  async #waitForOthers(pipelineRunId: string): Promise<void> {
    const { pipelines, waitPollMs, signal } = this.options;
    for (;;) {
      const running = await pipelines.listRuns({ pipelineName: this.pipelineName, statuses: ['RUNNING'] });
      const now = Date.now();
      const live = running.some(
        (row) => row.id !== pipelineRunId && row.lease_expires_at !== null && Number(row.lease_expires_at) > now,
      );
      if (!live || signal.aborted) return;
      await sleep(waitPollMs, undefined, { signal }).catch(() => undefined);
    }
  }
}
