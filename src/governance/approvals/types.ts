import type { DeployOnApprove } from './policy.js';
import type { GateResult } from './gates.js';
import type { Policy } from './policy.js';

export type Decision = 'approved' | 'rejected';

/** A model's stored approval policy. */
export interface StoredPolicy {
  name: string;
  policy: Policy;
  /** The YAML text as it was set. */
  text: string;
  digest: string;
  setBy: string;
  setTime: number;
}

/** One evaluation of a policy's gates against a version. */
export interface GateEvaluation {
  id: string;
  name: string;
  version: number;
  /** `stored` (the model's policy) or the file the policy was read from. */
  policySource: string;
  policyDigest: string;
  evaluatedBy: string;
  evaluatedTime: number;
  /** Every gate passed. */
  passed: boolean;
  results: GateResult[];
}

/** The decision on a version. */
export interface ApprovalRecord {
  name: string;
  version: number;
  decision: Decision;
  /** Who decided: a user, or `policy:<model>` for an automatic approval. */
  actor: string;
  comment: string | null;
  time: number;
  automatic: boolean;
  policyDigest: string | null;
  gateResultId: string | null;
}

export interface DecisionOptions {
  comment?: string;
}

export interface DecisionOutcome {
  approval: ApprovalRecord;
  /** The alias moved by the policy's `on_approve`, with the version it pointed at before. */
  alias?: { alias: string; previous: number | null };
  /** What the policy's `on_approve.deploy` did, one entry per environment. */
  deployments?: DeployOutcome[];
}

/** One `on_approve.deploy` entry carried out (or held for a person's approval, or failed: the approval stands). */
export interface DeployOutcome {
  env: string;
  deployment: string;
  action: 'created' | 'promoted' | 'follows-alias' | 'awaiting-human-approval' | 'failed';
  message?: string;
}

/** An approved version and the deploys its policy asks for: what the composition root's deploy hook receives. */
export interface ApprovedVersion {
  name: string;
  version: number;
  /** The alias `on_approve` moved to it, which a deployment made here follows. */
  alias?: string;
  /** The entries to carry out now (those needing a person's approval are left out until one approves). */
  deploy: DeployOnApprove[];
}

/** Both versions' metric on the same rows: the candidate's evaluation dataset (`champion.on: evaluation_data`). */
export interface ChampionComparison {
  candidate: number | null;
  champion: number | null;
  /** The rows compared on, as `NAME@VERSION (N rows)`. */
  data: string;
}

/**
 * Scores the champion and the candidate on the candidate's evaluation dataset (src/app/champion-evaluation.ts);
 * approvals load no model themselves.
 */
export type ChampionEvaluator = (request: {
  model: string;
  candidate: number;
  champion: number;
  metric: string;
  label: string;
}) => Promise<ChampionComparison>;

/** Deploys an approved version (src/app/continuous-delivery.ts); approvals know no deployment themselves. */
export type DeployHook = (approved: ApprovedVersion) => Promise<DeployOutcome[]>;
