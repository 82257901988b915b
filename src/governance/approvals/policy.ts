import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { sha256Digest } from '../../artifacts/index.js';
import { canonicalJson } from '../../common/canonical-json.js';
import { NotFoundError } from '../../common/errors.js';
import {
  definitionProblemError,
  parseYamlWithSource,
  problemFromZod,
  zodMessages,
  type SourceMap,
} from '../../common/yaml-source.js';

/**
 * A model's approval policy, written in YAML; every part is optional:
 *
 * ```yaml
 * metrics:                       # thresholds on the version's metrics snapshot (any flat key,
 *   auc: { min: 0.8 }            # so per-group metrics too: "recall.age_band.60_": { min: 0.5 })
 *   log_loss: { max: 0.5 }
 * champion:                      # beat the version the alias points at (passes when there is none)
 *   alias: champion
 *   metric: auc
 *   min_delta: 0.0               # candidate − champion ≥ min_delta (champion − candidate for `lower`)
 *   direction: higher            # higher (default) or lower is better
 *   on: evaluation_data          # compare both on the candidate's evaluation rows (default: snapshot, each its own)
 *   label: churned               # the evaluation dataset's label column, with evaluation_data
 * fairness:                      # the `evaluate` step's fairness.<attribute>.<metric> keys
 *   attribute: age_band
 *   disparate_impact_ratio: { min: 0.8 }
 *   demographic_parity_difference: { max: 0.1 }
 *   equal_opportunity_difference: { max: 0.1 }
 * data_validation: required      # every `validate` step of the version's pipeline run succeeded
 * approvers: { users: [ana], roles: [approver] }
 * four_eyes: true                # the approver is not who registered the version
 * auto_approve: true             # approve automatically (actor `policy:<model>`) when every gate passes
 * on_approve:                    # when it is approved:
 *   alias: champion              #   move the alias to the version
 *   deploy:                      #   deploy it (a deployment `<model>-<env>` following the alias, or the version)
 *     - { env: staging, strategy: { type: canary } }
 *     - { env: prod, human_approval: true }   # only once a person approves the deploy (`ciclo models approve-deploy`)
 * ```
 *
 * Objects are strict: a misspelt key is an error naming its field path and `file:line:col`.
 */

const Threshold = z
  .strictObject({ min: z.number().optional(), max: z.number().optional() })
  .refine((range) => range.min !== undefined || range.max !== undefined, 'give min, max or both');

const Alias = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,99}$/, 'an alias: a letter, then letters, digits, "_" or "-"');

/**
 * A deployment the approval makes (src/app/continuous-delivery.ts). The strategy is checked as a
 * deployment's when it is created (docs/serving.md); `human_approval` holds it until a person approves
 * the deploy, which a policy's own automatic approval never counts as.
 */
export const DeployOnApprove = z.strictObject({
  env: z.enum(['dev', 'staging', 'prod']),
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a deployment name: lowercase letters, digits or "-"')
    .optional(),
  strategy: z.object({ type: z.string() }).passthrough().optional(),
  replicas: z.number().int().min(1).optional(),
  runtime: z.string().min(1).optional(),
  human_approval: z.boolean().default(false),
});
export type DeployOnApprove = z.output<typeof DeployOnApprove>;

export const PolicySchema = z.strictObject({
  description: z.string().optional(),
  metrics: z.record(z.string().min(1), Threshold).optional(),
  champion: z
    .strictObject({
      alias: Alias.default('champion'),
      metric: z.string().min(1),
      min_delta: z.number().default(0),
      direction: z.enum(['higher', 'lower']).default('higher'),
      /**
       * What the two are compared on: `snapshot` (default), the metric each version recorded when it was registered;
       * `evaluation_data`, both versions scored on the candidate's evaluation dataset (its baseline), so that after the
       * world has drifted the challenger and the champion are judged on the same, recent rows.
       */
      on: z.enum(['snapshot', 'evaluation_data']).default('snapshot'),
      /** With `evaluation_data`: the evaluation dataset's column holding the true label (0/1, or a number). */
      label: z.string().min(1).optional(),
    })
    .refine((champion) => champion.on === 'snapshot' || champion.label !== undefined, {
      message: "give `label`, the evaluation dataset's label column, with `on: evaluation_data`",
      path: ['label'],
    })
    .optional(),
  fairness: z
    .strictObject({
      attribute: z.string().min(1),
      disparate_impact_ratio: Threshold.optional(),
      demographic_parity_difference: Threshold.optional(),
      equal_opportunity_difference: Threshold.optional(),
    })
    .refine(
      (fairness) =>
        fairness.disparate_impact_ratio ??
        fairness.demographic_parity_difference ??
        fairness.equal_opportunity_difference,
      'give at least one of disparate_impact_ratio, demographic_parity_difference, equal_opportunity_difference',
    )
    .optional(),
  data_validation: z.enum(['required', 'not_required']).default('not_required'),
  approvers: z
    .strictObject({
      users: z.array(z.string().min(1)).default([]),
      roles: z.array(z.enum(['viewer', 'editor', 'approver', 'admin'])).default([]),
    })
    .optional(),
  four_eyes: z.boolean().default(false),
  auto_approve: z.boolean().default(false),
  on_approve: z
    .strictObject({
      alias: Alias.optional(),
      deploy: z.union([DeployOnApprove, z.array(DeployOnApprove).min(1)]).optional(),
    })
    .refine((action) => action.alias !== undefined || action.deploy !== undefined, 'give alias, deploy or both')
    .optional(),
});

export type Policy = z.output<typeof PolicySchema>;
export type Threshold = z.output<typeof Threshold>;
export const FAIRNESS_METRICS = [
  'disparate_impact_ratio',
  'demographic_parity_difference',
  'equal_opportunity_difference',
] as const;

/** A parsed policy with the text it came from and the digest of what it means. */
export interface LoadedPolicy {
  policy: Policy;
  text: string;
  /** `sha256:` over the parsed policy's canonical JSON, defaults filled in: comments and layout do not count. */
  digest: string;
}

const TOP_LEVEL = Object.keys(PolicySchema.shape).join(', ');

/** Parses a policy's YAML text; every error names the field path and `file:line:col`. */
export function parsePolicyYaml(text: string, fileName: string): LoadedPolicy {
  const { value, source } = parseYamlWithSource(text, fileName);
  const policy = parsePolicy(value ?? {}, source);
  return { policy, text, digest: policyDigest(policy) };
}

/** Validates a raw policy (parsed YAML or a plain object) or throws its first problem. */
export function parsePolicy(raw: unknown, source?: SourceMap): Policy {
  const parsed = PolicySchema.safeParse(raw, { error: zodMessages });
  if (parsed.success) return parsed.data;
  const problem = problemFromZod(parsed.error.issues[0]!);
  if (problem.atKey && problem.path.length === 1) problem.hint = `a policy's fields are: ${TOP_LEVEL}`;
  throw definitionProblemError(problem, source, 'policy');
}

export async function loadPolicyFile(path: string): Promise<LoadedPolicy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new NotFoundError(`policy file ${path} does not exist`, { where: path });
  }
  return parsePolicyYaml(text, path);
}

export function policyDigest(policy: Policy): string {
  return sha256Digest(canonicalJson(policy));
}
