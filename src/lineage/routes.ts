import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { QueryInt } from '../http/index.js';
import type { LineageService } from './service.js';
import { LINEAGE_DIRECTIONS } from './types.js';
import { graphToWire, LineageGraphReply } from './wire.js';
import { requestField, type RouteAccess } from '../governance/index.js';
import { parseNodeRef } from './node-ref.js';

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
  max_nodes: QueryInt.optional(),
});

/**
 * The root is judged as what it names, read by the service's own parser: a run (or a run's
 * artifact path) is read in the run's project, a model version in the model's. Roots known only by
 * digest (an artifact, a logged dataset) have no project: the service shows them only when a run
 * or model the caller may read is joined to them, and every walk leaves out what the caller cannot read.
 */
const lineageAccess: RouteAccess = {
  action: 'read',
  resource: (request) => {
    const node = requestField(request, 'query', 'node') ?? '';
    if (node.trim() === '') return { kind: 'self' };
    const ref = parseNodeRef(node);
    if (ref.kind === 'run' || (ref.kind === 'artifact' && 'runId' in ref)) return { kind: 'run', id: ref.runId };
    if (ref.kind === 'model') {
      // `model:NAME@alias` carries the alias in the name (the registry's resolver splits it the same way).
      const at = ref.version === undefined ? ref.name.indexOf('@') : -1;
      return { kind: 'model', name: at > 0 ? ref.name.slice(0, at) : ref.name };
    }
    return { kind: 'self' };
  },
};

/** `GET /lineage`: the graph `ciclo lineage --json` prints, in snake_case (docs/rest-api.md). */
export const lineageRoutes: FastifyPluginAsyncZod<{ lineage: LineageService }> = async (app, { lineage }) => {
  app.get(
    '/lineage',
    {
      schema: { tags: ['lineage'], querystring: LineageQuery, response: { 200: LineageGraphReply } },
      config: { access: lineageAccess },
    },
    async (request) => {
      const { node, direction, depth, max_nodes: maxNodes } = request.query;
      const graph = await lineage.graph(node, {
        readable: await request.readableProjects(),
        ...(direction === undefined ? {} : { direction }),
        ...(depth === undefined ? {} : { depth }),
        ...(maxNodes === undefined ? {} : { maxNodes }),
      });
      return graphToWire(graph);
    },
  );
};
