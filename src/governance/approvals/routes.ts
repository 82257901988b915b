import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, authorizedId } from '../access/index.js';
import { NoBody, pageReply } from '../../http/index.js';
import type { ApprovalService } from './service.js';
import type { ApprovalRecord, DecisionOutcome, GateEvaluation, StoredPolicy } from './types.js';

const NameParams = z.object({ name: z.string().min(1) });
const VersionParams = z.object({
  name: z.string().min(1),
  version: z
    .string()
    .regex(/^[1-9]\d*$/, 'must be a version number (1, 2, …)')
    .transform(Number),
});
const DecisionBody = z.strictObject({ comment: z.string().max(5000).optional() }).default({});

const GateResultSchema = z.object({
  gate: z.string(),
  passed: z.boolean(),
  observed: z.union([z.number(), z.string()]).nullable(),
  expected: z.string(),
  message: z.string(),
});
const GateEvaluationSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number(),
  policy_source: z.string(),
  policy_digest: z.string(),
  evaluated_by: z.string(),
  evaluated_time: z.number(),
  passed: z.boolean(),
  results: z.array(GateResultSchema),
});
const ApprovalSchema = z.object({
  name: z.string(),
  version: z.number(),
  decision: z.enum(['approved', 'rejected']),
  actor: z.string(),
  comment: z.string().nullable(),
  time: z.number(),
  automatic: z.boolean(),
  policy_digest: z.string().nullable(),
  gate_result_id: z.string().nullable(),
});
const DeployOutcomeSchema = z.object({
  env: z.string(),
  deployment: z.string(),
  action: z.enum(['created', 'promoted', 'follows-alias', 'awaiting-human-approval', 'failed']),
  message: z.string().optional(),
});
const OutcomeSchema = z.object({
  approval: ApprovalSchema,
  alias: z.object({ alias: z.string(), previous: z.number().nullable() }).optional(),
  deployments: z.array(DeployOutcomeSchema).optional(),
});
const DeployApprovalBody = z.strictObject({
  env: z.string().min(1),
  comment: z.string().max(5000).optional(),
});
const PolicyRecordSchema = z.object({
  name: z.string(),
  policy: z.record(z.string(), z.unknown()),
  text: z.string(),
  digest: z.string(),
  set_by: z.string(),
  set_time: z.number(),
});

/** The approval records in snake_case (docs/rest-api.md); the policy is its YAML's own fields. */
function approvalToWire(approval: ApprovalRecord): z.input<typeof ApprovalSchema> {
  const { policyDigest, gateResultId, ...decided } = approval;
  return { ...decided, policy_digest: policyDigest, gate_result_id: gateResultId };
}

function outcomeToWire(outcome: DecisionOutcome): z.input<typeof OutcomeSchema> {
  return { ...outcome, approval: approvalToWire(outcome.approval) };
}

function evaluationToWire(evaluation: GateEvaluation): z.input<typeof GateEvaluationSchema> {
  const { policySource, policyDigest, evaluatedBy, evaluatedTime, ...evaluated } = evaluation;
  return {
    ...evaluated,
    policy_source: policySource,
    policy_digest: policyDigest,
    evaluated_by: evaluatedBy,
    evaluated_time: evaluatedTime,
  };
}

function policyToWire(policy: StoredPolicy): z.input<typeof PolicyRecordSchema> {
  const { setBy, setTime, ...stored } = policy;
  return { ...stored, set_by: setBy, set_time: setTime };
}

export interface ApprovalRoutesOptions {
  approvals: ApprovalService;
}

/**
 * Approval routes under the registry's paths (mounted with `prefix: '/api/v1'`): decide on a
 * version, read its gate results and decisions, evaluate its gates, read and set the model's policy.
 * The caller is `currentActor()`, which the server sets per request.
 */
export const approvalRoutes: FastifyPluginAsyncZod<ApprovalRoutesOptions> = async (app, { approvals }) => {
  const tags = ['models'];

  app.post(
    '/models/:name/versions/:version/approve',
    {
      config: { access: access.model('approve', 'params', 'name') },
      schema: { tags, params: VersionParams, body: DecisionBody, response: { 200: OutcomeSchema } },
    },
    async (request) => {
      const outcome = await approvals.approve(authorizedId(request, 'model'), request.params.version, request.body);
      return outcomeToWire(outcome);
    },
  );

  app.post(
    '/models/:name/versions/:version/reject',
    {
      config: { access: access.model('approve', 'params', 'name') },
      schema: { tags, params: VersionParams, body: DecisionBody, response: { 200: OutcomeSchema } },
    },
    async (request) => {
      const outcome = await approvals.reject(authorizedId(request, 'model'), request.params.version, request.body);
      return outcomeToWire(outcome);
    },
  );

  // The second, human approval a policy's `on_approve.deploy` entry with `human_approval: true` waits for.
  app.post(
    '/models/:name/versions/:version/deploy-approvals',
    {
      config: { access: access.model('approve', 'params', 'name') },
      schema: { tags, params: VersionParams, body: DeployApprovalBody, response: { 200: DeployOutcomeSchema } },
    },
    async (request) => {
      const { env, ...options } = request.body;
      return approvals.approveDeploy(authorizedId(request, 'model'), request.params.version, env, options);
    },
  );

  app.get(
    '/models/:name/versions/:version/approvals',
    {
      config: { access: access.model('read', 'params', 'name') },
      schema: { tags, params: VersionParams, response: { 200: pageReply(ApprovalSchema) } },
    },
    async (request) => {
      const decisions = await approvals.history(authorizedId(request, 'model'), request.params.version);
      return { items: decisions.map(approvalToWire) };
    },
  );

  app.get(
    '/models/:name/versions/:version/gates',
    {
      config: { access: access.model('read', 'params', 'name') },
      schema: { tags, params: VersionParams, response: { 200: pageReply(GateEvaluationSchema) } },
    },
    async (request) => {
      const evaluations = await approvals.gateResults(authorizedId(request, 'model'), request.params.version);
      return { items: evaluations.map(evaluationToWire) };
    },
  );

  // Evaluating stores a result (it is what approval reads), so it needs write access, not read.
  app.post(
    '/models/:name/versions/:version/gates',
    {
      config: { access: access.model('write', 'params', 'name') },
      schema: { tags, params: VersionParams, body: NoBody, response: { 200: GateEvaluationSchema } },
    },
    async (request) => {
      const evaluation = await approvals.evaluateGates(authorizedId(request, 'model'), request.params.version);
      return evaluationToWire(evaluation);
    },
  );

  app.get(
    '/models/:name/policy',
    {
      config: { access: access.model('read', 'params', 'name') },
      schema: { tags, params: NameParams, response: { 200: PolicyRecordSchema } },
    },
    async (request) => policyToWire(await approvals.getPolicy(authorizedId(request, 'model'))),
  );

  app.put(
    '/models/:name/policy',
    {
      config: { access: access.model('admin', 'params', 'name') },
      schema: {
        tags,
        params: NameParams,
        body: z.strictObject({ policy: z.string().min(1).max(100_000) }),
        response: { 200: PolicyRecordSchema },
      },
    },
    async (request) => {
      const stored = await approvals.setPolicy(authorizedId(request, 'model'), request.body.policy, 'policy');
      return policyToWire(stored);
    },
  );
};
