import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { acceptRawBodies, RawBytes } from '../http/index.js';
import { sendArtifact } from './artifact-reply.js';
import {
  ArtifactFileReply,
  ArtifactListQuery,
  ArtifactListReply,
  ArtifactParams,
  RunIdParams,
  snakeKeys,
} from './native-wire.js';
import type { TrackingService } from './service.js';
import { access, authorizedId } from '../governance/index.js';

const tags = ['artifacts'];

/** Native artifact routes. Bodies stream in and out; no artifact is ever held in memory whole. */
export const artifactRoutes: FastifyPluginAsyncZod<{ tracking: TrackingService }> = async (app, { tracking }) => {
  acceptRawBodies(app);

  app.get(
    '/runs/:runId/artifacts',
    {
      schema: { tags, params: RunIdParams, querystring: ArtifactListQuery, response: { 200: ArtifactListReply } },
      config: { access: access.run('read', 'params', 'runId') },
    },
    async (request) => {
      const entries = await tracking.listArtifacts(authorizedId(request, 'run'), request.query.path);
      return { items: entries.map(snakeKeys) };
    },
  );

  app.put(
    '/runs/:runId/artifacts/*',
    {
      schema: {
        tags,
        description: 'The raw bytes of the file as the body (application/octet-stream).',
        params: ArtifactParams,
        body: RawBytes,
        response: { 200: ArtifactFileReply },
      },
      config: { access: access.run('write', 'params', 'runId') },
    },
    async (request) => {
      const runId = authorizedId(request, 'run');
      return snakeKeys(await tracking.logArtifact(runId, request.params['*'], request.body));
    },
  );

  app.get(
    '/runs/:runId/artifacts/*',
    {
      schema: {
        tags,
        description: 'The bytes of the file, with its digest in x-ciclo-digest.',
        params: ArtifactParams,
        response: { 200: RawBytes },
      },
      config: { access: access.run('read', 'params', 'runId') },
    },
    async (request, reply) => {
      const runId = authorizedId(request, 'run');
      const path = request.params['*'];
      return sendArtifact(reply, await tracking.readArtifact(runId, path));
    },
  );
};
