import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import {
  access,
  authorizedId,
  projectFilter,
  requestedProject,
  requestField,
  type ResourceRef,
  type RouteAccess,
} from '../governance/index.js';
import { NoContent, QueryInt, QueryList, pageReply, pageToWire } from '../http/index.js';
import { SignatureSchema } from './package.js';
import type { RegistryService } from './service.js';
import { ENVIRONMENTS, type ModelVersion, type RegisteredModel } from './types.js';

/**
 * Native registry routes (docs/rest-api.md), snake_case on the wire. Each handler is one service
 * call; the service validates names, aliases, tags and filters and names the failing field.
 */

const tags = ['models'];

const NameParams = z.object({ name: z.string() });
const VersionParams = z.object({ name: z.string(), version: QueryInt });
const AliasParams = z.object({ name: z.string(), alias: z.string() });
const StageParams = z.object({ name: z.string(), environment: z.string() });
const ModelTagParams = z.object({ name: z.string(), key: z.string() });
const VersionTagParams = z.object({ name: z.string(), version: QueryInt, key: z.string() });

const Tags = z.record(z.string(), z.string());
const SearchQuery = z.object({
  filter: z.string().optional(),
  max_results: QueryInt.optional(),
  page_token: z.string().optional(),
  order_by: QueryList.optional(),
});
const CreateModelBody = z.strictObject({ name: z.string(), description: z.string().optional(), tags: Tags.optional() });
const UpdateModelBody = z.strictObject({ name: z.string().optional(), description: z.string().nullable().optional() });
const RegisterBody = z.strictObject({
  run_id: z.string(),
  path: z.string(),
  description: z.string().optional(),
  tags: Tags.optional(),
});
const UpdateVersionBody = z.strictObject({ description: z.string().nullable() });
const PointBody = z.strictObject({ version: QueryInt });
const TagValueBody = z.strictObject({ value: z.string() });
const MoveBody = z.strictObject({ project: z.string() });

const ModelReply = z.object({
  name: z.string(),
  project: z.string(),
  description: z.string().nullable(),
  tags: Tags,
  latest_version: z.number().nullable(),
  version_count: z.number(),
  aliases: z.record(z.string(), z.number()),
  stages: z.record(z.string(), z.number()),
  created_time: z.number(),
  updated_time: z.number(),
});
const VersionReply = z.object({
  name: z.string(),
  version: z.number(),
  run_id: z.string(),
  source: z.string(),
  /** null: no verified package (registered over MLflow from files without one). */
  manifest_digest: z.string().nullable(),
  flavor: z.string(),
  signature: SignatureSchema,
  metrics: z.record(z.string(), z.number().nullable()),
  lineage: z.object({
    run: z.string(),
    pipeline_run: z.string().nullable(),
    git_commit: z.string().nullable(),
    datasets: z.array(z.object({ name: z.string(), digest: z.string(), context: z.string() })),
  }),
  description: z.string().nullable(),
  status: z.string(),
  tags: Tags,
  aliases: z.array(z.string()),
  stages: z.array(z.enum(ENVIRONMENTS)),
  created_by: z.string(),
  created_time: z.number(),
  updated_time: z.number(),
});
const PreviousReply = z.object({ previous: z.number().nullable() });

export function toWireModel(model: RegisteredModel): z.input<typeof ModelReply> {
  return {
    name: model.name,
    project: model.project,
    description: model.description,
    tags: model.tags,
    latest_version: model.latestVersion,
    version_count: model.versionCount,
    aliases: model.aliases,
    stages: model.stages,
    created_time: model.createdTime,
    updated_time: model.updatedTime,
  };
}

export function toWireVersion(version: ModelVersion): z.input<typeof VersionReply> {
  return {
    name: version.name,
    version: version.version,
    run_id: version.runId,
    source: version.source,
    manifest_digest: version.manifestDigest,
    flavor: version.flavor,
    signature: version.signature,
    metrics: version.metrics,
    lineage: version.lineage,
    description: version.description,
    status: version.status,
    tags: version.tags,
    aliases: version.aliases,
    stages: version.stages,
    created_by: version.createdBy,
    created_time: version.createdTime,
    updated_time: version.updatedTime,
  };
}

