import { InvalidStateError } from '../common/errors.js';
import type { ModelVersion } from './types.js';

/**
 * Whether a version has a verified package. Every version registered natively does: registration
 * reads `ciclo-model.json` (every file checked against it) or an MLflow `MLmodel`. MLflow's
 * `model-versions/create` accepts any folder of a run, as MLflow does, so a version registered there
 * from files without either has none: its manifest digest is null and MLflow clients see the
 * read-only tag `ciclo.package_status` = `unverified`. Such a version can be read, tagged, aliased,
 * staged and rejected, but not approved or deployed.
 */
export const PACKAGE_STATUS_TAG = 'ciclo.package_status';
export const UNVERIFIED_PACKAGE = 'unverified';

export type VersionPackage = Pick<ModelVersion, 'name' | 'version' | 'runId' | 'source' | 'manifestDigest'>;

export function hasVerifiedPackage(version: VersionPackage): boolean {
  return version.manifestDigest !== null;
}

/**
 * Refuses a version without a verified package. Approval calls it, and deployment must too (it
 * is the one check for both): a version nobody can load must not be approved nor run anywhere.
 */
export function requireVerifiedPackage(version: VersionPackage): void {
  if (hasVerifiedPackage(version)) return;
  const ref = `${version.name}/${version.version}`;
  const folder = version.source === '' ? '/' : `${version.source}/`;
  throw new InvalidStateError(
    `${ref} has no verified package: it was registered over MLflow from run ${version.runId}: ${folder}, ` +
      'which held neither ciclo-model.json nor an MLflow MLmodel',
    {
      where: ref,
      hint:
        'Log a package folder to the run (a Ciclo package with ciclo-model.json, or an MLflow model with MLmodel) ' +
        'and register that folder again as a new version.',
    },
  );
}
