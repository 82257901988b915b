import { InvalidInputError } from '../common/errors.js';
import type { ModelSignature } from '../registry/index.js';
import type { Frame } from './frame.js';

/**
 * The model runtime seam: a verified package on disk is loaded once, then scores batches until it is
 * closed. Runtimes (onnx, js, python) are added by the composition root (`src/app/`); serving
 * chooses one by the package's flavor. A runtime gets batches already checked against the signature
 * (`signature-check.ts`) and answers one row per input row, its columns named as the signature's outputs.
 */
export interface ServablePackage {
  /** The package folder on local disk, its files verified against the manifest when it was fetched. */
  readonly folder: string;
  /** `onnx`, `js`, `sklearn`, `mlflow:sklearn`, `mlflow:python_function`, … */
  readonly flavor: string;
  readonly signature: ModelSignature;
  /** The file to load, relative to `folder`, when the manifest names one (`entry`). */
  readonly entry?: string;
}

export interface LoadedModel {
  predict(batch: Frame): Promise<Frame>;
  /** Frees what the model holds (a session, a worker process); predict is not called again. */
  close(): Promise<void>;
}

export interface ModelRuntime {
  /** `onnx`, `js`, `python`: what a deployment names and what metrics are labelled with. */
  readonly name: string;
  /** The flavors this runtime loads. */
  readonly flavors: readonly string[];
  load(model: ServablePackage): Promise<LoadedModel>;
}

/** The runtimes a process knows, filled by the composition root. */
export class RuntimeRegistry {
  readonly #byName = new Map<string, ModelRuntime>();

  add(runtime: ModelRuntime): this {
    this.#byName.set(runtime.name, runtime);
    return this;
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  /** The runtime named (a deployment's `runtime`), else the one serving the flavor. */
  choose(flavor: string, name?: string): ModelRuntime {
    if (name !== undefined) {
      const named = this.#byName.get(name);
      if (named === undefined) {
        throw new InvalidInputError(`no model runtime is named '${name}'`, {
          where: 'runtime',
          hint: `Use one of: ${this.names().join(', ')}.`,
        });
      }
      if (!named.flavors.includes(flavor)) {
        throw unservable(`model runtime '${name}' does not serve flavor '${flavor}'`, named.flavors);
      }
      return named;
    }
    for (const runtime of this.#byName.values()) if (runtime.flavors.includes(flavor)) return runtime;
    const flavors = [...this.#byName.values()].flatMap((runtime) => runtime.flavors);
    throw unservable(`no model runtime serves flavor '${flavor}'`, flavors);
  }
}

function unservable(message: string, flavors: readonly string[]): InvalidInputError {
  return new InvalidInputError(message, {
    where: 'flavor',
    hint: `Package the model as one of: ${flavors.join(', ')} (docs/serving.md).`,
  });
}
