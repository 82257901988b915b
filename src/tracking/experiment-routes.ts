import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  camelKeys,
  CreateExperimentBody,
  ExperimentIdParams,
  ExperimentNameParams,
  ExperimentReply,
  ExperimentTagParams,
  RenameExperimentBody,
  SearchExperimentsQuery,
  snakeKeys,
  TagValueBody,
} from './native-wire.js';
import { NoBody, NoContent, pageReply, pageToWire } from '../http/index.js';
import type { TrackingService } from './service.js';
import {
  access,
  authorizedId,
  projectFilter,
  requestedProject,
  requestField,
  type RouteAccess,
} from '../governance/index.js';

/** A new experiment goes to the body's `project`, else the `X-Ciclo-Project` header's, else `default`. */
const createInBodyProject: RouteAccess = {
  action: 'write',
  resource: (request) => ({
    kind: 'project',
    project: requestField(request, 'body', 'project') ?? requestedProject(request),
  }),
};

const tags = ['experiments'];
const MoveBody = z.strictObject({ project: z.string() });

/** Native experiment routes (docs/rest-api.md), each one call into the tracking service. */
export const experimentRoutes: FastifyPluginAsyncZod<{ tracking: TrackingService }> = async (app, { tracking }) => {
  app.post(
    '/experiments',
    {
      schema: { tags, body: CreateExperimentBody, response: { 201: ExperimentReply } },
      config: { access: createInBodyProject },
    },
    async (request, reply) => {
      const input = { ...camelKeys(request.body), project: authorizedId(request, 'project') };
      return reply.code(201).send(snakeKeys(await tracking.createExperiment(input)));
    },
  );

  app.get(
    '/experiments',
    {
      schema: { tags, querystring: SearchExperimentsQuery, response: { 200: pageReply(ExperimentReply) } },
      config: { access: access.self('read') },
    },
    async (request) => {
      const search = { ...camelKeys(request.query), ...projectFilter(await request.readableProjects()) };
      return pageToWire(await tracking.searchExperiments(search), snakeKeys);
    },
  );

  app.get(
    '/experiments/:experimentId',
    {
      schema: { tags, params: ExperimentIdParams, response: { 200: ExperimentReply } },
      config: { access: access.experiment('read', 'params', 'experimentId') },
    },
    async (request) => snakeKeys(await tracking.getExperiment(authorizedId(request, 'experiment'))),
  );

  app.get(
    '/experiments/by-name/:name',
    {
      schema: { tags, params: ExperimentNameParams, response: { 200: ExperimentReply } },
      config: { access: access.experimentNamed('read', 'params', 'name') },
    },
    async (request) => {
      const experiment = await tracking.getExperimentByName(authorizedId(request, 'experiment-name'));
      return snakeKeys(experiment);
    },
  );

  app.put(
    '/experiments/by-name/:name',
    {
      schema: { tags, params: ExperimentNameParams, body: NoBody, response: { 200: ExperimentReply } },
      config: { access: access.experimentNamed('write', 'params', 'name') },
    },
    async (request) => {
      const name = authorizedId(request, 'experiment-name');
      return snakeKeys(await tracking.getOrCreateExperiment(name, requestedProject(request)));
    },
  );

  app.patch(
    '/experiments/:experimentId',
    {
      schema: { tags, params: ExperimentIdParams, body: RenameExperimentBody, response: { 200: ExperimentReply } },
      config: { access: access.experiment('write', 'params', 'experimentId') },
    },
    async (request) => {
      const experiment = await tracking.renameExperiment(authorizedId(request, 'experiment'), request.body.name);
      return snakeKeys(experiment);
    },
  );

  app.put(
    '/experiments/:experimentId/tags/:key',
    {
      schema: { tags, params: ExperimentTagParams, body: TagValueBody, response: { 204: NoContent } },
      config: { access: access.experiment('write', 'params', 'experimentId') },
    },
    async (request, reply) => {
      await tracking.setExperimentTag(authorizedId(request, 'experiment'), request.params.key, request.body.value);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/experiments/:experimentId',
    {
      schema: { tags, params: ExperimentIdParams, response: { 204: NoContent } },
      config: { access: access.experiment('write', 'params', 'experimentId') },
    },
    async (request, reply) => {
      await tracking.deleteExperiment(authorizedId(request, 'experiment'));
      return reply.code(204).send();
    },
  );

  app.post(
    '/experiments/:experimentId/restore',
    {
      schema: { tags, params: ExperimentIdParams, body: NoBody, response: { 204: NoContent } },
      config: { access: access.experiment('write', 'params', 'experimentId') },
    },
    async (request, reply) => {
      await tracking.restoreExperiment(authorizedId(request, 'experiment'));
      return reply.code(204).send();
    },
  );

  app.put(
    '/experiments/:experimentId/project',
    {
      schema: { tags, params: ExperimentIdParams, body: MoveBody, response: { 200: ExperimentReply } },
      config: {
        access: access.move((request) => ({
          kind: 'experiment',
          id: requestField(request, 'params', 'experimentId') ?? '',
        })),
      },
    },
    async (request) => {
      const moved = await tracking.moveToProject(authorizedId(request, 'experiment'), authorizedId(request, 'project'));
      return snakeKeys(moved);
    },
  );
};
