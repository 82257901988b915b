/**
 * `ciclo.yaml`, a project's setup as a reviewable file: `ciclo plan` prints how the store differs from it, field by
 * field, and `ciclo apply` makes the store match, each kind in its owner's transaction (docs/setup.md).
 */
export { SetupService, type PlanOptions, type SetupDeps } from './service.js';
export type { PlannedChange, ResourceAction, ResourceKind, SetupPlan } from './plan.js';
export type { FieldChange } from './field-changes.js';
export { renderPlan } from './render.js';
