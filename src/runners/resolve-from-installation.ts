/**
 * Module resolution hooks a `ts` step's process registers before it imports the step (Node runs them
 * on the loader's thread). A step lives in the user's project, in a copy of an example, or in the
 * git worktree `pipeline reproduce` checks out, none of which need a node_modules of their own:
 * - `ciclo` always resolves to the installation running the step, so a step logs through the same
 *   SDK as the orchestrator that started it;
 * - any other package the step's folder cannot find is looked for from the installation too.
 */
import type { InitializeHook, ResolveHook } from 'node:module';

export interface InstallationData {
  /** URL of the installation's SDK entry (the bundled dist/bin/sdk.js). */
  sdk: string;
  /** URL of the installation's package.json: packages are resolved as if imported from there. */
  packageJson: string;
}

let installation: InstallationData | undefined;

export const initialize: InitializeHook<InstallationData> = (data) => {
  installation = data;
};

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  if (installation === undefined) return nextResolve(specifier, context);
  if (specifier === 'ciclo') return { url: installation.sdk, shortCircuit: true };
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (!isBarePackage(specifier) || (error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    return nextResolve(specifier, { ...context, parentURL: installation.packageJson });
  }
};

/** `yaml`, `@scope/pkg/sub`: not a relative, absolute, URL or `node:` specifier. */
function isBarePackage(specifier: string): boolean {
  return !/^(\.{0,2}\/|[a-zA-Z][a-zA-Z\d+.-]*:)/.test(specifier);
}
