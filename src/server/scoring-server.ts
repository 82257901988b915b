import type { FastifyInstance } from 'fastify';
import type { CicloContext } from '../app/context.js';
import { NotFoundError } from '../common/errors.js';
import { currentActor } from '../governance/index.js';
import { scoringRoutes, type RequestCapture, type ServedModel } from '../serving/index.js';
import { buildBaseApp, type ServerOptions } from './app.js';
import { addMetricsRoute } from './http-metrics.js';
import { CICLO_VERSION } from './version.js';

export interface ScoringServerOptions extends ServerOptions {
  /** The deployment this process is a replica of (labels metrics, files captures and feedback); '' for none. */
  deployment?: string;
  capture?: RequestCapture;
}

/**
 * `ciclo serve`: one model over both scoring protocols, with the API server's guards, error answer
 * and access control. Scoring and metadata need `read` on the model's project and feedback `write`
 * (when authentication is on); the probes are public. Not listening yet: startScoringServer (index.ts) listens.
 */
export function buildScoringServer(
  context: CicloContext,
  served: ServedModel,
  options: ScoringServerOptions = {},
): FastifyInstance {
  const { deployment = '', capture, ...serverOptions } = options;
  const app = buildBaseApp(context, serverOptions);
  addMetricsRoute(app, context.metrics.registry);
  // Without a deployment, a standalone server files feedback under the model's name.
  const filedUnder = deployment === '' ? served.name : deployment;
  void app.register(scoringRoutes, {
    model: () => served,
    access: { action: 'read', resource: () => ({ kind: 'model', name: served.name }) },
    serverVersion: CICLO_VERSION,
    metrics: context.metrics,
    deployment,
    ...(capture === undefined ? {} : { capture }),
    feedback: async (requestId, label) => {
      // Only a captured request can be joined to its label by a monitor: anything else is refused and counted.
      if (!(capture?.captured(requestId) ?? false) && !(await context.captures.isCaptured(filedUnder, requestId))) {
        context.metrics.unknownFeedback.inc({ deployment: filedUnder });
        throw new NotFoundError(`no captured request has the id "${requestId}"`, {
          where: 'request_id',
          hint:
            'Send the x-request-id of an answer this deployment captured (capture_rate decides which are); ' +
            'a request answered in the last seconds by another replica may need a second try.',
        });
      }
      await context.captures.putFeedback(filedUnder, requestId, label, currentActor().actor);
    },
    feedbackAccess: { action: 'write', resource: () => ({ kind: 'model', name: served.name }) },
  });
  return app;
}
