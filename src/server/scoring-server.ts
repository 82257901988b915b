import type { FastifyInstance } from 'fastify';
import type { CicloContext } from '../app/context.js';
import { scoringRoutes, type ServedModel } from '../serving/index.js';
import { buildBaseApp, type ServerOptions } from './app.js';
import { addMetricsRoute } from './http-metrics.js';
import { CICLO_VERSION } from './version.js';

/**
 * `ciclo serve`: one model over both scoring protocols, with the API server's guards, error answer
 * and access control. Scoring and metadata need `read` on the model's project (when authentication
 * is on); the probes are public. Not listening yet: startScoringServer (index.ts) listens.
 */
export function buildScoringServer(
  context: CicloContext,
  served: ServedModel,
  options: ServerOptions = {},
): FastifyInstance {
  const app = buildBaseApp(context, options);
  addMetricsRoute(app, context.metrics.registry);
  void app.register(scoringRoutes, {
    model: () => served,
    access: { action: 'read', resource: () => ({ kind: 'model', name: served.name }) },
    serverVersion: CICLO_VERSION,
    metrics: context.metrics,
    deployment: '',
  });
  return app;
}
