import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { QueryInt } from '../server/query.js';
import type { LineageService } from './service.js';
import { LINEAGE_DIRECTIONS, LineageGraphSchema } from './types.js';
import { access } from '../governance/access/route-access.js';

/** Like QueryInt, but 0 is allowed: depth 0 answers the node alone (does it exist, what is it). */
const QueryDepth = z
  .string()
  .regex(/^\d+$/, 'must be a whole number')
  .transform(Number)
  .pipe(z.number().int('must be a whole number'));

export const LineageQuery = z.object({
  // Left to the service when missing or empty, so the answer carries the hint listing the node forms.
  node: z.string().default(''),
  direction: z.enum(LINEAGE_DIRECTIONS).optional(),
  depth: QueryDepth.optional(),
  maxNodes: QueryInt.optional(),
});

/** `GET /lineage`: the same graph `ciclo lineage --json` prints (docs/rest-api.md). */
export const lineageRoutes: FastifyPluginAsyncZod<{ lineage: LineageService }> = async (app, { lineage }) => {
  app.get(
    '/lineage',
    { schema: { tags: ['lineage'], querystring: LineageQuery, response: { 200: LineageGraphSchema } }, config: { access: access.shared('read') } },
    async (request) => {
      const { node, direction, depth, maxNodes } = request.query;
      return lineage.graph(node, {
        ...(direction === undefined ? {} : { direction }),
        ...(depth === undefined ? {} : { depth }),
        ...(maxNodes === undefined ? {} : { maxNodes }),
      });
    },
  );
};
