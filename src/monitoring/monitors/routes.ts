import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  authorizedId,
  authorizedIds,
  projectFilter,
  requestedProject,
  requestField,
  type Action,
  type RouteAccess,
} from '../../governance/index.js';
import { NoContent, pageReply } from '../../http/index.js';
import type { MonitorService } from './service.js';
import { monitorResultToWire, monitorToWire } from './wire.js';

const NameParams = z.object({ name: z.string() });
const ApplyBody = z.strictObject({
  source: z.string().max(1_000_000).describe("the monitor's YAML text"),
  file_name: z.string().max(500).optional().describe('named in error positions (default monitor.yaml)'),
});
const ResultsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).optional() });
const SeriesQuery = z.strictObject({
  metric: z.string(),
  feature: z.string().optional(),
  segment: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(5000).optional(),
});
const MetricReply = z.object({
  metric: z.string(),
  feature: z.string().nullable(),
  segment: z.string().nullable(),
  value: z.number().nullable(),
  reason: z.string().nullable(),
});
const MonitorReply = z.object({
  name: z.string(),
  project: z.string(),
  deployment: z.string(),
  definition: z.record(z.string(), z.unknown()),
  created_by: z.string(),
  created_time: z.number(),
  updated_time: z.number(),
});
const ResultReply = z.object({
  id: z.number(),
  monitor: z.string(),
  time: z.number(),
  window_start: z.number(),
  window_end: z.number(),
  rows: z.number(),
  status: z.enum(['ok', 'no_data', 'failed']),
  message: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  metrics: z.array(MetricReply),
});
const RunReply = ResultReply.extend({ alerts: z.array(z.record(z.string(), z.unknown())) });
const PointReply = z.object({
  time: z.number(),
  result_id: z.number(),
  value: z.number().nullable(),
  reason: z.string().nullable(),
});
const tags = ['monitors'];

/** The monitor the path names, judged in its project (one that does not exist: `default`, then a 404). */
function monitorAccess(action: Action): RouteAccess {
  return { action, resource: (request) => ({ kind: 'monitor', name: requestField(request, 'params', 'name') ?? '' }) };
}

/**
 * Applying needs `write` on the deployment the YAML names (the monitor joins its project); the handler applies the
 * monitor only if the text it parses names that judged deployment. A text naming none (or not YAML) is judged as a
 * write in the requested project, and then refused with its error.
 */
const applyAccess: RouteAccess = {
  action: 'write',
  resource: (request) => {
    const deployment = deploymentNamed(requestField(request, 'body', 'source'));
    return deployment === undefined
      ? { kind: 'project', project: requestedProject(request) }
      : { kind: 'deployment', name: deployment };
  },
};

function deploymentNamed(source: string | undefined): string | undefined {
  if (source === undefined) return undefined;
  try {
    const value: unknown = parse(source);
    const deployment =
      typeof value === 'object' && value !== null ? (value as Record<string, unknown>).deployment : undefined;
    return typeof deployment === 'string' ? deployment : undefined;
  } catch {
    return undefined;
  }
}

export interface MonitorRouteOptions {
  monitors: MonitorService;
}

/** `/api/v1/monitors` (docs/monitoring.md): apply, list, show, run, results, series, delete. */
export const monitorRoutes: FastifyPluginAsyncZod<MonitorRouteOptions> = async (app, { monitors }) => {
  app.post(
    '/monitors',
    { schema: { tags, body: ApplyBody, response: { 200: MonitorReply } }, config: { access: applyAccess } },
    async (request) => {
      const judged = authorizedIds(request, 'deployment')[0] ?? null;
      const fileName = request.body.file_name ?? 'monitor.yaml';
      return monitorToWire(await monitors.apply(request.body.source, fileName, { judgedDeployment: judged }));
    },
  );

  app.get(
    '/monitors',
    {
      schema: { tags, response: { 200: pageReply(MonitorReply) } },
      config: { access: { action: 'read', resource: () => ({ kind: 'self' }) } },
    },
    async (request) => {
      const { projects } = projectFilter(await request.readableProjects());
      return { items: (await monitors.list(projects)).map(monitorToWire) };
    },
  );

  app.get(
    '/monitors/:name',
    {
      schema: { tags, params: NameParams, response: { 200: MonitorReply } },
      config: { access: monitorAccess('read') },
    },
    async (request) => monitorToWire(await monitors.show(authorizedId(request, 'monitor'))),
  );

  app.post(
    '/monitors/:name/run',
    {
      schema: { tags, params: NameParams, body: z.strictObject({}).nullish(), response: { 200: RunReply } },
      config: { access: monitorAccess('write') },
    },
    async (request) => {
      const run = await monitors.run(authorizedId(request, 'monitor'));
      return { ...monitorResultToWire(run), alerts: run.alerts.map((event) => ({ ...event })) };
    },
  );

  app.get(
    '/monitors/:name/results',
    {
      schema: { tags, params: NameParams, querystring: ResultsQuery, response: { 200: pageReply(ResultReply) } },
      config: { access: monitorAccess('read') },
    },
    async (request) => ({
      items: (await monitors.results(authorizedId(request, 'monitor'), request.query.limit)).map(monitorResultToWire),
    }),
  );

  app.get(
    '/monitors/:name/series',
    {
      schema: { tags, params: NameParams, querystring: SeriesQuery, response: { 200: pageReply(PointReply) } },
      config: { access: monitorAccess('read') },
    },
    async (request) => {
      const { metric, feature, segment, limit } = request.query;
      const key = {
        metric,
        ...(feature === undefined ? {} : { feature }),
        ...(segment === undefined ? {} : { segment }),
      };
      const points = await monitors.series(authorizedId(request, 'monitor'), key, limit);
      return {
        items: points.map((point) => ({
          time: point.time,
          result_id: point.resultId,
          value: point.value,
          reason: point.reason,
        })),
      };
    },
  );

  app.delete(
    '/monitors/:name',
    {
      schema: { tags, params: NameParams, body: z.strictObject({}).nullish(), response: { 204: NoContent } },
      config: { access: monitorAccess('write') },
    },
    async (request, reply) => {
      await monitors.delete(authorizedId(request, 'monitor'));
      return reply.code(204).send();
    },
  );
};
