import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DatasetService } from './service.js';
import {
  DatasetSummaryReply,
  DatasetVersionDetailReply,
  DatasetVersionReply,
  summaryToWire,
  versionDetailToWire,
  versionToWire,
} from './wire.js';
import {
  access,
  authorizedId,
  projectFilter,
  requestField,
  type Action,
  type RouteAccess,
} from '../governance/index.js';
import { pageReply } from '../http/index.js';

const NameParams = z.object({ name: z.string() });
const VersionParams = z.object({ name: z.string(), version: z.string() });
const MoveBody = z.strictObject({ project: z.string() });
const tags = ['datasets'];

/**
 * The dataset named in the path, judged in its project (one that does not exist: `default`, then the handler's 404).
 */
function datasetAccess(action: Action): RouteAccess {
  return { action, resource: (request) => ({ kind: 'dataset', name: requestField(request, 'params', 'name') ?? '' }) };
}

/**
 * Dataset routes (docs/rest-api.md): reading, and moving a dataset to another project (admin of
 * both). Registration is the CLI's: it reads local files. Each handler reads the dataset its access
 * rule judged (`authorizedId`), by name, never a `NAME@version` reference parsed again.
 */
export const datasetRoutes: FastifyPluginAsyncZod<{ datasets: DatasetService }> = async (app, { datasets }) => {
  app.get(
    '/datasets',
    { schema: { tags, response: { 200: pageReply(DatasetSummaryReply) } }, config: { access: access.self('read') } },
    async (request) => {
      const summaries = await datasets.list(projectFilter(await request.readableProjects()));
      return { items: summaries.map(summaryToWire) };
    },
  );

  app.get(
    '/datasets/:name',
    {
      schema: { tags, params: NameParams, response: { 200: DatasetVersionDetailReply } },
      config: { access: datasetAccess('read') },
    },
    async (request) => versionDetailToWire(await datasets.showVersion(authorizedId(request, 'dataset'))),
  );

  app.get(
    '/datasets/:name/versions',
    {
      schema: { tags, params: NameParams, response: { 200: pageReply(DatasetVersionReply) } },
      config: { access: datasetAccess('read') },
    },
    async (request) => ({ items: (await datasets.versions(authorizedId(request, 'dataset'))).map(versionToWire) }),
  );

  app.get(
    '/datasets/:name/versions/:version',
    {
      schema: { tags, params: VersionParams, response: { 200: DatasetVersionDetailReply } },
      config: { access: datasetAccess('read') },
    },
    async (request) => {
      const version = await datasets.showVersion(authorizedId(request, 'dataset'), request.params.version);
      return versionDetailToWire(version);
    },
  );

  app.put(
    '/datasets/:name/project',
    {
      schema: { tags, params: NameParams, body: MoveBody, response: { 200: DatasetSummaryReply } },
      config: {
        access: access.move((request) => ({ kind: 'dataset', name: requestField(request, 'params', 'name') ?? '' })),
      },
    },
    async (request) => {
      const moved = await datasets.moveToProject(authorizedId(request, 'dataset'), authorizedId(request, 'project'));
      return summaryToWire(moved);
    },
  );
};
