import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { InvalidInputError, NotFoundError } from '../../common/errors.js';
import type { FastifyRequest } from 'fastify';
import { access, authorizedId, projectFilter, requestField } from '../../governance/index.js';
import type { TrackingService } from '../../tracking/index.js';
import { registerAccess } from '../routes.js';
import type { RegistryService } from '../service.js';
import { fromKeyValues, parseStage, parseVersionSource, stageChange, toMlflowModelVersion } from './mapping.js';
import { bodyOrQuery, modelInBodyOrQuery } from './request.js';
import {
  CreateVersionRequest,
  SearchRequest,
  TransitionStageRequest,
  UpdateVersionRequest,
  VersionRequest,
  VersionTagKeyRequest,
  VersionTagRequest,
} from './schemas.js';
import { DownloadUriReply, MlflowEmpty, ModelVersionReply, SearchVersionsReply } from './replies.js';

/** MLflow's `model-versions/*` endpoints. */
export const mlflowVersionRoutes: FastifyPluginAsyncZod<{
  registry: RegistryService;
  tracking: TrackingService;
}> = async (app, { registry, tracking }) => {
  /**
   * The run and folder a `model-versions/create` names, read once by one parser (`parseVersionSource`)
   * for both the access check and the handler: `runs:/`, `runs://`, `mlflow-artifacts:` or the run's
   * artifact_uri, and a `run_id` that must agree with the source.
   */
  const sourceOf = async (request: FastifyRequest): Promise<{ runId: string; path: string } | undefined> => {
    const source = requestField(request, 'body', 'source');
    if (source === undefined) return undefined;
    const runId = requestField(request, 'body', 'run_id') || undefined;
    const artifactUri =
      runId === undefined
        ? undefined
        : await tracking.getRun(runId).then(
            (run) => run.info.artifactUri,
            () => undefined,
          );
    // An unknown run_id is judged as named; registering from it then answers 404, as MLflow does.
    if (runId !== undefined && artifactUri === undefined) return { runId, path: '' };
    const found = parseVersionSource(source, runId, artifactUri);
    if (runId !== undefined && runId !== found.runId) {
      throw new InvalidInputError(`source '${source}' is in run ${found.runId}, not in run_id ${runId}`, {
        where: 'source',
      });
    }
    return found;
  };

  const createAccess = registerAccess(async (request) => (await sourceOf(request))?.runId);
  app.post(
    '/model-versions/create',
    { schema: { body: CreateVersionRequest, response: { 200: ModelVersionReply } }, config: { access: createAccess } },
    async (request) => {
      const { body } = request;
      const name = authorizedId(request, 'model');
      // As MLflow: a version goes into a registered model that exists (its client creates the model first).
      if (!(await registry.exists(name))) {
        throw new NotFoundError(`Registered Model with name=${name} not found`, {
          where: 'name',
          hint:
            'Create it with registered-models/create first (mlflow.register_model does), ' +
            'or register through POST /api/v1/models/:name/versions.',
        });
      }
      const runId = authorizedId(request, 'run');
      const source = await sourceOf(request);
      if (source?.runId !== runId)
        throw new Error(
          `model-versions/create: the source's run changed from ${runId} between the check and the handler`,
        );
      // As MLflow, any folder of the run: one without a package gives a version that cannot be approved or deployed.
      const version = await registry.registerAllowingNoPackage(name, {
        runId,
        path: source.path,
        description: body.description || undefined,
        tags: fromKeyValues(body.tags),
      });
      return { model_version: toMlflowModelVersion(version) };
    },
  );

  // Governed as the native PUT /models/:name/stages/:environment: the same service rules and audit entries.
  app.post(
    '/model-versions/transition-stage',
    {
      schema: { body: TransitionStageRequest, response: { 200: ModelVersionReply } },
      config: { access: access.model('write', 'body') },
    },
    async (request) => {
      const change = stageChange(parseStage(request.body.stage, 'stage'));
      return {
        model_version: toMlflowModelVersion(
          await registry.changeStages(authorizedId(request, 'model'), request.body.version, change),
        ),
      };
    },
  );

  app.get(
    '/model-versions/get',
    {
      schema: { querystring: VersionRequest, response: { 200: ModelVersionReply } },
      config: { access: access.model('read', 'query') },
    },
    async (request) => ({
      model_version: toMlflowModelVersion(await registry.show(authorizedId(request, 'model'), request.query.version)),
    }),
  );

  const search = async (request: z.output<typeof SearchRequest>, readable: string[] | 'all') => {
    const page = await registry.searchVersions({
      filter: request.filter,
      maxResults: request.max_results,
      pageToken: request.page_token || undefined,
      orderBy: request.order_by,
      ...projectFilter(readable),
    });
    return {
      model_versions: page.items.map(toMlflowModelVersion),
      ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
    };
  };
  app.get(
    '/model-versions/search',
    {
      schema: { querystring: SearchRequest, response: { 200: SearchVersionsReply } },
      config: { access: access.self('read') },
    },
    async (request) => search(request.query, await request.readableProjects()),
  );
  app.post(
    '/model-versions/search',
    {
      schema: { body: SearchRequest, response: { 200: SearchVersionsReply } },
      config: { access: access.self('read') },
    },
    async (request) => search(request.body, await request.readableProjects()),
  );

  app.patch(
    '/model-versions/update',
    {
      schema: { body: UpdateVersionRequest, response: { 200: ModelVersionReply } },
      config: { access: access.model('write', 'body') },
    },
    async (request) => ({
      model_version: toMlflowModelVersion(
        await registry.updateVersion(authorizedId(request, 'model'), request.body.version, {
          description: request.body.description ?? null,
        }),
      ),
    }),
  );

  app.delete(
    '/model-versions/delete',
    {
      schema: { body: VersionRequest.nullish(), querystring: VersionRequest.partial(), response: { 200: MlflowEmpty } },
      config: { access: modelInBodyOrQuery('write') },
    },
    async (request) => {
      const name = authorizedId(request, 'model');
      const { version } = bodyOrQuery(VersionRequest, request);
      await registry.deleteVersion(name, version);
      return {};
    },
  );

  app.post(
    '/model-versions/set-tag',
    {
      schema: { body: VersionTagRequest, response: { 200: MlflowEmpty } },
      config: { access: access.model('write', 'body') },
    },
    async (request) => {
      await registry.setVersionTag(
        authorizedId(request, 'model'),
        request.body.version,
        request.body.key,
        request.body.value,
      );
      return {};
    },
  );

  app.delete(
    '/model-versions/delete-tag',
    {
      schema: {
        body: VersionTagKeyRequest.nullish(),
        querystring: VersionTagKeyRequest.partial(),
        response: { 200: MlflowEmpty },
      },
      config: { access: modelInBodyOrQuery('write') },
    },
    async (request) => {
      const name = authorizedId(request, 'model');
      const { version, key } = bodyOrQuery(VersionTagKeyRequest, request);
      await registry.deleteVersionTag(name, version, key);
      return {};
    },
  );

  // MLflow clients download from this URI; `mlflow-artifacts:/…` is served by the artifact proxy routes.
  app.get(
    '/model-versions/get-download-uri',
    {
      schema: { querystring: VersionRequest, response: { 200: DownloadUriReply } },
      config: { access: access.model('read', 'query') },
    },
    async (request) => {
      const version = await registry.show(authorizedId(request, 'model'), request.query.version);
      const run = await tracking.getRun(version.runId);
      const root = run.info.artifactUri.replace(/\/+$/, '');
      return { artifact_uri: version.source === '' ? root : `${root}/${version.source}` };
    },
  );
};
