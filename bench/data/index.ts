import path from 'node:path';
import { DataEngine } from '../../src/data/duckdb.js';
import { benchExpectations } from './expectations.js';
import { benchOnlineLookup, benchPointInTime } from './features.js';
import { benchProfile } from './profile.js';
import { dataFixture, writeWideTable } from './fixture.js';

const ROWS = 1_000_000;
const REPEATS = 3;

/** bench/data: the data capability on DuckDB, each next to DuckDB running the bare query. */
export async function benchData(): Promise<string[]> {
  const fixture = dataFixture();
  const engine = await DataEngine.open();
  try {
    const wide = path.join(fixture.dir, 'wide.parquet');
    await writeWideTable(engine, wide, ROWS);
    return [
      await benchProfile(engine, wide, REPEATS),
      await benchExpectations(engine, fixture.dir, wide, REPEATS),
      await benchPointInTime(engine, fixture.dir, 1_000_000, 10_000_000),
      await benchOnlineLookup(engine, fixture.dir, 1000, 5),
    ];
  } finally {
    engine.close();
    fixture.drop();
  }
}
