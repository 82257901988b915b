import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { NotFoundError, UnavailableError } from '../../common/errors.js';
import { authorizedId, requestField, type RouteAccess } from '../../governance/index.js';
import type { ServingMetrics } from '../metrics.js';
import { requestIdOf } from '../scoring-routes.js';
import type { DeploymentService } from './service.js';
import type { DeploymentSupervisor, Target } from './supervisor.js';

export interface ProxyRouteOptions {
  deployments: DeploymentService;
  supervisor: DeploymentSupervisor;
  /** Scoring requests through the server, per deployment and version (the replicas count their own too). */
  metrics?: ServingMetrics;
}

const scoringAccess: RouteAccess = {
  action: 'read',
  resource: (request) => ({ kind: 'deployment', name: requestField(request, 'params', 'deployment') ?? '' }),
};

/**
 * `/serve/{deployment}/…`: a deployment's scoring endpoint through `ciclo server`, forwarded as it
 * came (body unparsed, headers, the caller's token) to one of the replicas of the version serving
 * now, round robin. A request is counted against its replica until answered, so a replaced version's
 * replicas stop only once their last request is answered. The replica checks the request again
 * (the signature, and the token when authentication is on).
 */
export const proxyRoutes: FastifyPluginAsync<ProxyRouteOptions> = async (app, { deployments, supervisor, metrics }) => {
  // Bodies pass through as the stream they came in: JSON, CSV, whatever the replica's protocol reads.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  // Imported here: undici, under it, is a large part of what any command would load otherwise.
  const { default: replyFrom } = await import('@fastify/reply-from');
  await app.register(replyFrom, { undici: { connections: 128, pipelining: 1 } });

  app.all('/serve/:deployment', { config: { access: scoringAccess } }, async (request) => {
    throw new NotFoundError(`${request.url} names a deployment but no endpoint`, {
      hint: 'Call /serve/NAME/invocations (MLflow) or /serve/NAME/v2/models/MODEL/infer (Open Inference Protocol).',
    });
  });
  app.all('/serve/:deployment/*', { config: { access: scoringAccess } }, async (request, reply) => {
    const name = authorizedId(request, 'deployment');
    const target = supervisor.acquire(name);
    if (target === undefined) {
      await deployments.show(name); // 404 for a deployment that does not exist
      throw new UnavailableError(`deployment '${name}' has no replica ready yet`, {
        where: name,
        hint: `See its state with \`ciclo deployments show ${name}\`.`,
      });
    }
    const rest = request.url.slice(`/serve/${encodeURIComponent(name)}`.length);
    const protocol = protocolOf(rest);
    reply.raw.once('close', () => {
      target.release();
      if (protocol === undefined) return;
      target.record(reply.statusCode, reply.elapsedTime);
      if (metrics === undefined) return;
      const labels = { deployment: name, model: target.model, version: String(target.version), protocol };
      metrics.requests.inc({ ...labels, status: String(reply.statusCode) });
      metrics.latency.observe(labels, reply.elapsedTime / 1000);
    });
    void reply.header('x-ciclo-model-version', String(target.version));
    if (target.mirror === undefined || protocol === undefined) return reply.from(`${target.url}${rest}`);
    // A shadowed request is read whole once, so the same bytes go to both versions, under one request
    // id (the caller's, or one made here) so that both captured answers join.
    const body = await buffered(request.body);
    const requestId = requestIdOf(request);
    mirror(target.mirror, `${target.mirror.url}${rest}`, request, body, requestId);
    const contentType = request.headers['content-type'] ?? 'application/octet-stream';
    return reply.from(`${target.url}${rest}`, {
      body,
      contentType,
      rewriteRequestHeaders: (_request, headers) => ({ ...headers, 'x-request-id': requestId }),
    });
  });
};

/** Sends the copy to the candidate and records its answer; the caller never waits for it nor sees it. */
function mirror(target: Target, url: string, request: FastifyRequest, body: Buffer, requestId: string): void {
  const started = performance.now();
  const headers: Record<string, string> = { 'x-request-id': requestId };
  for (const name of ['content-type', 'authorization']) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  void fetch(url, { method: request.method, headers, body })
    .then(async (response) => {
      await response.arrayBuffer();
      target.record(response.status, performance.now() - started);
    })
    .catch(() => target.record(599, performance.now() - started))
    .finally(() => target.release());
}

async function buffered(body: unknown): Promise<Buffer> {
  if (!(body instanceof Readable)) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Scoring calls are counted; probes and metadata are not. */
function protocolOf(path: string): 'mlflow' | 'oip' | undefined {
  const bare = path.split('?')[0]!;
  if (bare.endsWith('/invocations')) return 'mlflow';
  if (bare.endsWith('/infer')) return 'oip';
  return undefined;
}
