import { setTimeout as sleep } from 'node:timers/promises';
import { judge, WindowStats, type Judgement } from './rollout-judge.js';
import type { Deployment, GuardedStrategy } from './types.js';
import type { DeploymentService } from './service.js';
import { Replica, type ReplicaSpec } from './replica.js';

export interface SupervisorDeps {
  deployments: DeploymentService;
  /** How to start a replica of `deployment` serving `version` (the composition root knows program and store). */
  replicaSpec: (deployment: Deployment, version: number) => ReplicaSpec;
  /** How often deployments are read again, in milliseconds: how soon a moved alias is rolled out. */
  pollMs?: number;
  /** Longest pause between restarts of a replica that keeps dying, in milliseconds. */
  maxBackoffMs?: number;
  log?: (message: string) => void;
}

/** The replicas of one version of a deployment, and the requests they are answering. */
interface ReplicaSet {
  readonly version: number;
  readonly replicas: Replica[];
  inflight: number;
  next: number;
  restarts: number;
  retired: boolean;
}

/** A canary or shadow rollout in progress: how requests are shared, and the current window's answers. */
interface Rollout {
  candidate: ReplicaSet;
  /** Share of requests answered by the candidate (canary). */
  canaryShare: number;
  /** Share of requests copied to the candidate, its answers dropped (shadow). */
  mirrorShare: number;
  current: WindowStats;
  candidateStats: WindowStats;
}

/** One request's replica; `record` its answer (status, latency) when a rollout is judging. */
export interface Target {
  url: string;
  model: string;
  version: number;
  release(): void;
  record(status: number, latencyMs: number): void;
}

interface Tracked {
  model: string;
  active: ReplicaSet | undefined;
  rollout?: Rollout | undefined;
  updating: boolean;
  /** The version that failed to start: not tried again until the deployment asks for another. */
  failedVersion: number | undefined;
}

/**
 * Makes processes match the deployments, inside `ciclo server`: each deployment's serving version runs
 * as replicas (`ciclo serve` processes on loopback ports); a replica that dies is started again with
 * backoff; when the version to serve changes (a moved alias, a promotion, a rollback), the new
 * version's replicas start beside the old ones, traffic switches once all answer ready, and the old
 * ones stop after their last request (blue/green), so no request fails. A version that does not
 * start leaves the deployment FAILED with its message while the old version serves on.
 */
export class DeploymentSupervisor {
  readonly #deps: SupervisorDeps;
  readonly #tracked = new Map<string, Tracked>();
  #timer: NodeJS.Timeout | undefined;
  #reconciling: Promise<void> | undefined;
  /** Rollouts and replica restarts under way: `stop` waits for them, so no replica it started outlives it. */
  readonly #background = new Set<Promise<void>>();
  readonly #stopping = new AbortController();
  #stopped = false;

  constructor(deps: SupervisorDeps) {
    this.#deps = deps;
  }

