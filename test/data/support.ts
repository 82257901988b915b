import { mkdirSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { DataEngine, sqlString, type DatasetService } from '../../src/data/index.js';
import type { DialectName } from '../../src/store/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { makeTempDir } from '../support/temp.js';

export interface DataSuite {
  test: TestContext;
  datasets: DatasetService;
  /** A folder for the test's source files. */
  dir: string;
  /** Writes a file under `dir` (folders made as needed) and returns its path. */
  write(relative: string, content: string): string;
  /** Every blob file in the artifact root. */
  blobFiles(): string[];
  versionCount(): Promise<number>;
}

/** A fresh context on the dialect, its dataset service and a source folder, per test. */
export function useDataSuite(dialect: DialectName): DataSuite {
  const suite = {} as DataSuite;
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(async () => {
    suite.test = await openTestContext(dialect);
    suite.datasets = suite.test.context.datasets;
    temp = makeTempDir('ciclo-data-');
    suite.dir = temp.dir;
    suite.write = (relative, content) => writeFile(join(temp.dir, relative), content);
    suite.blobFiles = () => filesUnder(join(suite.test.config.artifactRoot, 'sha256'));
    suite.versionCount = async () =>
      Number(
        (
          await suite.test.context.database.db
            .selectFrom('dataset_versions')
            .select(({ fn }) => fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
  });
  afterEach(async () => {
    await suite.test.drop();
    temp.remove();
  });
  return suite;
}

export function writeFile(file: string, content: string): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

export function csv(header: string, rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  return `${header}\n${rows.map((row) => row.join(',')).join('\n')}\n`;
}

/** A Parquet file written by DuckDB from a SELECT. */
export async function writeParquet(file: string, select: string): Promise<string> {
  mkdirSync(dirname(file), { recursive: true });
  const engine = await DataEngine.open();
  try {
    await engine.run(`COPY (${select}) TO ${sqlString(file)} (FORMAT parquet)`);
  } finally {
    engine.close();
  }
  return file;
}

export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((file) => statSync(file).isFile())
    .sort();
}
