import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { fromKeyValues, toMlflowExperiment } from './mapping.js';
import {
  CreateExperimentRequest,
  ExperimentByNameRequest,
  ExperimentIdRequest,
  SearchExperimentsRequest,
  SetExperimentTagRequest,
  UpdateExperimentRequest,
} from './schemas.js';
import { CreateExperimentReply, ExperimentReply, MlflowEmpty, SearchExperimentsReply } from './replies.js';
import type { z } from 'zod';
import type { TrackingService } from '../service.js';
import { access, authorizedId, projectFilter } from '../../governance/index.js';

/** MLflow's `experiments/*` endpoints. */
export const mlflowExperimentRoutes: FastifyPluginAsyncZod<{ tracking: TrackingService }> = async (
  app,
  { tracking },
) => {
  app.post(
    '/experiments/create',
    {
      schema: { body: CreateExperimentRequest, response: { 200: CreateExperimentReply } },
      config: { access: access.create('write') },
    },
    async (request) => {
      const { body } = request;
      const experiment = await tracking.createExperiment({
        project: authorizedId(request, 'project'),
        name: body.name,
        artifactLocation: body.artifact_location || undefined,
        tags: fromKeyValues(body.tags),
      });
      return { experiment_id: experiment.experimentId };
    },
  );

  app.get(
    '/experiments/get',
    {
      schema: { querystring: ExperimentIdRequest, response: { 200: ExperimentReply } },
      config: { access: access.experiment('read', 'query') },
    },
    async (request) => ({
      experiment: toMlflowExperiment(await tracking.getExperiment(authorizedId(request, 'experiment'))),
    }),
  );

  app.get(
    '/experiments/get-by-name',
    {
      schema: { querystring: ExperimentByNameRequest, response: { 200: ExperimentReply } },
      config: { access: access.experimentNamed('read', 'query', 'experiment_name') },
    },
    async (request) => ({
      experiment: toMlflowExperiment(await tracking.getExperimentByName(authorizedId(request, 'experiment-name'))),
    }),
  );

  const search = async (request: z.output<typeof SearchExperimentsRequest>, readable: string[] | 'all') => {
    const page = await tracking.searchExperiments({
      ...projectFilter(readable),
      filter: request.filter || undefined,
      orderBy: request.order_by,
      maxResults: request.max_results,
      pageToken: request.page_token || undefined,
      viewType: request.view_type,
    });
    return {
      experiments: page.items.map(toMlflowExperiment),
      ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
    };
  };
  app.post(
    '/experiments/search',
    {
      schema: { body: SearchExperimentsRequest, response: { 200: SearchExperimentsReply } },
      config: { access: access.self('read') },
    },
    async (request) => search(request.body, await request.readableProjects()),
  );
  app.get(
    '/experiments/search',
    {
      schema: { querystring: SearchExperimentsRequest, response: { 200: SearchExperimentsReply } },
      config: { access: access.self('read') },
    },
    async (request) => search(request.query, await request.readableProjects()),
  );

  app.post(
    '/experiments/update',
    {
      schema: { body: UpdateExperimentRequest, response: { 200: MlflowEmpty } },
      config: { access: access.experiment('write', 'body') },
    },
    async (request) => {
      const { body } = request;
      await tracking.renameExperiment(authorizedId(request, 'experiment'), body.new_name);
      return {};
    },
  );

  app.post(
    '/experiments/delete',
    {
      schema: { body: ExperimentIdRequest, response: { 200: MlflowEmpty } },
      config: { access: access.experiment('write', 'body') },
    },
    async (request) => {
      await tracking.deleteExperiment(authorizedId(request, 'experiment'));
      return {};
    },
  );

  app.post(
    '/experiments/restore',
    {
      schema: { body: ExperimentIdRequest, response: { 200: MlflowEmpty } },
      config: { access: access.experiment('write', 'body') },
    },
    async (request) => {
      await tracking.restoreExperiment(authorizedId(request, 'experiment'));
      return {};
    },
  );

  app.post(
    '/experiments/set-experiment-tag',
    {
      schema: { body: SetExperimentTagRequest, response: { 200: MlflowEmpty } },
      config: { access: access.experiment('write', 'body') },
    },
    async (request) => {
      const { body } = request;
      await tracking.setExperimentTag(authorizedId(request, 'experiment'), body.key, body.value);
      return {};
    },
  );
};
