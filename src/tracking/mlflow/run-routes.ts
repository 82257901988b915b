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
  runIdOf,
  SearchRunsRequest,
  UpdateRunRequest,
} from './schemas.js';
import type { TrackingService } from '../service.js';
import { access } from '../../governance/access/route-access.js';

/** MLflow's `runs/*`, `metrics/get-history` and `artifacts/list` endpoints. */
export const mlflowRunRoutes: FastifyPluginAsyncZod<{ tracking: TrackingService }> = async (app, { tracking }) => {
  app.post('/runs/create', { schema: { body: CreateRunRequest }, config: { access: access.experiment('write', 'body') } }, async ({ body }) => {
    const run = await tracking.createRun({
      experimentId: body.experiment_id || '0',
      userId: body.user_id || undefined,
      runName: body.run_name || undefined,
      startTime: body.start_time,
      tags: fromKeyValues(body.tags),
    });
    return { run: toMlflowRun(run) };
  });

  app.get('/runs/get', { schema: { querystring: RunRequest }, config: { access: access.run('read', 'query') } }, async ({ query }) => ({
    run: toMlflowRun(await tracking.getRun(runIdOf(query))),
  }));

  app.post('/runs/update', { schema: { body: UpdateRunRequest }, config: { access: access.run('write', 'body') } }, async ({ body }) => {
    const info = await tracking.updateRun(runIdOf(body), { status: body.status, endTime: body.end_time, runName: body.run_name || undefined });
    return { run_info: toMlflowRunInfo(info) };
  });

  app.post('/runs/delete', { schema: { body: RunRequest }, config: { access: access.run('write', 'body') } }, async ({ body }) => {
    await tracking.deleteRun(runIdOf(body));
    return {};
  });

  app.post('/runs/restore', { schema: { body: RunRequest }, config: { access: access.run('write', 'body') } }, async ({ body }) => {
    await tracking.restoreRun(runIdOf(body));
    return {};
  });

  app.post('/runs/search', { schema: { body: SearchRunsRequest }, config: { access: access.experiments('read', 'body', 'experiment_ids') } }, async ({ body }) => {
    const page = await tracking.searchRuns({
      experimentIds: body.experiment_ids ?? [],
      filter: body.filter || undefined,
      orderBy: body.order_by,
      maxResults: body.max_results,
      pageToken: body.page_token || undefined,
      runViewType: body.run_view_type,
    });
    return { runs: page.items.map(toMlflowRun), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
  });

  app.post('/runs/log-metric', { schema: { body: LogMetricRequest }, config: { access: access.run('write', 'body') } }, async ({ body }) => {
    await tracking.logMetric(runIdOf(body), { key: body.key, value: body.value, timestamp: body.timestamp, step: body.step });
    return {};
  });

  app.post('/runs/log-parameter', { schema: { body: KeyValueRequest }, config: { access: access.run('write', 'body') } }, async ({ body }) => {
    await tracking.logParam(runIdOf(body), body.key, body.value);
    return {};
  });

  app.post('/runs/set-tag', { schema: { body: KeyValueRequest }, config: { access: access.run('write', 'body') } }, async ({ body }) => {
    await tracking.setTag(runIdOf(body), body.key, body.value);
    return {};
  });

  app.post('/runs/delete-tag', { schema: { body: DeleteTagRequest }, config: { access: access.run('write', 'body') } }, async ({ body }) => {
    await tracking.deleteTag(runIdOf(body), body.key);
    return {};
  });

  app.post('/runs/log-batch', { schema: { body: LogBatchRequest }, config: { access: access.run('write', 'body') } }, async ({ body }) => {
    await tracking.logBatch(runIdOf(body), { metrics: body.metrics, params: body.params, tags: body.tags });
    return {};
  });

  app.post('/runs/log-inputs', { schema: { body: LogInputsRequest }, config: { access: access.run('write', 'body') } }, async ({ body }) => {
    await tracking.logInputs(runIdOf(body), (body.datasets ?? []).map(fromMlflowDatasetInput));
    return {};
  });

  app.get('/metrics/get-history', { schema: { querystring: MetricHistoryRequest }, config: { access: access.run('read', 'query') } }, async ({ query }) => {
    const page = await tracking.getMetricHistory(runIdOf(query), query.metric_key, {
      maxResults: query.max_results,
      pageToken: query.page_token || undefined,
    });
    return { metrics: page.items.map(toMlflowMetric), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
  });

  app.get('/artifacts/list', { schema: { querystring: ListArtifactsRequest }, config: { access: access.run('read', 'query') } }, async ({ query }) => {
    const runId = runIdOf(query);
    const [run, files] = await Promise.all([tracking.getRun(runId), tracking.listArtifacts(runId, query.path || undefined)]);
    return { root_uri: run.info.artifactUri, files: files.map((entry) => toMlflowFileInfo(entry)) };
  });
};
