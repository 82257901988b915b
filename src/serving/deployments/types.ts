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
 * What decides a canary or shadow rollout, over each window: the candidate fails when its share of
 * 5xx answers exceeds the current version's by more than `max_error_rate`, or its p99 latency exceeds
 * `max_p99_ratio` times the current version's (and by more than 5 ms, below which p99s are noise).
 * A window with fewer than `min_requests` to the candidate decides nothing: the next step goes on.
 */
const GuardFields = {
  max_error_rate: z.number().min(0).max(1).default(0.01),
  max_p99_ratio: z.number().min(1).default(1.5),
  min_requests: z.number().int().min(1).default(20),
};

/**
 * How a new version replaces the one serving:
 * - `blue-green`: its replicas start beside the old ones, traffic switches once all answer ready, the
 *   old ones stop when their last request is answered;
 * - `canary`: it takes `steps` (percent of requests, increasing) for `step_seconds` each, judged after
 *   each step; it is promoted after the last, rolled back at the first failed judgement;
 * - `shadow`: a copy of `share` of the requests goes to it for `seconds`; its answers are recorded
 *   (its replicas capture them), never returned; then it is promoted or rolled back on the same judgement.
 */
export const StrategySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('blue-green') }),
  z.strictObject({
    type: z.literal('canary'),
    steps: z
      .array(z.number().min(1).max(99))
      .min(1)
      .max(20)
      .default([10, 50])
      .refine((steps) => steps.every((share, i) => i === 0 || share > steps[i - 1]!), 'must increase'),
    step_seconds: z.number().min(1).max(86_400).default(60),
    ...GuardFields,
  }),
  z.strictObject({
    type: z.literal('shadow'),
    share: z.number().min(0.01).max(1).default(1),
    seconds: z
      .number()
      .min(1)
      .max(7 * 86_400)
      .default(300),
    ...GuardFields,
  }),
]);
export type Strategy = z.output<typeof StrategySchema>;
export type GuardedStrategy = Exclude<Strategy, { type: 'blue-green' }>;

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
   * all of them by default. Capture costs ~50 µs of CPU per captured request (bench/serving) and past
   * ~2,000 captured requests a second its queue drops (counted): lower it for heavier traffic.
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
