import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { artifactRoutes } from './artifact-routes.js';
import { experimentRoutes } from './experiment-routes.js';
import { runRoutes } from './run-routes.js';
import type { TrackingService } from './service.js';

/**
 * Experiment tracking over HTTP (the native `/api/v1` routes of docs/rest-api.md). Routes only
 * translate: every rule lives in the TrackingService. Artifacts sit in a plugin of their own because
 * their bodies are raw streams, not JSON.
 */
export const trackingRoutes: FastifyPluginAsyncZod<{ tracking: TrackingService }> = async (app, { tracking }) => {
  await app.register(experimentRoutes, { tracking });
  await app.register(runRoutes, { tracking });
  await app.register(artifactRoutes, { tracking });
};
