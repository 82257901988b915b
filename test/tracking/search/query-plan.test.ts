import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type CompiledQuery } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Schema } from '../../../src/store/index.js';
import { searchRunIds, type SearchRunsRequest } from '../../../src/tracking/search/index.js';
import { insertExperiment, insertRuns, openSearchDatabase, type SearchDatabase } from './fixtures.js';

/**
 * SQLite plans are deterministic for a given SQLite build, so the search's use of the indexes is
 * checked here; PostgreSQL plans depend on table statistics and are covered by the benchmark.
 */
describe('search query plans on sqlite', () => {
  let database: SearchDatabase;
  let sqlite: SQLite.Database;
  let logged: Kysely<Schema>;
  let queries: CompiledQuery[];

  beforeEach(async () => {
    database = await openSearchDatabase('sqlite');
    await insertExperiment(database.db, { id: 1, name: 'plans' });
    await insertRuns(
      database.db,
      Array.from({ length: 5 }, (_, i) => ({
        id: `r${i}`,
        start: i,
        metrics: { auc: i / 5 },
        params: { model: i % 2 ? 'gbt' : 'rf' },
      })),
    );
    if (database.location.dialect !== 'sqlite') throw new Error('expected a SQLite database');
    sqlite = new SQLite(database.location.file);
    queries = [];
    logged = new Kysely<Schema>({
      dialect: new SqliteDialect({ database: sqlite }),
      log: (event) => {
        if (event.level === 'query') queries.push(event.query);
      },
    });
  });
  afterEach(async () => {
    await logged.destroy();
    await database.drop();
  });

  /** The plan of the query that produced the page: the last one the search ran. */
  async function pagePlan(request: Omit<SearchRunsRequest, 'experimentIds'>): Promise<string[]> {
    await searchRunIds(logged, { experimentIds: [1], ...request });
    const query = queries.at(-1)!;
    const rows = sqlite.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...(query.parameters as unknown[])) as {
      detail: string;
    }[];
    return rows.map((row) => row.detail);
  }

  it('starts a metric filter from the latest_metrics (key, is_nan, value) index', async () => {
    expect((await pagePlan({ filter: 'metrics.auc > 0.5' }))[0]).toBe(
      'SEARCH k0 USING COVERING INDEX latest_metrics_key_value (key=? AND is_nan=? AND value>?)',
    );
  });

  it('starts an exact param filter from the params (key, value) index', async () => {
    expect((await pagePlan({ filter: "params.model = 'gbt' and metrics.auc > 0" }))[0]).toBe(
      'SEARCH k0 USING COVERING INDEX params_key_value (key=? AND value=?)',
    );
  });

  it('reads a metric-ordered page in index order instead of sorting every run', async () => {
    const plan = await pagePlan({ filter: "params.model = 'gbt'", orderBy: ['metrics.auc DESC'], maxResults: 1 });
    expect(plan[0]).toBe('SEARCH k0 USING COVERING INDEX latest_metrics_key_value (key=? AND is_nan=?)');
    expect(plan.at(-1)).toBe('USE TEMP B-TREE FOR LAST 2 TERMS OF ORDER BY');
  });

  it('finds runs by id through the primary key', async () => {
    expect((await pagePlan({ filter: "run_id IN ('r1', 'r3')" }))[0]).toMatch(
      /^SEARCH runs USING PRIMARY KEY \(run_uuid=\?\)/,
    );
  });
});
