import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  fromKeyValues,
  fromMlflowDatasetInput,
  toMlflowFileInfo,
  toMlflowMetric,
  toMlflowRun,
  toMlflowRunInfo,
} from './mapping.js';
import {
  CreateRunRequest,
  DeleteTagRequest,
  KeyValueRequest,
  ListArtifactsRequest,
  LogBatchRequest,
  LogInputsRequest,
  LogMetricRequest,
  MetricHistoryRequest,
  RunRequest,
  SearchRunsRequest,
  UpdateRunRequest,
} from './schemas.js';
import {
  ListArtifactsReply,
  MetricHistoryReply,
  MlflowEmpty,
  RunReply,
  SearchRunsReply,
  UpdateRunReply,
} from './replies.js';
import type { TrackingService } from '../service.js';
import { access, authorizedId, authorizedIds, requestField, type RouteAccess } from '../../governance/index.js';

/** MLflow's Default experiment: where a run created without `experiment_id` goes. */
const DEFAULT_EXPERIMENT_ID = '0';

/** The experiment a new run goes into, the Default one included: that is the one judged. */
const createRunAccess: RouteAccess = {
  action: 'write',
  resource: (request) => ({
    kind: 'experiment',
    id: requestField(request, 'body', 'experiment_id') || DEFAULT_EXPERIMENT_ID,
  }),
};

/** MLflow's `runs/*`, `metrics/get-history` and `artifacts/list` endpoints. */
export const mlflowRunRoutes: FastifyPluginAsyncZod<{ tracking: TrackingService }> = async (app, { tracking }) => {
  app.post(
    '/runs/create',
    { schema: { body: CreateRunRequest, response: { 200: RunReply } }, config: { access: createRunAccess } },
    async (request) => {
      const { body } = request;
      const run = await tracking.createRun({
        experimentId: authorizedId(request, 'experiment'),
        userId: body.user_id || undefined,
        runName: body.run_name || undefined,
        startTime: body.start_time,
        tags: fromKeyValues(body.tags),
      });
      return { run: toMlflowRun(run) };
    },
  );

  app.get(
    '/runs/get',
    {
      schema: { querystring: RunRequest, response: { 200: RunReply } },
      config: { access: access.run('read', 'query') },
    },
    async (request) => ({
      run: toMlflowRun(await tracking.getRun(authorizedId(request, 'run'))),
    }),
  );

  app.post(
    '/runs/update',
    {
      schema: { body: UpdateRunRequest, response: { 200: UpdateRunReply } },
      config: { access: access.run('write', 'body') },
    },
    async (request) => {
      const { body } = request;
      const info = await tracking.updateRun(authorizedId(request, 'run'), {
        status: body.status,
        endTime: body.end_time,
        runName: body.run_name || undefined,
      });
      return { run_info: toMlflowRunInfo(info) };
    },
  );

  app.post(
    '/runs/delete',
    { schema: { body: RunRequest, response: { 200: MlflowEmpty } }, config: { access: access.run('write', 'body') } },
    async (request) => {
      await tracking.deleteRun(authorizedId(request, 'run'));
      return {};
    },
  );

  app.post(
    '/runs/restore',
    { schema: { body: RunRequest, response: { 200: MlflowEmpty } }, config: { access: access.run('write', 'body') } },
    async (request) => {
      await tracking.restoreRun(authorizedId(request, 'run'));
      return {};
    },
  );

  app.post(
    '/runs/search',
    {
      schema: { body: SearchRunsRequest, response: { 200: SearchRunsReply } },
      config: { access: access.experiments('read', 'body', 'experiment_ids') },
    },
    async (request) => {
      const { body } = request;
      const page = await tracking.searchRuns({
        experimentIds: authorizedIds(request, 'experiment'),
        filter: body.filter || undefined,
        orderBy: body.order_by,
        maxResults: body.max_results,
        pageToken: body.page_token || undefined,
        runViewType: body.run_view_type,
      });
      return {
        runs: page.items.map(toMlflowRun),
        ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
      };
    },
  );

  app.post(
    '/runs/log-metric',
    {
      schema: { body: LogMetricRequest, response: { 200: MlflowEmpty } },
      config: { access: access.run('write', 'body') },
    },
    async (request) => {
      const { body } = request;
      await tracking.logMetric(authorizedId(request, 'run'), {
        key: body.key,
        value: body.value,
        timestamp: body.timestamp,
        step: body.step,
      });
      return {};
    },
  );

  app.post(
    '/runs/log-parameter',
    {
      schema: { body: KeyValueRequest, response: { 200: MlflowEmpty } },
      config: { access: access.run('write', 'body') },
    },
    async (request) => {
      const { body } = request;
      await tracking.logParam(authorizedId(request, 'run'), body.key, body.value);
      return {};
    },
  );

  app.post(
    '/runs/set-tag',
    {
      schema: { body: KeyValueRequest, response: { 200: MlflowEmpty } },
      config: { access: access.run('write', 'body') },
    },
    async (request) => {
      const { body } = request;
      await tracking.setTag(authorizedId(request, 'run'), body.key, body.value);
      return {};
    },
  );

  app.post(
    '/runs/delete-tag',
    {
      schema: { body: DeleteTagRequest, response: { 200: MlflowEmpty } },
      config: { access: access.run('write', 'body') },
    },
    async (request) => {
      const { body } = request;
      await tracking.deleteTag(authorizedId(request, 'run'), body.key);
      return {};
    },
  );

  app.post(
    '/runs/log-batch',
    {
      schema: { body: LogBatchRequest, response: { 200: MlflowEmpty } },
      config: { access: access.run('write', 'body') },
    },
    async (request) => {
      const { body } = request;
      await tracking.logBatch(authorizedId(request, 'run'), {
        metrics: body.metrics,
        params: body.params,
        tags: body.tags,
      });
      return {};
    },
  );

  app.post(
    '/runs/log-inputs',
    {
      schema: { body: LogInputsRequest, response: { 200: MlflowEmpty } },
      config: { access: access.run('write', 'body') },
    },
    async (request) => {
      const { body } = request;
      await tracking.logInputs(authorizedId(request, 'run'), (body.datasets ?? []).map(fromMlflowDatasetInput));
      return {};
    },
  );

  app.get(
    '/metrics/get-history',
    {
      schema: { querystring: MetricHistoryRequest, response: { 200: MetricHistoryReply } },
      config: { access: access.run('read', 'query') },
    },
    async (request) => {
      const { query } = request;
      const page = await tracking.getMetricHistory(authorizedId(request, 'run'), query.metric_key, {
        maxResults: query.max_results,
        pageToken: query.page_token || undefined,
      });
      return {
        metrics: page.items.map(toMlflowMetric),
        ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
      };
    },
  );

  app.get(
    '/artifacts/list',
    {
      schema: { querystring: ListArtifactsRequest, response: { 200: ListArtifactsReply } },
      config: { access: access.run('read', 'query') },
    },
    async (request) => {
      const { query } = request;
      const runId = authorizedId(request, 'run');
      const [run, files] = await Promise.all([
        tracking.getRun(runId),
        tracking.listArtifacts(runId, query.path || undefined),
      ]);
      return { root_uri: run.info.artifactUri, files: files.map((entry) => toMlflowFileInfo(entry)) };
    },
  );
};
