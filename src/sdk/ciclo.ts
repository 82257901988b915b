import { currentUser } from '../common/current-user.js';
import { relative } from 'node:path';
import { openContext } from '../app/context.js';
import { loadConfig, type CicloConfig } from '../common/config.js';
import { InvalidInputError } from '../common/errors.js';
import {
  captureCodeVersion,
  captureEnvironment,
  codeVersionTags,
  environmentTags,
  SYSTEM_TAGS,
} from '../tracking/index.js';
import { ActiveRun, type ParamValue } from './active-run.js';
import { RemoteTrackingClient } from './remote-client.js';
import type { TrackingApi } from './tracking-api.js';

export interface ConnectOptions {
  /** A Ciclo server to talk to; when neither this nor CICLO_TRACKING_URI is set, the store is opened in-process. */
  trackingUri?: string;
  /** Used instead of the environment; its `trackingUri`, when set, selects remote mode too. */
  config?: CicloConfig;
  /** The API token for a server with authentication on; default CICLO_TOKEN. */
  token?: string;
}

export interface StartRunOptions {
  /** Experiment name, created when missing; runs go to the Default experiment without one. */
  experiment?: string;
  name?: string;
  params?: Record<string, ParamValue>;
  tags?: Record<string, string>;
  parentRunId?: string;
  /** Who ran it; the operating-system user by default, as MLflow does. */
  user?: string;
  /** Records the git commit, dirty flag and diff digest, runtime versions and lockfile digest as tags. */
  captureCode?: boolean;
  /** The folder whose git checkout and lockfile describe the code; the working directory by default. */
  codeDir?: string;
}

/**
 * The SDK's entry point. The same calls work embedded (the metadata store opened in this process)
 * and remote (a Ciclo server over HTTP), chosen at `connect`.
 */
export class Ciclo {
  readonly #openRuns = new Set<ActiveRun>();
  readonly #release: () => Promise<void>;

  private constructor(
    /** Every tracking operation, for what the run helpers do not cover. */
    readonly api: TrackingApi,
    release: () => Promise<void>,
  ) {
    this.#release = release;
  }

  static async connect(options: ConnectOptions = {}): Promise<Ciclo> {
    const config = options.trackingUri ? undefined : (options.config ?? loadConfig());
    const trackingUri = options.trackingUri ?? config?.trackingUri;
    if (trackingUri) {
      const token = options.token ?? (config ?? loadConfig()).token;
      return new Ciclo(new RemoteTrackingClient(trackingUri, token), async () => undefined);
    }
    const context = await openContext(config);
    const api: TrackingApi = context.tracking;
    return new Ciclo(api, () => context.close());
  }

  async startRun(options: StartRunOptions = {}): Promise<ActiveRun> {
    const [experimentId, systemTags] = await Promise.all([
      this.#experimentId(options.experiment),
      options.captureCode === false ? {} : captureTags(options.codeDir ?? process.cwd()),
    ]);
    const created = await this.api.createRun({
      experimentId,
      ...(options.name !== undefined ? { runName: options.name } : {}),
      ...(options.parentRunId !== undefined ? { parentRunId: options.parentRunId } : {}),
      userId: options.user ?? currentUser(),
      tags: { ...systemTags, ...options.tags },
    });
    const run = new ActiveRun(this.api, created, (ended) => this.#openRuns.delete(ended));
    this.#openRuns.add(run);
    if (options.params) {
      try {
        await run.logParams(options.params);
      } catch (error) {
        await run.end('FAILED').catch(() => undefined);
        throw error;
      }
    }
    return run;
  }

  /**
   * An `ActiveRun` over a run that already exists, for logging into it without owning it: a pipeline
   * step logs into the tracked run the scheduler made for it (`CICLO_RUN_ID`, the default here).
   * The caller flushes it; whoever created the run ends it.
   */
  async attachRun(runId: string | undefined = process.env.CICLO_RUN_ID): Promise<ActiveRun> {
    if (!runId) {
      throw new InvalidInputError('no run to attach to', {
        where: 'CICLO_RUN_ID',
        hint: 'pass a run id, or run inside a pipeline step, which sets CICLO_RUN_ID',
      });
    }
    const run = new ActiveRun(this.api, await this.api.getRun(runId), (ended) => this.#openRuns.delete(ended));
    this.#openRuns.add(run);
    return run;
  }

  /** Runs `fn` inside a run that ends FINISHED when it resolves and FAILED when it throws. */
  async withRun<T>(options: StartRunOptions, fn: (run: ActiveRun) => Promise<T>): Promise<T> {
    const run = await this.startRun(options);
    let result: T;
    try {
      result = await fn(run);
    } catch (error) {
      // The caller's error is the one that explains the failure; a flush error here only means some
      // metrics of an already failed run are missing, and the run is marked FAILED either way.
      await run.end('FAILED').catch(() => undefined);
      throw error;
    }
    await run.end('FINISHED');
    return result;
  }

  /** Sends what open runs still buffer (without ending them), then releases the store. */
  async close(): Promise<void> {
    const flushes = await Promise.allSettled([...this.#openRuns].map((run) => run.flush()));
    await this.#release();
    const failed = flushes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async #experimentId(name: string | undefined): Promise<string> {
    // Id 0 is the Default experiment, which every store has from its first migration.
    if (name === undefined) return '0';
    return (await this.api.getOrCreateExperiment(name)).experimentId;
  }
}

async function captureTags(dir: string): Promise<Record<string, string>> {
  const [code, environment] = await Promise.all([captureCodeVersion(dir), captureEnvironment(dir)]);
  const entryPoint = process.argv[1];
  return {
    ...codeVersionTags(code),
    ...environmentTags(environment),
    ...(entryPoint ? { [SYSTEM_TAGS.sourceName]: relative(dir, entryPoint) || entryPoint } : {}),
  };
}
