import type { ModelVersion, RegistryService } from '../registry/index.js';
import type { ServingMetrics } from './metrics.js';
import type { RuntimeRegistry } from './runtime.js';
import { ServedModel, type ServeOptions } from './served-model.js';

export interface ModelLoaderDeps {
  registry: RegistryService;
  runtimes: RuntimeRegistry;
  /** Where fetched packages are kept (`<CICLO_HOME>/serving/packages`), one folder per manifest digest. */
  packageCache: string;
  /** The process's serving metrics, which every loaded model reports to. */
  metrics: ServingMetrics;
}

export interface LoadOptions extends ServeOptions {
  /** The runtime to use instead of the one the package's flavor picks. */
  runtime?: string;
}

/**
 * From a model reference to a loaded model: the registry resolves `NAME@alias`, `NAME/3` or `NAME`
 * (its latest version), fetches the version's verified package to local files, and the runtime for its
 * flavor (or the one named) loads it. A version without a verified package is refused here, as for approval.
 */
export class ModelLoader {
  readonly #deps: ModelLoaderDeps;

  constructor(deps: ModelLoaderDeps) {
    this.#deps = deps;
  }

  async load(reference: string, options: LoadOptions = {}): Promise<ServedModel> {
    return this.loadVersion(await this.#deps.registry.resolve(reference), options);
  }

  async loadVersion(version: ModelVersion, options: LoadOptions = {}): Promise<ServedModel> {
    const { runtime: runtimeName, ...serve } = options;
    const fetched = await this.#deps.registry.fetchPackage(version, this.#deps.packageCache);
    const runtime = this.#deps.runtimes.choose(fetched.flavor, runtimeName);
    return ServedModel.load(version, runtime, fetched, { metrics: this.#deps.metrics, ...serve });
  }
}
