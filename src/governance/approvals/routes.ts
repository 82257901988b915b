import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, authorizedId } from '../access/route-access.js';
import type { ApprovalService } from './service.js';

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
  policySource: z.string(),
  policyDigest: z.string(),
  evaluatedBy: z.string(),
  evaluatedTime: z.number(),
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
  policyDigest: z.string().nullable(),
  gateResultId: z.string().nullable(),
});
const OutcomeSchema = z.object({
  approval: ApprovalSchema,
  alias: z.object({ alias: z.string(), previous: z.number().nullable() }).optional(),
});
const PolicyRecordSchema = z.object({
  name: z.string(),
  policy: z.record(z.string(), z.unknown()),
  text: z.string(),
  digest: z.string(),
  setBy: z.string(),
  setTime: z.number(),
});

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
    async (request) => approvals.approve(authorizedId(request, 'model'), request.params.version, request.body),
  );

  app.post(
    '/models/:name/versions/:version/reject',
    {
      config: { access: access.model('approve', 'params', 'name') },
      schema: { tags, params: VersionParams, body: DecisionBody, response: { 200: OutcomeSchema } },
    },
    async (request) => approvals.reject(authorizedId(request, 'model'), request.params.version, request.body),
  );

  app.get(
    '/models/:name/versions/:version/approvals',
    {
      config: { access: access.model('read', 'params', 'name') },
      schema: { tags, params: VersionParams, response: { 200: z.object({ approvals: z.array(ApprovalSchema) }) } },
    },
    async (request) => ({ approvals: await approvals.history(authorizedId(request, 'model'), request.params.version) }),
  );

  app.get(
    '/models/:name/versions/:version/gates',
    {
      config: { access: access.model('read', 'params', 'name') },
      schema: { tags, params: VersionParams, response: { 200: z.object({ gate_results: z.array(GateEvaluationSchema) }) } },
    },
    async (request) => ({ gate_results: await approvals.gateResults(authorizedId(request, 'model'), request.params.version) }),
  );

  // Evaluating stores a result (it is what approval reads), so it needs write access, not read.
  app.post(
    '/models/:name/versions/:version/gates',
    {
      config: { access: access.model('write', 'params', 'name') },
      schema: { tags, params: VersionParams, response: { 200: GateEvaluationSchema } },
    },
    async (request) => approvals.evaluateGates(authorizedId(request, 'model'), request.params.version),
  );

  app.get(
    '/models/:name/policy',
    {
      config: { access: access.model('read', 'params', 'name') },
      schema: { tags, params: NameParams, response: { 200: PolicyRecordSchema } },
    },
    async (request) => approvals.getPolicy(authorizedId(request, 'model')),
  );

  app.put(
    '/models/:name/policy',
    {
      config: { access: access.model('admin', 'params', 'name') },
      schema: { tags, params: NameParams, body: z.strictObject({ policy: z.string().min(1).max(100_000) }), response: { 200: PolicyRecordSchema } },
    },
    async (request) => approvals.setPolicy(authorizedId(request, 'model'), request.body.policy, 'policy'),
  );
};
