import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { mlflowArtifactRoutes } from './artifact-routes.js';
import { mlflowExperimentRoutes } from './experiment-routes.js';
import { mlflowRunRoutes } from './run-routes.js';
import type { TrackingService } from '../service.js';

/**
 * The subset of MLflow's REST API 2.0 that its tracking clients use, so that `mlflow.log_metric()`
 * and friends can log here. Mount at the root: the plugin owns MLflow's prefixes, including the
 * `ajax-api` twin that MLflow's web UI calls. Answers are MLflow's JSON; the empty answer is `{}`.
 */
export const mlflowRoutes: FastifyPluginAsyncZod<{ tracking: TrackingService }> = async (app, { tracking }) => {
  for (const api of ['/api/2.0', '/ajax-api/2.0']) {
    await app.register(mlflowExperimentRoutes, { prefix: `${api}/mlflow`, tracking });
    await app.register(mlflowRunRoutes, { prefix: `${api}/mlflow`, tracking });
    await app.register(mlflowArtifactRoutes, { prefix: `${api}/mlflow-artifacts`, tracking });
  }
};
