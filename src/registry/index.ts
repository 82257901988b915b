export {
  FORMAT_VERSION,
  MANIFEST_FILE,
  ManifestSchema,
  loadModelPackage,
  parseManifest,
  verifyPackageFiles,
  writeManifest,
  type ManifestFields,
  type ModelManifest,
  type ModelPackage,
  type ModelSignature,
  type PackageFile,
} from './package.js';
export type { FetchedPackage } from './package-fetch.js';
export {
  APPROVAL_STATUS_TAG,
  ROLLED_BACK_TAG,
  RegistryService,
  parseModelReference,
  type RegistryDeps,
} from './service.js';
export {
  PACKAGE_STATUS_TAG,
  hasVerifiedPackage,
  requireVerifiedPackage,
  type VersionPackage,
} from './package-status.js';
/**
 * The registry's own queries, each taking a transaction, for a capability that must change a version
 * in the same transaction as its own rows (approvals: a decision, its status and its `on_approve` alias),
 * and the project of a model, which access control and lineage judge reads by.
 */
export {
  aliasVersion,
  decideVersionStatus,
  findVersion,
  findVersionState,
  modelExists,
  projectOfModel,
  upsertAlias,
} from './store.js';
export { registryRoutes } from './routes.js';
export { ModelPackageReferences } from './blob-references.js';
export {
  buildModelCard,
  renderModelCard,
  writeModelCard,
  type CardApprovals,
  type ModelCard,
  type ModelCardDeps,
} from './card.js';
export { mlflowRegistryRoutes } from './mlflow/routes.js';
export {
  ENVIRONMENTS,
  type Environment,
  type ModelLineage,
  type ModelReference,
  type ModelVersion,
  type ModelVersionStatus,
  type CreateModelOptions,
  type Page,
  type RegisteredModel,
  type RegisterOptions,
  type SearchModelsOptions,
  type SearchVersionsOptions,
} from './types.js';
export { addModelLineage } from './lineage.js';
/** The `register` step kind and its runtime, which the composition root adds to the pipelines' registries. */
export { registerModelStepKinds } from './steps/kinds.js';
export { registerModelStepRuntimes, type ModelStepTask } from './steps/runtime.js';
/** The `register` step itself, which its process (src/runners/model-step.ts) runs over the store it opens. */
export type { ModelStepDeps } from './steps/deps.js';
export { runRegisterStep, type VersionReference } from './steps/register-step.js';
