/**
 * Approvals: YAML policies per model, gate evaluations and approve/reject decisions (`model_policies`,
 * `model_gate_results`, `model_approvals`), over the registry's versions.
 */
export { ApprovalService, type ApprovalDeps, type PipelineRunFacts, type PolicyOverride } from './service.js';
export { evaluatePolicyGates, type GateEvidence, type GateResult } from './gates.js';
export {
  FAIRNESS_METRICS,
  PolicySchema,
  loadPolicyFile,
  parsePolicy,
  parsePolicyYaml,
  policyDigest,
  type DeployOnApprove,
  type LoadedPolicy,
  type Policy,
} from './policy.js';
export type {
  ApprovalRecord,
  Decision,
  DecisionOptions,
  DecisionOutcome,
  ApprovedVersion,
  ChampionComparison,
  ChampionEvaluator,
  DeployHook,
  DeployOutcome,
  GateEvaluation,
  StoredPolicy,
} from './types.js';
export { approvalRoutes, type ApprovalRoutesOptions } from './routes.js';
/** The `gate` step kind and its runtime, which the composition root adds to the pipelines' registries. */
export { registerGateStepKind, registerGateStepRuntime, type GateStepTask } from './steps/kind.js';
/** The `gate` step itself, which its process (src/runners/model-step.ts) runs over the store it opens. */
export { runGateStep, type GateDecision, type GateStepDeps } from './steps/gate-step.js';
