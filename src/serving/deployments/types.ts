import { z } from 'zod';
import { plainText } from '../../common/validation.js';

/**
 * What a deployment is: a model reference served in an environment by a runtime, with replicas and a
 * rollout strategy. `NAME@alias` follows the alias (moving it rolls the new version out); `NAME/3`
 * stays on version 3 until promoted.
 */
export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export type DeploymentEnvironment = (typeof ENVIRONMENTS)[number];

// A path segment of `/serve/{name}/…` and a process name: no '/', '@' or spaces.
export const DeploymentNameSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'must be lowercase letters, digits or "-" (starting with a letter or digit), at most 63 characters',
  );

/**
 * Blue/green: the new version's replicas start beside the old ones, traffic switches once every new
 * replica answers ready, and the old ones stop when their last request is answered. (Canary and
 * shadow rollouts come with the next change to this schema.)
 */
export const StrategySchema = z.discriminatedUnion('type', [z.strictObject({ type: z.literal('blue-green') })]);
export type Strategy = z.output<typeof StrategySchema>;

export const MAX_REPLICAS = 8;

export const CreateDeploymentSchema = z.strictObject({
  name: DeploymentNameSchema,
  /** `NAME@alias`, `NAME/3`. */
  model: z.string().min(1).max(400),
  environment: z.enum(ENVIRONMENTS),
  runtime: z.string().min(1).max(50).optional(),
  replicas: z.number().int().min(1).max(MAX_REPLICAS).default(1),
  strategy: StrategySchema.default({ type: 'blue-green' }),
  /**
   * The share of requests whose inputs and outputs are captured (sensitive columns masked) for monitoring;
   * all of them by default, as the cost is measured (bench/serving) to stay within a tenth of a request's.
   */
  capture_rate: z.number().min(0).max(1).default(1),
});
export type CreateDeploymentOptions = z.input<typeof CreateDeploymentSchema>;

export const ReasonSchema = plainText(z.string().max(2000), 'value');

export const DEPLOYMENT_STATES = ['PENDING', 'READY', 'UPDATING', 'FAILED'] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

export interface Deployment {
  name: string;
  project: string;
  environment: DeploymentEnvironment;
  modelName: string;
  /** As created: `churn@champion` or `churn/3`. */
  model: string;
  alias: string | null;
  pinnedVersion: number | null;
  runtime: string | null;
  replicas: number;
  strategy: Strategy;
  captureRate: number;
  /**
   * PENDING: nothing serves yet; READY: `servingVersion` serves; UPDATING: a new version is starting
   * beside it; FAILED: the last version tried did not start (`message` says why), the one before still serves.
   */
  state: DeploymentState;
  message: string | null;
  servingVersion: number | null;
  candidateVersion: number | null;
  createdBy: string;
  createdTime: number;
  updatedTime: number;
}

export interface DeploymentEvent {
  deployment: string;
  time: number;
  actor: string;
  action: string;
  fromVersion: number | null;
  toVersion: number | null;
  reason: string | null;
  details: Record<string, unknown>;
}
