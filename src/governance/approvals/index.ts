/**
 * Approvals: YAML policies per model, gate evaluations and approve/reject decisions (`model_policies`,
 * `model_gate_results`, `model_approvals`), over the registry's versions.
 */
export { ApprovalService, type ApprovalDeps, type PolicyOverride } from './service.js';
export { evaluatePolicyGates, type GateEvidence, type GateResult } from './gates.js';
export { FAIRNESS_METRICS, PolicySchema, loadPolicyFile, parsePolicy, parsePolicyYaml, policyDigest, type LoadedPolicy, type Policy } from './policy.js';
export type { ApprovalRecord, Decision, DecisionOptions, DecisionOutcome, GateEvaluation, StoredPolicy } from './types.js';
export { approvalRoutes, type ApprovalRoutesOptions } from './routes.js';

import type { CicloContext } from '../../app/context.js';
import { registryServiceFor } from '../../registry/index.js';
import { ApprovalService } from './service.js';

/** Approvals over an open context's store, registry and audit log. */
export function approvalServiceFor(context: CicloContext): ApprovalService {
  return new ApprovalService({ db: context.database.db, registry: registryServiceFor(context), audit: context.audit, access: context.access });
}
