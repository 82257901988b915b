import { posix } from 'node:path';
import { sendArtifact } from '../artifact-reply.js';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { acceptRawBodies, RawBytes } from '../../http/index.js';
import { parseProxiedArtifactPath, toMlflowFileInfo } from './mapping.js';
import { authorizedId, requestField, type Action, type RouteAccess } from '../../governance/index.js';
import { ProxiedArtifactParams, ProxiedListRequest } from './schemas.js';
import { MlflowEmpty, ProxiedListReply } from './replies.js';
import type { TrackingService } from '../service.js';

/**
 * MLflow's artifact proxy (`mlflow-artifacts/artifacts`), which MLflow clients use for runs whose
 * artifact_uri is `mlflow-artifacts:/<experiment>/<run>/artifacts`, mapped onto the run's artifacts.
 */
export const mlflowArtifactRoutes: FastifyPluginAsyncZod<{ tracking: TrackingService }> = async (app, { tracking }) => {
  acceptRawBodies(app);

  app.put(
    '/artifacts/*',
    {
      schema: { params: ProxiedArtifactParams, body: RawBytes, response: { 200: MlflowEmpty } },
      config: { access: proxiedRunAccess('write', 'params', '*') },
    },
    async (request) => {
      const { path } = parseProxiedArtifactPath(request.params['*']);
      await tracking.logArtifact(authorizedId(request, 'run'), path, request.body);
      return {};
    },
  );

  app.get(
    '/artifacts/*',
    {
      schema: { params: ProxiedArtifactParams, response: { 200: RawBytes } },
      config: { access: proxiedRunAccess('read', 'params', '*') },
    },
    async (request, reply) => {
      const { path } = parseProxiedArtifactPath(request.params['*']);
      return sendArtifact(reply, await tracking.readArtifact(authorizedId(request, 'run'), path));
    },
  );

  // MLflow's proxy answers with base names; its client joins them onto the folder it asked for.
  app.get(
    '/artifacts',
    {
      schema: { querystring: ProxiedListRequest, response: { 200: ProxiedListReply } },
      config: { access: proxiedRunAccess('read', 'query', 'path') },
    },
    async (request) => {
      const { path } = parseProxiedArtifactPath(request.query.path ?? '');
      const entries = await tracking.listArtifacts(authorizedId(request, 'run'), path);
      return { files: entries.map((entry) => toMlflowFileInfo(entry, posix.basename(entry.path))) };
    },
  );
};

/** The run of a proxied path (`<experiment_id>/<run_id>/artifacts/…`), parsed as the handler parses it. */
function proxiedRunAccess(action: Action, part: 'params' | 'query', field: string): RouteAccess {
  return {
    action,
    resource: (request) => ({
      kind: 'run',
      id: parseProxiedArtifactPath(requestField(request, part, field) ?? '').runId,
    }),
  };
}