  start(): void {
    const tick = (): void => {
      if (this.#stopped) return;
      void this.reconcile().finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#deps.pollMs ?? 1000);
      });
    };
    tick();
  }

  /** One pass over the deployments; concurrent callers share it. Updates run on in the background. */
  reconcile(): Promise<void> {
    this.#reconciling ??= this.#reconcile().finally(() => (this.#reconciling = undefined));
    return this.#reconciling;
  }

  /**
   * A replica for one request (`release` when it is answered): of the version that serves `name`, or
   * during a canary, of the candidate for its share of requests. During a shadow rollout `mirror` is
   * set for its share: the same request goes there too, and its answer is only recorded.
   */
  acquire(name: string, random: () => number = Math.random): (Target & { mirror?: Target }) | undefined {
    const tracked = this.#tracked.get(name);
    const active = tracked?.active;
    if (tracked === undefined || active === undefined || active.replicas.length === 0) return undefined;
    const rollout = tracked.rollout;
    const ready = rollout !== undefined && rollout.candidate.replicas.length > 0 ? rollout : undefined;
    if (ready !== undefined && random() < ready.canaryShare) {
      return this.#target(tracked.model, ready.candidate, ready.candidateStats);
    }
    const target = this.#target(tracked.model, active, rollout?.current);
    if (ready !== undefined && random() < ready.mirrorShare) {
      return { ...target, mirror: this.#target(tracked.model, ready.candidate, ready.candidateStats) };
    }
    return target;
  }

  #target(model: string, set: ReplicaSet, stats: WindowStats | undefined): Target {
    const replica = set.replicas[set.next++ % set.replicas.length]!;
    set.inflight++;
    let released = false;
    return {
      url: replica.url,
      model,
      version: set.version,
      release: () => {
        if (!released) set.inflight--;
        released = true;
      },
      record: (status, latencyMs) => stats?.record(status, latencyMs),
    };
  }

  /** The replicas serving `name` now: `ciclo deployments show` prints their addresses. */
  replicas(name: string): { url: string; pid: number | undefined; version: number }[] {
    const set = this.#tracked.get(name)?.active;
    return set?.replicas.map((replica) => ({ url: replica.url, pid: replica.pid, version: set.version })) ?? [];
  }

  /**
   * Stops every replica and returns once their processes have exited. Work under way sees `#stopped`, stops what it
   * started and ends; it is waited for first, so a replica that was still starting is stopped too.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopping.abort();
    clearTimeout(this.#timer);
    await this.#reconciling;
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
    const sets = [...this.#tracked.values()].flatMap((tracked) => [
      ...(tracked.active ? [tracked.active] : []),
      ...(tracked.rollout ? [tracked.rollout.candidate] : []),
    ]);
    this.#tracked.clear();
    await Promise.all(sets.map((set) => this.#retire(set, 0)));
  }

  async #reconcile(): Promise<void> {
    const deployments = await this.#deps.deployments.list();
    const names = new Set(deployments.map((deployment) => deployment.name));
    for (const [name, tracked] of this.#tracked) {
      // A rollout in progress sees its deployment gone and stops its candidate itself.
      if (names.has(name)) continue;
      this.#tracked.delete(name);
      if (tracked.active) await this.#retire(tracked.active, 10_000);
    }
    for (const deployment of deployments) {
      if (this.#stopped) return;
      await this.#reconcileOne(deployment).catch((error: unknown) =>
        this.#deps.log?.(`deployment ${deployment.name}: ${(error as Error).message}`),
      );
    }
  }

  async #reconcileOne(deployment: Deployment): Promise<void> {
    let tracked = this.#tracked.get(deployment.name);
    if (tracked === undefined) {
      tracked = { model: deployment.modelName, active: undefined, updating: false, failedVersion: undefined };
      this.#tracked.set(deployment.name, tracked);
    }
    if (tracked.updating) return;
    const named = (await this.#deps.deployments.desiredVersion(deployment)).version;
    // A server that stopped mid-rollout starts what served before, so the candidate is judged again
    // against it rather than served as a first version. Blue/green judges nothing: it goes straight on.
    const restoring =
      tracked.active === undefined &&
      deployment.strategy.type !== 'blue-green' &&
      deployment.servingVersion !== null &&
      deployment.servingVersion !== tracked.failedVersion;
    const desired = restoring && deployment.servingVersion !== null ? deployment.servingVersion : named;
    if (tracked.active?.version === desired) {
      // Asked back to what serves after a failed change: the failure is over.
      tracked.failedVersion = undefined;
      if (deployment.state !== 'READY') await this.#deps.deployments.markServing(deployment.name, desired);
      return;
    }
    if (tracked.failedVersion === desired) return;
    tracked.updating = true;
    // In the background: a model that takes seconds to load must not hold up the other deployments.
    this.#inBackground(this.#rollOut(deployment, tracked, desired).finally(() => (tracked.updating = false)));
  }

  #inBackground(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.#deps.log?.((error as Error).message));
    this.#background.add(tracked);
    void tracked.finally(() => this.#background.delete(tracked));
  }

  async #rollOut(deployment: Deployment, tracked: Tracked, version: number): Promise<void> {
    const name = deployment.name;
    if (tracked.active !== undefined) await this.#deps.deployments.startUpdate(name, version);
    let set: ReplicaSet;
    try {
      set = await this.#startSet(deployment, version);
    } catch (error) {
      tracked.failedVersion = version;
      await this.#deps.deployments.markFailed(name, version, (error as Error).message);
      return;
    }
    if (this.#stopped || this.#tracked.get(name) !== tracked) {
      await this.#retire(set, 0);
      return;
    }
    const strategy = deployment.strategy;
    // A first version has nothing to be judged against: it serves at once, whatever the strategy.
    const judgements =
      strategy.type === 'blue-green' || tracked.active === undefined
        ? []
        : await this.#judged(deployment, tracked, set, strategy);
    if (judgements === undefined) return;
    const previous = tracked.active;
    tracked.active = set;
    tracked.failedVersion = undefined;
    const details = {
      replicas: set.replicas.length,
      strategy: strategy.type,
      ...(judgements.length > 0 ? { judgements } : {}),
    };
    await this.#deps.deployments.markServing(name, version, details);
    if (previous !== undefined) await this.#retire(previous, 30_000);
  }

  /**
   * Runs the canary steps or the shadow window, judging the candidate after each; the judgements when it passed all,
   * undefined when it was rolled back (its replicas stopped, the deployment told why).
   */
  async #judged(
    deployment: Deployment,
    tracked: Tracked,
    candidate: ReplicaSet,
    strategy: GuardedStrategy,
  ): Promise<Judgement[] | undefined> {
    const windows =
      strategy.type === 'canary'
        ? strategy.steps.map((percent) => ({
            canaryShare: percent / 100,
            mirrorShare: 0,
            seconds: strategy.step_seconds,
          }))
        : [{ canaryShare: 0, mirrorShare: strategy.share, seconds: strategy.seconds }];
    const judgements: Judgement[] = [];
    for (const window of windows) {
      const rollout: Rollout = { candidate, ...window, current: new WindowStats(), candidateStats: new WindowStats() };
      tracked.rollout = rollout;
      await this.#waitWhileTracked(deployment.name, tracked, window.seconds * 1000);
      const judgement = judge(strategy, rollout.current, rollout.candidateStats);
      judgements.push(judgement);
      if (this.#stopped || this.#tracked.get(deployment.name) !== tracked) {
        tracked.rollout = undefined;
        await this.#retire(candidate, 0);
        return undefined;
      }
      if (!judgement.passed) {
        tracked.rollout = undefined;
        tracked.failedVersion = candidate.version;
        await this.#retire(candidate, 30_000);
        const reason = `${strategy.type}: ${judgement.reason}`;
        await this.#deps.deployments.abortRollout(deployment.name, candidate.version, reason, { judgements });
        return undefined;
      }
    }
    tracked.rollout = undefined;
    return judgements;
  }

  /** Sleeps up to `ms`, waking early when the supervisor stops or the deployment is deleted. */
  async #waitWhileTracked(name: string, tracked: Tracked, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && !this.#stopped && this.#tracked.get(name) === tracked) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, deadline - Date.now())));
    }
  }

  async #startSet(deployment: Deployment, version: number): Promise<ReplicaSet> {
    const spec = this.#deps.replicaSpec(deployment, version);
    const started = await Promise.allSettled(Array.from({ length: deployment.replicas }, () => Replica.start(spec)));
    const replicas = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(replicas.map((replica) => replica.stop(0)));
      throw failed.reason;
    }
    const set: ReplicaSet = { version, replicas, inflight: 0, next: 0, restarts: 0, retired: false };
    for (const replica of replicas) this.#watch(deployment, set, replica, spec);
    return set;
  }

  /**
   * A replica that exits on its own leaves the rotation and is started again, after a pause that doubles while it
   * keeps dying.
   */
  #watch(deployment: Deployment, set: ReplicaSet, replica: Replica, spec: ReplicaSpec): void {
    const startedAt = Date.now();
    void replica.unexpectedExit().then((code) => {
      if (set.retired) return;
      this.#inBackground(this.#restart(deployment, set, replica, spec, code, startedAt));
    });
  }

  async #restart(
    deployment: Deployment,
    set: ReplicaSet,
    replica: Replica,
    spec: ReplicaSpec,
    code: number | null,
    startedAt: number,
  ): Promise<void> {
    const index = set.replicas.indexOf(replica);
    if (index >= 0) set.replicas.splice(index, 1);
    // A replica that lived a minute was healthy: its death starts a new series of pauses.
    if (Date.now() - startedAt > 60_000) set.restarts = 0;
    const pause = Math.min(250 * 2 ** set.restarts++, this.#deps.maxBackoffMs ?? 30_000);
    this.#deps.log?.(
      `deployment ${deployment.name}: replica ${replica.pid} exited (${code}); restarting in ${pause} ms`,
    );
    await sleep(pause, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
    if (set.retired || this.#stopped) return;
    try {
      const fresh = await Replica.start(spec);
      if (set.retired || this.#stopped) return void (await fresh.stop(0));
      set.replicas.push(fresh);
      this.#watch(deployment, set, fresh, spec);
    } catch (error) {
      this.#deps.log?.(`deployment ${deployment.name}: restart failed: ${(error as Error).message}`);
      this.#watch(deployment, set, replica, spec);
    }
  }

  /** Out of rotation already; stops once its requests are answered (or after `drainMs`). */
  async #retire(set: ReplicaSet, drainMs: number): Promise<void> {
    set.retired = true;
    const deadline = Date.now() + drainMs;
    while (set.inflight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.all(set.replicas.map((replica) => replica.stop()));
  }
}
