import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DatasetSummarySchema, DatasetVersionDetailSchema, DatasetVersionInfoSchema } from './records.js';
import type { DatasetService } from './service.js';
import { access } from '../governance/access/route-access.js';

const NameParams = z.object({ name: z.string() });
const VersionParams = z.object({ name: z.string(), version: z.string() });

/** Read-only dataset routes (docs/rest-api.md); registration is the CLI's: it reads local files. */
export const datasetRoutes: FastifyPluginAsyncZod<{ datasets: DatasetService }> = async (app, { datasets }) => {
  app.get(
    '/datasets',
    { schema: { tags: ['datasets'], response: { 200: z.object({ datasets: z.array(DatasetSummarySchema) }) } }, config: { access: access.shared('read') } },
    async () => ({ datasets: await datasets.list() }),
  );

  app.get(
    '/datasets/:name',
    { schema: { tags: ['datasets'], params: NameParams, response: { 200: DatasetVersionDetailSchema } }, config: { access: access.shared('read') } },
    async (request) => datasets.show(request.params.name),
  );

  app.get(
    '/datasets/:name/versions',
    { schema: { tags: ['datasets'], params: NameParams, response: { 200: z.object({ versions: z.array(DatasetVersionInfoSchema) }) } }, config: { access: access.shared('read') } },
    async (request) => ({ versions: await datasets.versions(request.params.name) }),
  );

  app.get(
    '/datasets/:name/versions/:version',
    { schema: { tags: ['datasets'], params: VersionParams, response: { 200: DatasetVersionDetailSchema } }, config: { access: access.shared('read') } },
    async (request) => datasets.show(`${request.params.name}@${request.params.version}`),
  );
};
