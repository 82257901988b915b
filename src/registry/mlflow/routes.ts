import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { TrackingService } from '../../tracking/index.js';
import type { RegistryService } from '../service.js';
import { mlflowModelRoutes } from './model-routes.js';
import { mlflowVersionRoutes } from './version-routes.js';

/**
 * The registry half of MLflow's REST API 2.0, so that `mlflow.register_model()` and MlflowClient's
 * registry calls work against Ciclo. Mount at the root: the plugin owns MLflow's prefixes, with the
 * `ajax-api` twin that MLflow's web UI calls. Stages here are per environment; `transition-stage`
 * maps MLflow's stages onto them (mapping.ts `stageChange`).
 */
export const mlflowRegistryRoutes: FastifyPluginAsyncZod<{
  registry: RegistryService;
  tracking: TrackingService;
}> = async (app, { registry, tracking }) => {
  for (const api of ['/api/2.0', '/ajax-api/2.0']) {
    await app.register(mlflowModelRoutes, { prefix: `${api}/mlflow`, registry });
    await app.register(mlflowVersionRoutes, { prefix: `${api}/mlflow`, registry, tracking });
  }
};
