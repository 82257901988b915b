import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  camelKeys,
  CreateRunBody,
  LogBatchBody,
  LogInputsBody,
  MetricHistoryParams,
  MetricReply,
  metricToWire,
  PageQuery,
  RunIdParams,
  RunInfoReply,
  RunReply,
  RunTagParams,
  runToWire,
  SearchRunsBody,
  snakeKeys,
  TagValueBody,
  UpdateRunBody,
} from './native-wire.js';
import { NoBody, NoContent, pageReply, pageToWire } from '../http/index.js';
import type { TrackingService } from './service.js';
import { access, authorizedId, authorizedIds } from '../governance/index.js';

const tags = ['runs'];

/** Native run routes (docs/rest-api.md): lifecycle, search and logging, each one service call. */
export const runRoutes: FastifyPluginAsyncZod<{ tracking: TrackingService }> = async (app, { tracking }) => {
  app.post(
    '/runs',
    {
      schema: { tags, body: CreateRunBody, response: { 201: RunReply } },
      config: { access: access.experiment('write', 'body', 'experiment_id') },
    },
    async (request, reply) => {
      const input = { ...camelKeys(request.body), experimentId: authorizedId(request, 'experiment') };
      return reply.code(201).send(runToWire(await tracking.createRun(input)));
    },
  );

  app.get(
    '/runs/:runId',
    {
      schema: { tags, params: RunIdParams, response: { 200: RunReply } },
      config: { access: access.run('read', 'params', 'runId') },
    },
    async (request) => runToWire(await tracking.getRun(authorizedId(request, 'run'))),
  );

  app.patch(
    '/runs/:runId',
    {
      schema: { tags, params: RunIdParams, body: UpdateRunBody, response: { 200: RunInfoReply } },
      config: { access: access.run('write', 'params', 'runId') },
    },
    async (request) => snakeKeys(await tracking.updateRun(authorizedId(request, 'run'), camelKeys(request.body))),
  );

  app.delete(
    '/runs/:runId',
    {
      schema: { tags, params: RunIdParams, response: { 204: NoContent } },
      config: { access: access.run('write', 'params', 'runId') },
    },
    async (request, reply) => {
      await tracking.deleteRun(authorizedId(request, 'run'));
      return reply.code(204).send();
    },
  );

  app.post(
    '/runs/:runId/restore',
    {
      schema: { tags, params: RunIdParams, body: NoBody, response: { 204: NoContent } },
      config: { access: access.run('write', 'params', 'runId') },
    },
    async (request, reply) => {
      await tracking.restoreRun(authorizedId(request, 'run'));
      return reply.code(204).send();
    },
  );

  app.post(
    '/runs/search',
    {
      schema: { tags, body: SearchRunsBody, response: { 200: pageReply(RunReply) } },
      config: { access: access.experiments('read', 'body', 'experiment_ids') },
    },
    async (request) => {
      const search = { ...camelKeys(request.body), experimentIds: authorizedIds(request, 'experiment') };
      return pageToWire(await tracking.searchRuns(search), runToWire);
    },
  );

  app.post(
    '/runs/:runId/batch',
    {
      schema: { tags, params: RunIdParams, body: LogBatchBody, response: { 204: NoContent } },
      config: { access: access.run('write', 'params', 'runId') },
    },
    async (request, reply) => {
      await tracking.logBatch(authorizedId(request, 'run'), request.body);
      return reply.code(204).send();
    },
  );

  app.put(
    '/runs/:runId/tags/:key',
    {
      schema: { tags, params: RunTagParams, body: TagValueBody, response: { 204: NoContent } },
      config: { access: access.run('write', 'params', 'runId') },
    },
    async (request, reply) => {
      await tracking.setTag(authorizedId(request, 'run'), request.params.key, request.body.value);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/runs/:runId/tags/:key',
    {
      schema: { tags, params: RunTagParams, response: { 204: NoContent } },
      config: { access: access.run('write', 'params', 'runId') },
    },
    async (request, reply) => {
      await tracking.deleteTag(authorizedId(request, 'run'), request.params.key);
      return reply.code(204).send();
    },
  );

  app.post(
    '/runs/:runId/inputs',
    {
      schema: { tags, params: RunIdParams, body: LogInputsBody, response: { 204: NoContent } },
      config: { access: access.run('write', 'params', 'runId') },
    },
    async (request, reply) => {
      await tracking.logInputs(authorizedId(request, 'run'), request.body.datasets.map(camelKeys));
      return reply.code(204).send();
    },
  );

  app.get(
    '/runs/:runId/metrics/:key/history',
    {
      schema: { tags, params: MetricHistoryParams, querystring: PageQuery, response: { 200: pageReply(MetricReply) } },
      config: { access: access.run('read', 'params', 'runId') },
    },
    async (request) => {
      const runId = authorizedId(request, 'run');
      const page = await tracking.getMetricHistory(runId, request.params.key, camelKeys(request.query));
      return pageToWire(page, metricToWire);
    },
  );
};
