import type { ModelSignature } from '../registry/index.js';
import { signatureTypes, type ColumnType } from './column-types.js';
import type { Frame } from './frame.js';
import type { LoadedModel, ModelRuntime, ServablePackage } from './runtime.js';
import { checkInputs } from './signature-check.js';

/** Which registered version a served model is. */
export interface ServedVersion {
  readonly name: string;
  readonly version: number;
}

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

  private constructor(
    version: ServedVersion,
    runtime: string,
    signature: ModelSignature,
    loaded: LoadedModel,
    loadSeconds: number,
  ) {
    this.name = version.name;
    this.version = version.version;
    this.runtime = runtime;
    this.signature = signature;
    this.inputs = signatureTypes(signature.inputs);
    this.outputs = signatureTypes(signature.outputs);
    this.#loaded = loaded;
    this.loadSeconds = loadSeconds;
  }

  static async load(version: ServedVersion, runtime: ModelRuntime, model: ServablePackage): Promise<ServedModel> {
    // Read the signature's types first: a signature no request could pass is refused before a runtime starts.
    signatureTypes(model.signature.inputs);
    signatureTypes(model.signature.outputs);
    const started = performance.now();
    const loaded = await runtime.load(model);
    return new ServedModel(version, runtime.name, model.signature, loaded, (performance.now() - started) / 1000);
  }

  async score(frame: Frame): Promise<Frame> {
    const checked = checkInputs(this.inputs, frame);
    if (checked.rows === 0) return { rows: 0, columns: new Map(this.outputs.map((type) => [type.name, []])) };
    return this.#loaded.predict(checked);
  }

  async close(): Promise<void> {
    await this.#loaded.close();
  }
}