/**
 * Registering a version writes the model and reads the run it comes from. A model that does not
 * exist yet is created in the run's project, so the write is judged there (`orElse`). The name is in
 * the path (native) or the body (MLflow); `runOf` finds the run exactly as the handler will (the
 * body's `run_id`, or the run of an MLflow source, through the one source parser).
 */
export function registerAccess(
  runOf: (request: FastifyRequest) => string | undefined | Promise<string | undefined>,
): RouteAccess {
  return {
    action: 'write',
    resource: async (request) => {
      const name = requestField(request, 'params', 'name') ?? requestField(request, 'body', 'name');
      const runId = await runOf(request);
      if (runId === undefined || runId === '')
        return name === undefined ? { kind: 'project', project: requestedProject(request) } : { kind: 'model', name };
      const run: ResourceRef = { kind: 'run', id: runId, action: 'read' };
      return name === undefined ? run : [{ kind: 'model', name, orElse: { kind: 'run', id: runId } }, run];
    },
  };
}

export const registryRoutes: FastifyPluginAsyncZod<{ registry: RegistryService }> = async (app, { registry }) => {
  app.get(
    '/models',
    {
      schema: { tags, querystring: SearchQuery, response: { 200: pageReply(ModelReply) } },
      config: { access: access.self('read') },
    },
    async (request) => {
      const { query } = request;
      const page = await registry.searchModels({
        filter: query.filter,
        maxResults: query.max_results,
        pageToken: query.page_token,
        orderBy: query.order_by,
        ...projectFilter(await request.readableProjects()),
      });
      return pageToWire(page, toWireModel);
    },
  );

  app.post(
    '/models',
    {
      schema: { tags, body: CreateModelBody, response: { 201: ModelReply } },
      config: { access: access.create('write') },
    },
    async (request, reply) => {
      const { name, description, tags: modelTags } = request.body;
      const model = await registry.createModel(name, {
        description,
        tags: modelTags,
        project: authorizedId(request, 'project'),
      });
      return reply.code(201).send(toWireModel(model));
    },
  );

  app.get(
    '/model-versions',
    {
      schema: { tags, querystring: SearchQuery, response: { 200: pageReply(VersionReply) } },
      config: { access: access.self('read') },
    },
    async (request) => {
      const { query } = request;
      const page = await registry.searchVersions({
        filter: query.filter,
        maxResults: query.max_results,
        pageToken: query.page_token,
        orderBy: query.order_by,
        ...projectFilter(await request.readableProjects()),
      });
      return pageToWire(page, toWireVersion);
    },
  );

  app.get(
    '/models/:name',
    {
      schema: { tags, params: NameParams, response: { 200: ModelReply } },
      config: { access: access.model('read', 'params') },
    },
    async (request) => toWireModel(await registry.getModel(authorizedId(request, 'model'))),
  );

  app.patch(
    '/models/:name',
    {
      schema: { tags, params: NameParams, body: UpdateModelBody, response: { 200: ModelReply } },
      config: { access: access.model('write', 'params') },
    },
    async (request) =>
      toWireModel(
        await registry.changeModel(authorizedId(request, 'model'), {
          ...(request.body.name === undefined ? {} : { newName: request.body.name }),
          ...(request.body.description === undefined ? {} : { description: request.body.description }),
        }),
      ),
  );

  app.delete(
    '/models/:name',
    {
      schema: { tags, params: NameParams, response: { 204: NoContent } },
      config: { access: access.model('write', 'params') },
    },
    async (request, reply) => {
      await registry.deleteModel(authorizedId(request, 'model'));
      return reply.code(204).send();
    },
  );

  app.put(
    '/models/:name/project',
    {
      schema: { tags, params: NameParams, body: MoveBody, response: { 200: ModelReply } },
      config: {
        access: access.move((request) => ({ kind: 'model', name: requestField(request, 'params', 'name') ?? '' })),
      },
    },
    async (request) =>
      toWireModel(await registry.moveToProject(authorizedId(request, 'model'), authorizedId(request, 'project'))),
  );

  app.get(
    '/models/:name/versions',
    {
      schema: { tags, params: NameParams, response: { 200: pageReply(VersionReply) } },
      config: { access: access.model('read', 'params') },
    },
    async (request) => ({ items: (await registry.versions(authorizedId(request, 'model'))).map(toWireVersion) }),
  );

  app.post(
    '/models/:name/versions',
    {
      schema: { tags, params: NameParams, body: RegisterBody, response: { 201: VersionReply } },
      config: { access: registerAccess((request) => requestField(request, 'body', 'run_id')) },
    },
    async (request, reply) => {
      const version = await registry.register(authorizedId(request, 'model'), {
        runId: authorizedId(request, 'run'),
        path: request.body.path,
        description: request.body.description,
        tags: request.body.tags,
      });
      return reply.code(201).send(toWireVersion(version));
    },
  );

  app.get(
    '/models/:name/versions/:version',
    {
      schema: { tags, params: VersionParams, response: { 200: VersionReply } },
      config: { access: access.model('read', 'params') },
    },
    async (request) => toWireVersion(await registry.show(authorizedId(request, 'model'), request.params.version)),
  );

  app.patch(
    '/models/:name/versions/:version',
    {
      schema: { tags, params: VersionParams, body: UpdateVersionBody, response: { 200: VersionReply } },
      config: { access: access.model('write', 'params') },
    },
    async (request) =>
      toWireVersion(
        await registry.updateVersion(authorizedId(request, 'model'), request.params.version, {
          description: request.body.description,
        }),
      ),
  );

  app.delete(
    '/models/:name/versions/:version',
    {
      schema: { tags, params: VersionParams, response: { 204: NoContent } },
      config: { access: access.model('write', 'params') },
    },
    async (request, reply) => {
      await registry.deleteVersion(authorizedId(request, 'model'), request.params.version);
      return reply.code(204).send();
    },
  );

  app.get(
    '/models/:name/aliases/:alias',
    {
      schema: { tags, params: AliasParams, response: { 200: VersionReply } },
      config: { access: access.model('read', 'params') },
    },
    async (request) =>
      toWireVersion(await registry.resolve(`${authorizedId(request, 'model')}@${request.params.alias}`)),
  );

  app.put(
    '/models/:name/aliases/:alias',
    {
      schema: { tags, params: AliasParams, body: PointBody, response: { 200: PreviousReply } },
      config: { access: access.model('write', 'params') },
    },
    async (request) => registry.setAlias(authorizedId(request, 'model'), request.params.alias, request.body.version),
  );

  app.delete(
    '/models/:name/aliases/:alias',
    {
      schema: { tags, params: AliasParams, response: { 204: NoContent } },
      config: { access: access.model('write', 'params') },
    },
    async (request, reply) => {
      await registry.deleteAlias(authorizedId(request, 'model'), request.params.alias);
      return reply.code(204).send();
    },
  );

  app.put(
    '/models/:name/stages/:environment',
    {
      schema: { tags, params: StageParams, body: PointBody, response: { 200: PreviousReply } },
      config: { access: access.model('write', 'params') },
    },
    async (request) =>
      registry.setStage(authorizedId(request, 'model'), request.params.environment, request.body.version),
  );

  app.put(
    '/models/:name/tags/:key',
    {
      schema: { tags, params: ModelTagParams, body: TagValueBody, response: { 204: NoContent } },
      config: { access: access.model('write', 'params') },
    },
    async (request, reply) => {
      await registry.setModelTag(authorizedId(request, 'model'), request.params.key, request.body.value);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/models/:name/tags/:key',
    {
      schema: { tags, params: ModelTagParams, response: { 204: NoContent } },
      config: { access: access.model('write', 'params') },
    },
    async (request, reply) => {
      await registry.deleteModelTag(authorizedId(request, 'model'), request.params.key);
      return reply.code(204).send();
    },
  );

  app.put(
    '/models/:name/versions/:version/tags/:key',
    {
      schema: { tags, params: VersionTagParams, body: TagValueBody, response: { 204: NoContent } },
      config: { access: access.model('write', 'params') },
    },
    async (request, reply) => {
      await registry.setVersionTag(
        authorizedId(request, 'model'),
        request.params.version,
        request.params.key,
        request.body.value,
      );
      return reply.code(204).send();
    },
  );

  app.delete(
    '/models/:name/versions/:version/tags/:key',
    {
      schema: { tags, params: VersionTagParams, response: { 204: NoContent } },
      config: { access: access.model('write', 'params') },
    },
    async (request, reply) => {
      await registry.deleteVersionTag(authorizedId(request, 'model'), request.params.version, request.params.key);
      return reply.code(204).send();
    },
  );
};
