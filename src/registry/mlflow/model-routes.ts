import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { access, authorizedId, projectFilter } from '../../governance/index.js';
import type { RegistryService } from '../service.js';
import { fromKeyValues, latestPerStage, parseStage, toMlflowModelVersion, toMlflowRegisteredModel } from './mapping.js';
import { bodyOrQuery, modelInBodyOrQuery } from './request.js';
import {
  AliasRequest,
  CreateModelRequest,
  LatestVersionsRequest,
  ModelName,
  ModelTagKeyRequest,
  ModelTagRequest,
  RenameModelRequest,
  SearchRequest,
  SetAliasRequest,
  UpdateModelRequest,
} from './schemas.js';
import {
  MlflowEmpty,
  ModelVersionReply,
  ModelVersionsReply,
  RegisteredModelReply,
  SearchModelsReply,
} from './replies.js';

/** MLflow's `registered-models/*` endpoints. */
export const mlflowModelRoutes: FastifyPluginAsyncZod<{ registry: RegistryService }> = async (app, { registry }) => {
  const mlflowModel = async (name: string) => {
    const model = await registry.getModel(name);
    return toMlflowRegisteredModel(
      model,
      model.versionCount === 0 ? [] : latestPerStage(await registry.versions(name)),
    );
  };

  app.post(
    '/registered-models/create',
    {
      schema: { body: CreateModelRequest, response: { 200: RegisteredModelReply } },
      config: { access: access.create('write') },
    },
    async (request) => {
      const { name, tags, description } = request.body;
      await registry.createModel(name, {
        tags: fromKeyValues(tags),
        description,
        project: authorizedId(request, 'project'),
      });
      return { registered_model: await mlflowModel(name) };
    },
  );

  app.get(
    '/registered-models/get',
    {
      schema: { querystring: ModelName, response: { 200: RegisteredModelReply } },
      config: { access: access.model('read', 'query') },
    },
    async (request) => ({
      registered_model: await mlflowModel(authorizedId(request, 'model')),
    }),
  );

  const search = async (request: z.output<typeof SearchRequest>, readable: string[] | 'all') => {
    const page = await registry.searchModels({
      filter: request.filter,
      maxResults: request.max_results,
      pageToken: request.page_token || undefined,
      orderBy: request.order_by,
      ...projectFilter(readable),
    });
    const models = [];
    for (const model of page.items)
      models.push(
        toMlflowRegisteredModel(
          model,
          model.versionCount === 0 ? [] : latestPerStage(await registry.versions(model.name)),
        ),
      );
    return { registered_models: models, ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
  };
  app.get(
    '/registered-models/search',
    {
      schema: { querystring: SearchRequest, response: { 200: SearchModelsReply } },
      config: { access: access.self('read') },
    },
    async (request) => search(request.query, await request.readableProjects()),
  );
  app.post(
    '/registered-models/search',
    { schema: { body: SearchRequest, response: { 200: SearchModelsReply } }, config: { access: access.self('read') } },
    async (request) => search(request.body, await request.readableProjects()),
  );

  app.post(
    '/registered-models/rename',
    {
      schema: { body: RenameModelRequest, response: { 200: RegisteredModelReply } },
      config: { access: access.model('write', 'body') },
    },
    async (request) => {
      await registry.renameModel(authorizedId(request, 'model'), request.body.new_name);
      return { registered_model: await mlflowModel(request.body.new_name) };
    },
  );

  app.patch(
    '/registered-models/update',
    {
      schema: { body: UpdateModelRequest, response: { 200: RegisteredModelReply } },
      config: { access: access.model('write', 'body') },
    },
    async (request) => {
      await registry.updateModel(authorizedId(request, 'model'), { description: request.body.description ?? null });
      return { registered_model: await mlflowModel(authorizedId(request, 'model')) };
    },
  );

  app.delete(
    '/registered-models/delete',
    {
      schema: { body: ModelName.nullish(), querystring: ModelName.partial(), response: { 200: MlflowEmpty } },
      config: { access: modelInBodyOrQuery('write') },
    },
    async (request) => {
      bodyOrQuery(ModelName, request); // refuses a request without a name before anything changes
      await registry.deleteModel(authorizedId(request, 'model'));
      return {};
    },
  );

  const latest = async (request: z.output<typeof LatestVersionsRequest>) => {
    const stages = request.stages?.map((stage) => parseStage(stage));
    return { model_versions: latestPerStage(await registry.versions(request.name), stages).map(toMlflowModelVersion) };
  };
  app.post(
    '/registered-models/get-latest-versions',
    {
      schema: { body: LatestVersionsRequest, response: { 200: ModelVersionsReply } },
      config: { access: access.model('read', 'body') },
    },
    async (request) => latest({ ...request.body, name: authorizedId(request, 'model') }),
  );
  app.get(
    '/registered-models/get-latest-versions',
    {
      schema: { querystring: LatestVersionsRequest, response: { 200: ModelVersionsReply } },
      config: { access: access.model('read', 'query') },
    },
    async (request) => latest({ ...request.query, name: authorizedId(request, 'model') }),
  );

  app.post(
    '/registered-models/set-tag',
    {
      schema: { body: ModelTagRequest, response: { 200: MlflowEmpty } },
      config: { access: access.model('write', 'body') },
    },
    async (request) => {
      await registry.setModelTag(authorizedId(request, 'model'), request.body.key, request.body.value);
      return {};
    },
  );

  app.delete(
    '/registered-models/delete-tag',
    {
      schema: {
        body: ModelTagKeyRequest.nullish(),
        querystring: ModelTagKeyRequest.partial(),
        response: { 200: MlflowEmpty },
      },
      config: { access: modelInBodyOrQuery('write') },
    },
    async (request) => {
      const name = authorizedId(request, 'model');
      const { key } = bodyOrQuery(ModelTagKeyRequest, request);
      await registry.deleteModelTag(name, key);
      return {};
    },
  );

  app.post(
    '/registered-models/alias',
    {
      schema: { body: SetAliasRequest, response: { 200: MlflowEmpty } },
      config: { access: access.model('write', 'body') },
    },
    async (request) => {
      await registry.setAlias(authorizedId(request, 'model'), request.body.alias, request.body.version);
      return {};
    },
  );

  app.delete(
    '/registered-models/alias',
    {
      schema: { body: AliasRequest.nullish(), querystring: AliasRequest.partial(), response: { 200: MlflowEmpty } },
      config: { access: modelInBodyOrQuery('write') },
    },
    async (request) => {
      const name = authorizedId(request, 'model');
      const { alias } = bodyOrQuery(AliasRequest, request);
      await registry.deleteAlias(name, alias);
      return {};
    },
  );

  app.get(
    '/registered-models/alias',
    {
      schema: { querystring: AliasRequest, response: { 200: ModelVersionReply } },
      config: { access: access.model('read', 'query') },
    },
    async (request) => ({
      model_version: toMlflowModelVersion(
        await registry.resolve(`${authorizedId(request, 'model')}@${request.query.alias}`),
      ),
    }),
  );
};
