import { join } from 'node:path';
import { openContext, type CicloContext } from '../../src/app/context.js';
import type { CicloConfig } from '../../src/common/config.js';
import type { DialectName } from '../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from './databases.js';
import { makeTempDir } from './temp.js';

export interface TestContext {
  context: CicloContext;
  config: CicloConfig;
  database: TestDatabase;
  /** The test's own folder: CICLO_HOME and the artifact root live in it. */
  dir: string;
  /** Closes the context, drops the database and removes the folder. */
  drop(): Promise<void>;
}

/** A config pointing at a database and folder of the test's own. */
export function testConfig(database: TestDatabase, dir: string, overrides: Partial<CicloConfig> = {}): CicloConfig {
  return {
    home: dir,
    database: database.location,
    artifactRoot: join(dir, 'artifacts'),
    logLevel: 'silent',
    maxBodyBytes: 16 * 1024 * 1024,
    ...overrides,
  };
}

export async function openTestContext(
  dialect: DialectName,
  overrides: Partial<CicloConfig> = {},
): Promise<TestContext> {
  const database = await createTestDatabase(dialect);
  const temp = makeTempDir();
  const config = testConfig(database, temp.dir, overrides);
  const context = await openContext(config);
  return {
    context,
    config,
    database,
    dir: temp.dir,
    drop: async () => {
      await context.close();
      await database.drop();
      temp.remove();
    },
  };
}
