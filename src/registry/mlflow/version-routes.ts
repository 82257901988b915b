import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { InvalidInputError, NotFoundError } from '../../common/errors.js';
import { access, projectFilter } from '../../governance/access/route-access.js';
import type { TrackingService } from '../../tracking/index.js';
import { registerAccess } from '../routes.js';
import type { RegistryService } from '../service.js';
import { fromKeyValues, parseVersionSource, toMlflowModelVersion } from './mapping.js';
import { bodyOrQuery, modelInBodyOrQuery } from './request.js';
import { CreateVersionRequest, SearchRequest, UpdateVersionRequest, VersionRequest, VersionTagKeyRequest, VersionTagRequest } from './schemas.js';

/** MLflow's `model-versions/*` endpoints. */
export const mlflowVersionRoutes: FastifyPluginAsyncZod<{ registry: RegistryService; tracking: TrackingService }> = async (app, { registry, tracking }) => {
  app.post('/model-versions/create', { schema: { body: CreateVersionRequest }, config: { access: registerAccess(registry) } }, async ({ body }) => {
    // As MLflow: a version goes into a registered model that exists (its client creates the model first).
    if (!(await registry.exists(body.name))) {
      throw new NotFoundError(`Registered Model with name=${body.name} not found`, {
        where: 'name',
        hint: 'Create it with registered-models/create first (mlflow.register_model does), or register through POST /api/v1/models/:name/versions.',
      });
    }
    const artifactUri = body.run_id ? (await tracking.getRun(body.run_id)).info.artifactUri : undefined;
    const { runId, path } = parseVersionSource(body.source, body.run_id || undefined, artifactUri);
    if (body.run_id && body.run_id !== runId) {
      throw new InvalidInputError(`source '${body.source}' is in run ${runId}, not in run_id ${body.run_id}`, { where: 'source' });
    }
    const version = await registry.register(body.name, { runId, path, description: body.description || undefined, tags: fromKeyValues(body.tags) });
    return { model_version: toMlflowModelVersion(version) };
  });

  app.get('/model-versions/get', { schema: { querystring: VersionRequest }, config: { access: access.model('read', 'query') } }, async ({ query }) => ({
    model_version: toMlflowModelVersion(await registry.show(query.name, query.version)),
  }));

  const search = async (request: z.output<typeof SearchRequest>, readable: string[] | 'all') => {
    const page = await registry.searchVersions({ filter: request.filter, maxResults: request.max_results, pageToken: request.page_token || undefined, orderBy: request.order_by, ...projectFilter(readable) });
    return { model_versions: page.items.map(toMlflowModelVersion), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
  };
  app.get('/model-versions/search', { schema: { querystring: SearchRequest }, config: { access: access.self('read') } }, async (request) => search(request.query, await request.readableProjects()));
  app.post('/model-versions/search', { schema: { body: SearchRequest }, config: { access: access.self('read') } }, async (request) => search(request.body, await request.readableProjects()));

  app.patch('/model-versions/update', { schema: { body: UpdateVersionRequest }, config: { access: access.model('write', 'body') } }, async ({ body }) => ({
    model_version: toMlflowModelVersion(await registry.updateVersion(body.name, body.version, { description: body.description ?? null })),
  }));

  app.delete('/model-versions/delete', { schema: { body: VersionRequest.nullish(), querystring: VersionRequest.partial() }, config: { access: modelInBodyOrQuery('write') } }, async (request) => {
    const { name, version } = bodyOrQuery(VersionRequest, request);
    await registry.deleteVersion(name, version);
    return {};
  });

  app.post('/model-versions/set-tag', { schema: { body: VersionTagRequest }, config: { access: access.model('write', 'body') } }, async ({ body }) => {
    await registry.setVersionTag(body.name, body.version, body.key, body.value);
    return {};
  });

  app.delete('/model-versions/delete-tag', { schema: { body: VersionTagKeyRequest.nullish(), querystring: VersionTagKeyRequest.partial() }, config: { access: modelInBodyOrQuery('write') } }, async (request) => {
    const { name, version, key } = bodyOrQuery(VersionTagKeyRequest, request);
    await registry.deleteVersionTag(name, version, key);
    return {};
  });

  // MLflow clients download from this URI; `mlflow-artifacts:/…` is served by the artifact proxy routes.
  app.get('/model-versions/get-download-uri', { schema: { querystring: VersionRequest }, config: { access: access.model('read', 'query') } }, async ({ query }) => {
    const version = await registry.show(query.name, query.version);
    const run = await tracking.getRun(version.runId);
    const root = run.info.artifactUri.replace(/\/+$/, '');
    return { artifact_uri: version.source === '' ? root : `${root}/${version.source}` };
  });
};
