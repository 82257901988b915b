import { Ciclo } from '../../src/sdk/index.js';
import type { DialectName } from '../../src/store/index.js';
import { testConfig } from '../support/context.js';
import { createTestDatabase, DIALECTS } from '../support/databases.js';
import { startTestServer } from '../support/server.js';
import { makeTempDir } from '../support/temp.js';

/** One way of reaching Ciclo: the SDK contract holds in every one of them. */
export interface Mode {
  name: string;
  connect(): Promise<Connected>;
}

export interface Connected {
  ciclo: Ciclo;
  /** Where the store behind `ciclo` keeps blobs, for tests that damage one. */
  artifactRoot: string;
  stop(): Promise<void>;
}

export const MODES: readonly Mode[] = [
  ...DIALECTS.map((dialect) => ({ name: `embedded ${dialect}`, connect: () => connectEmbedded(dialect) })),
  { name: 'remote', connect: connectRemote },
];

async function connectEmbedded(dialect: DialectName): Promise<Connected> {
  const database = await createTestDatabase(dialect);
  const home = makeTempDir('ciclo-sdk-home-');
  const config = testConfig(database, home.dir);
  const ciclo = await Ciclo.connect({ config });
  return {
    ciclo,
    artifactRoot: config.artifactRoot,
    stop: async () => {
      await ciclo.close();
      await database.drop();
      home.remove();
    },
  };
}

async function connectRemote(): Promise<Connected> {
  const server = await startTestServer('sqlite');
  const ciclo = await Ciclo.connect({ trackingUri: server.url });
  return {
    ciclo,
    artifactRoot: server.context.config.artifactRoot,
    stop: async () => {
      await ciclo.close();
      await server.stop();
    },
  };
}
