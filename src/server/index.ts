/**
 * The HTTP server: builds the Fastify app over a context (every capability's routes, access control, errors,
 * OpenAPI) and listens; a thin shell over the capabilities.
 */
import type { CicloContext } from '../app/context.js';
import { InvalidInputError } from '../common/errors.js';
import type { RouteEntry } from '../governance/index.js';
import type { FastifyInstance } from 'fastify';
import type { ServedModel } from '../serving/index.js';
import { buildServer, type ServerOptions } from './app.js';
import { buildScoringServer, type ScoringServerOptions } from './scoring-server.js';
import { DEFAULT_HOST, DEFAULT_PORT } from './defaults.js';

export { buildServer, type ServerOptions } from './app.js';
export { buildScoringServer, type ScoringServerOptions } from './scoring-server.js';

export { DEFAULT_HOST, DEFAULT_PORT } from './defaults.js';

export interface RunningServer {
  /** Where clients reach it, with the real port when port 0 was asked for. */
  url: string;
  /** Stops listening and lets requests in flight finish. The context stays open: its opener closes it. */
  close(): Promise<void>;
  /** Every route with the access it declares. */
  routes: readonly RouteEntry[];
}

export async function startServer(
  options: { context: CicloContext; host?: string; port?: number } & ServerOptions,
): Promise<RunningServer> {
  const { context, host = DEFAULT_HOST, port = DEFAULT_PORT, ...serverOptions } = options;
  requireAuthBeyondLoopback(host, serverOptions.auth ?? context.config.auth ?? false);
  return listen(buildServer(context, serverOptions), host, port);
}

/** `ciclo serve`: one model's scoring server, under the same rule as the API server (no open port without auth). */
export async function startScoringServer(
  options: { context: CicloContext; model: ServedModel; host?: string; port?: number } & ScoringServerOptions,
): Promise<RunningServer> {
  const { context, model, host = DEFAULT_HOST, port = DEFAULT_PORT, ...serverOptions } = options;
  requireAuthBeyondLoopback(host, serverOptions.auth ?? context.config.auth ?? false);
  return listen(buildScoringServer(context, model, serverOptions), host, port);
}

function requireAuthBeyondLoopback(host: string, auth: boolean): void {
  if (!auth && !isLoopback(host)) {
    throw new InvalidInputError(
      `refusing to listen on ${host} without authentication: anyone who can reach it could change everything`,
      {
        where: 'host',
        hint:
          'Turn authentication on (`ciclo server --auth` or CICLO_AUTH=on) after creating an admin and a token ' +
          '(`ciclo users create NAME --admin`, `ciclo tokens create --user NAME`), or listen on 127.0.0.1.',
      },
    );
  }
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<RunningServer> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    throw listenError(error, host, port);
  }
  const address = app.server.address();
  const realPort = typeof address === 'object' && address !== null ? address.port : port;
  return { url: `http://${reachableHost(host)}:${realPort}`, close: () => app.close(), routes: app.cicloRoutes };
}

/** What the operating system said, as the fix: a taken or forbidden port is the user's choice to change. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as { code?: unknown }).code;
  const fix = { where: '--port', hint: 'choose another --port (0 picks a free one), or stop what listens there' };
  if (code === 'EADDRINUSE') return new InvalidInputError(`port ${port} is in use on ${host}`, fix);
  if (code === 'EACCES') return new InvalidInputError(`port ${port} on ${host} needs privileges to listen on`, fix);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new InvalidInputError(`${host} is not an address of this machine`, {
      where: '--host',
      hint: 'listen on 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of its addresses',
    });
  }
  return error;
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare) || bare === '::ffff:127.0.0.1';
}

/** A wildcard address is where the server listens, not where a client can connect. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
