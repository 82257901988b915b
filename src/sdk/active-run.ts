import { lstat } from 'node:fs/promises';
import { basename } from 'node:path';
import { InvalidInputError, InvalidStateError } from '../common/errors.js';
import { parseInput } from '../common/validation.js';
import { KeySchema, LIMITS, type Metric, type Run, type RunStatus } from '../tracking/index.js';
import type { DatasetInputArg, TrackingApi } from './tracking-api.js';

const FLUSH_INTERVAL_MS = 1000;

export type EndStatus = Exclude<RunStatus, 'RUNNING' | 'SCHEDULED'>;
export type ParamValue = string | number | boolean;

/**
 * A run being logged to. Metrics are buffered and sent in batches (when a batch is full, and at
 * least once a second) so a training loop can log every step without waiting on the store. A batch
 * that fails is reported by the next call to `log`, `flush` or `end`. It is not retried: the store
 * takes a batch all-or-nothing, so it would fail the same way again; the batches after it still go.
 */
export class ActiveRun {
  #buffer: Metric[] = [];
  #draining: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failure: { error: unknown } | undefined;
  #ended = false;
  readonly #checkedKeys = new Set<string>();
  readonly #api: TrackingApi;
  readonly #onEnd: (run: ActiveRun) => void;

  constructor(
    api: TrackingApi,
    /** The run as it was when it started; `api.getRun(id)` has its current state. */
    readonly run: Run,
    onEnd: (run: ActiveRun) => void = () => undefined,
  ) {
    this.#api = api;
    this.#onEnd = onEnd;
  }

  get id(): string {
    return this.run.info.runId;
  }

  /** Buffers one value per key, all at the same step and timestamp (now, unless given). */
  log(metrics: Record<string, number>, options: { step?: number; timestamp?: number } = {}): void {
    this.#assertOpen();
    this.#throwPendingFailure();
    const timestamp = options.timestamp ?? Date.now();
    const step = options.step ?? 0;
    checkInteger('step', step);
    checkInteger('timestamp', timestamp);
    const entries = Object.entries(metrics);
    for (const [key, value] of entries) this.#checkMetric(key, value);
    for (const [key, value] of entries) this.#buffer.push({ key, value, timestamp, step });
    // A drain never rejects: a failed batch is kept and thrown by the next flush, so nothing awaits it here.
    if (this.#buffer.length >= LIMITS.batchMetrics) void this.#startDrain();
    else if (this.#buffer.length > 0)
      this.#timer ??= setTimeout(() => void this.#startDrain(), FLUSH_INTERVAL_MS).unref();
  }

  /** Sends everything buffered; throws the first batch failure since the last report. */
  async flush(): Promise<void> {
    await this.#draining;
    if (this.#buffer.length > 0) await this.#startDrain();
    this.#throwPendingFailure();
  }

  async logParams(params: Record<string, ParamValue>): Promise<void> {
    this.#assertOpen();
    const entries = Object.entries(params).map(([key, value]) => ({ key, value: String(value) }));
    for (let i = 0; i < entries.length; i += LIMITS.batchParams) {
      await this.#api.logBatch(this.id, { params: entries.slice(i, i + LIMITS.batchParams) });
    }
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    this.#assertOpen();
    const entries = Object.entries(tags).map(([key, value]) => ({ key, value }));
    for (let i = 0; i < entries.length; i += LIMITS.batchTags) {
      await this.#api.logBatch(this.id, { tags: entries.slice(i, i + LIMITS.batchTags) });
    }
  }

  async logInput(dataset: DatasetInputArg): Promise<void> {
    this.#assertOpen();
    await this.#api.logInputs(this.id, [dataset]);
  }

  /**
   * Logs a file or a whole folder. `artifactPath` is where it lands in the run; by default the
   * local name, so `logArtifact('out/model')` gives `model/…` and `logArtifact('roc.png')` gives `roc.png`.
   */
  async logArtifact(localPath: string, artifactPath = basename(localPath)): Promise<void> {
    this.#assertOpen();
    const stats = await lstat(localPath).catch(() => undefined);
    if (stats?.isDirectory()) await this.#api.logArtifactDirectory(this.id, localPath, artifactPath);
    else await this.#api.logArtifactFile(this.id, localPath, artifactPath);
  }

  /**
   * Flushes, then records the final status. A failed flush still ends the run, as FAILED since
   * some of its metrics are missing, and then throws the flush error.
   */
  async end(status: EndStatus = 'FINISHED'): Promise<void> {
    if (this.#ended) return;
    let flushError: { error: unknown } | undefined;
    try {
      await this.flush();
    } catch (error) {
      flushError = { error };
    }
    this.#ended = true;
    this.#onEnd(this);
    await this.#api.updateRun(this.id, { status: flushError ? 'FAILED' : status });
    if (flushError) throw flushError.error;
  }

  #startDrain(): Promise<void> {
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  async #drain(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, LIMITS.batchMetrics);
      try {
        await this.#api.logBatch(this.id, { metrics: batch });
      } catch (error) {
        this.#failure ??= { error };
      }
    }
  }

  #checkMetric(key: string, value: number): void {
    if (typeof value !== 'number') {
      throw new InvalidInputError(`metric '${key}' must be a number (got ${typeof value})`, {
        where: `metrics.${key}`,
      });
    }
    if (this.#checkedKeys.has(key)) return;
    parseInput(KeySchema, key, `metrics.${key}`);
    this.#checkedKeys.add(key);
  }

  #throwPendingFailure(): void {
    const failure = this.#failure;
    if (!failure) return;
    this.#failure = undefined;
    throw failure.error;
  }

  #assertOpen(): void {
    if (this.#ended) throw new InvalidStateError(`run ${this.id} has ended`, { hint: 'start a new run to log more' });
  }
}

function checkInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value))
    throw new InvalidInputError(`${name} must be an integer (got ${value})`, { where: name });
}
