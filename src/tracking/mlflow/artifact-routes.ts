import { posix } from 'node:path';
import { sendArtifact } from '../artifact-reply.js';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { acceptRawBodies } from '../../server/raw-body.js';
import { parseProxiedArtifactPath, toMlflowFileInfo } from './mapping.js';
import { ProxiedArtifactParams, ProxiedListRequest } from './schemas.js';
import type { TrackingService } from '../service.js';

/**
 * MLflow's artifact proxy (`mlflow-artifacts/artifacts`), which MLflow clients use for runs whose
 * artifact_uri is `mlflow-artifacts:/<experiment>/<run>/artifacts`, mapped onto the run's artifacts.
 */
export const mlflowArtifactRoutes: FastifyPluginAsyncZod<{ tracking: TrackingService }> = async (app, { tracking }) => {
  acceptRawBodies(app);

  app.put('/artifacts/*', { schema: { params: ProxiedArtifactParams } }, async (request) => {
    const { runId, path } = parseProxiedArtifactPath(request.params['*']);
    await tracking.logArtifact(runId, path, request.body as Readable);
    return {};
  });

  app.get('/artifacts/*', { schema: { params: ProxiedArtifactParams } }, async (request, reply) => {
    const { runId, path } = parseProxiedArtifactPath(request.params['*']);
    return sendArtifact(reply, await tracking.readArtifact(runId, path));
  });

  // MLflow's proxy answers with base names; its client joins them onto the folder it asked for.
  app.get('/artifacts', { schema: { querystring: ProxiedListRequest } }, async ({ query }) => {
    const { runId, path } = parseProxiedArtifactPath(query.path ?? '');
    const entries = await tracking.listArtifacts(runId, path);
    return { files: entries.map((entry) => toMlflowFileInfo(entry, posix.basename(entry.path))) };
  });
};
