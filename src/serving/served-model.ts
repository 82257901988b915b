import type { ModelSignature } from '../registry/index.js';
import { signatureTypes, type ColumnType } from './column-types.js';
import { AdaptiveBatcher, type BatchingOptions } from './batcher.js';
import type { Frame } from './frame.js';
import type { ServingMetrics } from './metrics.js';
import type { LoadedModel, ModelRuntime, ServablePackage } from './runtime.js';
import { checkInputs } from './signature-check.js';

/** Which registered version a served model is. */
export interface ServedVersion {
  readonly name: string;
  readonly version: number;
}

export interface ServeOptions {
  /** Adaptive batching of concurrent requests (default on: up to 256 rows, no added wait); false: a call a request. */
  batching?: BatchingOptions | false;
  /** Where batch sizes and the load time are reported, labelled with `deployment` ('' for `ciclo serve`). */
  metrics?: ServingMetrics;
  deployment?: string;
}

export const DEFAULT_BATCHING: BatchingOptions = { maxRows: 256, maxWaitMs: 0 };

/**
 * A loaded version ready to score: what every protocol's routes call. `score` checks the batch
 * against the signature, then hands it to the runtime; the protocols only read and write their
 * own formats.
 */
export class ServedModel {
  readonly name: string;
  readonly version: number;
  readonly runtime: string;
  readonly signature: ModelSignature;
  readonly inputs: readonly ColumnType[];
  readonly outputs: readonly ColumnType[];
  /** How long loading took, in seconds (package fetch excluded): a metric and a log line. */
  readonly loadSeconds: number;
  readonly #loaded: LoadedModel;
  readonly #batcher: AdaptiveBatcher | undefined;

  private constructor(
    version: ServedVersion,
    runtime: string,
    signature: ModelSignature,
    loaded: LoadedModel,
    loadSeconds: number,
    options: ServeOptions,
  ) {
    this.name = version.name;
    this.version = version.version;
    this.runtime = runtime;
    this.signature = signature;
    this.inputs = signatureTypes(signature.inputs);
    this.outputs = signatureTypes(signature.outputs);
    this.#loaded = loaded;
    this.loadSeconds = loadSeconds;
    const labels = { deployment: options.deployment ?? '', model: this.name, version: String(this.version) };
    options.metrics?.loadSeconds.set({ ...labels, runtime }, loadSeconds);
    // Frames are joined column by column: only a model with an input signature gets frames of one shape.
    const batching = options.batching ?? DEFAULT_BATCHING;
    if (batching !== false && this.inputs.length > 0) {
      this.#batcher = new AdaptiveBatcher((frame) => loaded.predict(frame), batching);
      const metrics = options.metrics;
      if (metrics !== undefined) this.#batcher.onBatch = (_requests, rows) => metrics.batchRows.observe(labels, rows);
    }
  }

  static async load(
    version: ServedVersion,
    runtime: ModelRuntime,
    model: ServablePackage,
    options: ServeOptions = {},
  ): Promise<ServedModel> {
    // Read the signature's types first: a signature no request could pass is refused before a runtime starts.
    signatureTypes(model.signature.inputs);
    signatureTypes(model.signature.outputs);
    const started = performance.now();
    const loaded = await runtime.load(model);
    const seconds = (performance.now() - started) / 1000;
    return new ServedModel(version, runtime.name, model.signature, loaded, seconds, options);
  }

  async score(frame: Frame): Promise<Frame> {
    const checked = checkInputs(this.inputs, frame);
    if (checked.rows === 0) return { rows: 0, columns: new Map(this.outputs.map((type) => [type.name, []])) };
    return this.#batcher === undefined ? this.#loaded.predict(checked) : this.#batcher.submit(checked);
  }

  async close(): Promise<void> {
    await this.#loaded.close();
  }
}
