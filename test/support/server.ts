import type { CicloContext } from '../../src/app/context.js';
import type { CicloConfig } from '../../src/common/config.js';
import { startServer, type ServerOptions } from '../../src/server/index.js';
import type { RouteEntry } from '../../src/governance/index.js';
import type { DialectName } from '../../src/store/index.js';
import { openTestContext } from './context.js';

export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:53211 (no trailing slash). */
  url: string;
  context: CicloContext;
  /** Every route the server answers, with the access it declares. */
  routes: readonly RouteEntry[];
  /** Stops the server, closes the context, drops the database and removes the folders. */
  stop(): Promise<void>;
}

/**
 * A real server on 127.0.0.1 over a database and artifact folder of its own. `config` overrides the
 * test defaults (silent logs, 16 MiB JSON bodies), e.g. a small maxBodyBytes to test the limit.
 */
export async function startTestServer(
  dialect: DialectName,
  config: Partial<CicloConfig> = {},
  options: ServerOptions = {},
): Promise<TestServer> {
  const test = await openTestContext(dialect, config);
  try {
    const server = await startServer({ context: test.context, host: '127.0.0.1', port: 0, ...options });
    return {
      url: server.url,
      context: test.context,
      routes: server.routes,
      stop: async () => {
        await server.close();
        await test.drop();
      },
    };
  } catch (error) {
    await test.drop();
    throw error;
  }
}
