/**
 * Lineage: upstream and downstream graphs of runs, artifacts, datasets and (through the registry's resolver)
 * model versions, read from what pipelines, tracking and the artifact store recorded, through their store functions;
 * owns no table.
 */
export { LineageService } from './service.js';
export {
  LineageRegistry,
  type EdgeSource,
  type LineageSession,
  type Neighbour,
  type Neighbours,
  type NodeResolver,
} from './registry.js';
export { builtinLineageRegistry } from './builtin.js';
export { RunLookup, type RunInfo } from './run-lookup.js';
export { NODE_FORMS_HINT, parseNodeRef } from './node-ref.js';
export { lineageRoutes } from './routes.js';
export * from './types.js';
