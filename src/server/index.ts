import type { CicloContext } from '../app/context.js';
import { buildServer, type ServerOptions } from './app.js';
import { DEFAULT_HOST, DEFAULT_PORT } from './defaults.js';

export { buildServer, type ServerOptions } from './app.js';

export { DEFAULT_HOST, DEFAULT_PORT } from './defaults.js';

export interface RunningServer {
  /** Where clients reach it, with the real port when port 0 was asked for. */
  url: string;
  /** Stops listening and lets requests in flight finish. The context stays open: its opener closes it. */
  close(): Promise<void>;
}

export async function startServer(
  options: { context: CicloContext; host?: string; port?: number } & ServerOptions,
): Promise<RunningServer> {
  const { context, host = DEFAULT_HOST, port = DEFAULT_PORT, ...serverOptions } = options;
  const app = buildServer(context, serverOptions);
  await app.listen({ host, port });
  const address = app.server.address();
  const realPort = typeof address === 'object' && address !== null ? address.port : port;
  return { url: `http://${reachableHost(host)}:${realPort}`, close: () => app.close() };
}

/** A wildcard address is where the server listens, not where a client can connect. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
