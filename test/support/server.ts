import { join } from 'node:path';
import { openContext, type CicloContext } from '../../src/app/context.js';
import type { CicloConfig } from '../../src/common/config.js';
import { startServer } from '../../src/server/index.js';
import type { DialectName } from '../../src/store/index.js';
import { createTestDatabase } from './databases.js';
import { makeTempDir } from './temp.js';

export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:53211 (no trailing slash). */
  url: string;
  context: CicloContext;
  /** Stops the server, closes the context, drops the database and removes the folders. */
  stop(): Promise<void>;
}

/**
 * A real server on 127.0.0.1 over a database and artifact folder of its own. `config` overrides the
 * test defaults (silent logs, 16 MiB JSON bodies), e.g. a small maxBodyBytes to test the limit.
 */
export async function startTestServer(dialect: DialectName, config: Partial<CicloConfig> = {}): Promise<TestServer> {
  const database = await createTestDatabase(dialect);
  const home = makeTempDir('ciclo-server-home-');
  const removeAll = async () => {
    await database.drop();
    home.remove();
  };
  let context: CicloContext | undefined;
  try {
    context = await openContext({
      home: home.dir,
      database: database.location,
      artifactRoot: join(home.dir, 'artifacts'),
      logLevel: 'silent',
      maxBodyBytes: 16 * 1024 * 1024,
      ...config,
    });
    const server = await startServer({ context, host: '127.0.0.1', port: 0 });
    const opened = context;
    return {
      url: server.url,
      context: opened,
      stop: async () => {
        await server.close();
        await opened.close();
        await removeAll();
      },
    };
  } catch (error) {
    await context?.close();
    await removeAll();
    throw error;
  }
}
