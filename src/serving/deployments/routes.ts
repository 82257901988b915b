import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  authorizedId,
  projectFilter,
  requestField,
  requestedProject,
  type Action,
  type RouteAccess,
} from '../../governance/index.js';
import { parseModelReference } from '../../registry/index.js';
import { NoContent, pageReply } from '../../http/index.js';
import type { DeploymentService } from './service.js';
import type { DeploymentSupervisor } from './supervisor.js';
import type { CreateDeploymentOptions } from './types.js';
import { deploymentToWire, DeploymentEventReply, DeploymentReply, eventToWire } from './wire.js';

const NameParams = z.object({ name: z.string() });
const CreateBody = z.strictObject({
  name: z.string(),
  model: z.string().describe('NAME@alias (the deployment follows the alias) or NAME/VERSION'),
  environment: z.string(),
  runtime: z.string().optional(),
  replicas: z.number().int().optional(),
  strategy: z.object({ type: z.string() }).passthrough().optional(),
  capture_rate: z.number().optional(),
});
const PromoteBody = z.strictObject({ version: z.number().int(), reason: z.string().optional() });
const ReasonBody = z.strictObject({ reason: z.string().optional() }).nullish();
const tags = ['deployments'];

/** The deployment the path names, judged in its project (one that does not exist: `default`, then a 404). */
function deploymentAccess(action: Action): RouteAccess {
  return {
    action,
    resource: (request) => ({ kind: 'deployment', name: requestField(request, 'params', 'name') ?? '' }),
  };
}

/**
 * Creating needs `write` in the project of the model the body names: the model's name is parsed from
 * `NAME@alias` / `NAME/3` here, and the handler deploys that judged name with the same alias or version.
 * A body that names no model is judged as a create in the requested project, so a caller without
 * access learns nothing of what the body should hold.
 */
const createAccess: RouteAccess = {
  action: 'write',
  resource: (request) => {
    const reference = requestField(request, 'body', 'model');
    const name = reference === undefined ? undefined : modelNameOf(reference);
    return name === undefined ? { kind: 'project', project: requestedProject(request) } : { kind: 'model', name };
  },
};

function modelNameOf(reference: string): string | undefined {
  try {
    return parseModelReference(reference).name;
  } catch {
    return undefined;
  }
}

export interface DeploymentRouteOptions {
  deployments: DeploymentService;
  /** Present in `ciclo server`, which runs the replicas; their addresses are then shown. */
  supervisor?: DeploymentSupervisor;
}

/** `/api/v1/deployments` (docs/serving.md): create, list, show, history, promote, rollback, delete. */
export const deploymentRoutes: FastifyPluginAsyncZod<DeploymentRouteOptions> = async (
  app,
  { deployments, supervisor },
) => {
  const toWire = (deployment: Parameters<typeof deploymentToWire>[0]) =>
    deploymentToWire(deployment, supervisor?.replicas(deployment.name).map((replica) => replica.url) ?? []);

  app.post(
    '/deployments',
    { schema: { tags, body: CreateBody, response: { 201: DeploymentReply } }, config: { access: createAccess } },
    async (request, reply) => {
      const reference = parseModelReference(request.body.model);
      const model = authorizedId(request, 'model');
      const target =
        reference.alias !== undefined ? `${model}@${reference.alias}` : `${model}/${reference.version ?? ''}`;
      const created = await deployments.create({ ...request.body, model: target } as CreateDeploymentOptions);
      return reply.code(201).send(toWire(created));
    },
  );

  app.get(
    '/deployments',
    {
      schema: { tags, response: { 200: pageReply(DeploymentReply) } },
      config: { access: { action: 'read', resource: () => ({ kind: 'self' }) } },
    },
    async (request) => {
      const { projects } = projectFilter(await request.readableProjects());
      return { items: (await deployments.list(projects)).map(toWire) };
    },
  );

  app.get(
    '/deployments/:name',
    {
      schema: { tags, params: NameParams, response: { 200: DeploymentReply } },
      config: { access: deploymentAccess('read') },
    },
    async (request) => toWire(await deployments.show(authorizedId(request, 'deployment'))),
  );

  app.get(
    '/deployments/:name/history',
    {
      schema: { tags, params: NameParams, response: { 200: pageReply(DeploymentEventReply) } },
      config: { access: deploymentAccess('read') },
    },
    async (request) => ({ items: (await deployments.history(authorizedId(request, 'deployment'))).map(eventToWire) }),
  );

  app.post(
    '/deployments/:name/promote',
    {
      schema: { tags, params: NameParams, body: PromoteBody, response: { 200: DeploymentReply } },
      config: { access: deploymentAccess('write') },
    },
    async (request) => {
      const { version, reason } = request.body;
      return toWire(await deployments.promote(authorizedId(request, 'deployment'), version, reason));
    },
  );

  app.post(
    '/deployments/:name/rollback',
    {
      schema: { tags, params: NameParams, body: ReasonBody, response: { 200: DeploymentReply } },
      config: { access: deploymentAccess('write') },
    },
    async (request) => toWire(await deployments.rollback(authorizedId(request, 'deployment'), request.body?.reason)),
  );

  app.delete(
    '/deployments/:name',
    {
      schema: { tags, params: NameParams, body: ReasonBody, response: { 204: NoContent } },
      config: { access: deploymentAccess('write') },
    },
    async (request, reply) => {
      await deployments.delete(authorizedId(request, 'deployment'), request.body?.reason);
      return reply.code(204).send();
    },
  );
};
