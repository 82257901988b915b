import type { ModelVersion, RegistryService } from '../registry/index.js';
import type { RuntimeRegistry } from './runtime.js';
import { ServedModel } from './served-model.js';

export interface ModelLoaderDeps {
  registry: RegistryService;
  runtimes: RuntimeRegistry;
  /** Where fetched packages are kept (`<CICLO_HOME>/serving/packages`), one folder per manifest digest. */
  packageCache: string;
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

  async load(reference: string, runtimeName?: string): Promise<ServedModel> {
    return this.loadVersion(await this.#deps.registry.resolve(reference), runtimeName);
  }

  async loadVersion(version: ModelVersion, runtimeName?: string): Promise<ServedModel> {
    const fetched = await this.#deps.registry.fetchPackage(version, this.#deps.packageCache);
    const runtime = this.#deps.runtimes.choose(fetched.flavor, runtimeName);
    return ServedModel.load(version, runtime, fetched);
  }
}
