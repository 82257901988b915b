import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/common/errors.js';
import { searchExperimentIds, type SearchExperimentsRequest } from '../../../src/tracking/search/index.js';
import { DIALECTS } from '../../support/databases.js';
import { insertExperiment, openSearchDatabase, type SearchDatabase } from './fixtures.js';

describe.each(DIALECTS)('searchExperimentIds on %s', (dialect) => {
  let database: SearchDatabase;

  beforeEach(async () => {
    database = await openSearchDatabase(dialect);
    // Exactly these experiments, whatever the migrations seed (such as MLflow's Default).
    await database.db.deleteFrom('experiments').execute();
    await insertExperiment(database.db, {
      id: 1,
      name: 'churn-baseline',
      created: 100,
      updated: 400,
      tags: { team: 'risk' },
    });
    await insertExperiment(database.db, {
      id: 2,
      name: 'Churn-v2',
      created: 200,
      updated: 400,
      tags: { team: 'Risk', stage: 'prod' },
    });
    await insertExperiment(database.db, { id: 3, name: 'fraud', created: 300, updated: 350, tags: { team: 'growth' } });
    await insertExperiment(database.db, {
      id: 4,
      name: 'old',
      created: 50,
      updated: 60,
      deleted: true,
      tags: { team: 'risk' },
    });
  });
  afterEach(async () => {
    await database.drop();
  });

  const search = async (request: SearchExperimentsRequest = {}) =>
    (await searchExperimentIds(database.db, request)).experimentIds;

  it('lists active experiments by last update, newest first, then by id', async () => {
    expect(await search()).toEqual([1, 2, 3]);
  });

  it('filters by name with =, !=, LIKE and ILIKE', async () => {
    expect(await search({ filter: "name = 'fraud'" })).toEqual([3]);
    expect(await search({ filter: "attributes.name != 'fraud'" })).toEqual([1, 2]);
    expect(await search({ filter: "name LIKE 'churn%'" })).toEqual([1]);
    expect(await search({ filter: "name ILIKE 'churn%'" })).toEqual([1, 2]);
  });

  it('filters by creation and update times numerically', async () => {
    expect(await search({ filter: 'creation_time >= 200' })).toEqual([2, 3]);
    expect(await search({ filter: 'last_update_time < 400 and creation_time > 100.5' })).toEqual([3]);
  });

  it('filters by tags, never matching an experiment without the tag', async () => {
    expect(await search({ filter: "tags.team = 'risk'" })).toEqual([1]);
    expect(await search({ filter: "tags.team ILIKE 'risk'" })).toEqual([1, 2]);
    expect(await search({ filter: "tags.stage != 'dev'" })).toEqual([2]);
    expect(await search({ filter: "tags.team LIKE '%r%' and name LIKE '%v2'" })).toEqual([]);
  });

  it('shows deleted experiments by view type', async () => {
    expect(await search({ filter: "tags.team = 'risk'", viewType: 'DELETED_ONLY' })).toEqual([4]);
    expect(await search({ viewType: 'ALL' })).toEqual([1, 2, 3, 4]);
  });

  it('orders by name in byte order, by times and by id', async () => {
    expect(await search({ orderBy: ['name'] })).toEqual([2, 1, 3]);
    expect(await search({ orderBy: ['name DESC'] })).toEqual([3, 1, 2]);
    expect(await search({ orderBy: ['creation_time'] })).toEqual([1, 2, 3]);
    expect(await search({ orderBy: ['last_update_time ASC'] })).toEqual([3, 1, 2]);
    expect(await search({ orderBy: ['experiment_id DESC'] })).toEqual([3, 2, 1]);
  });

  it('returns every experiment exactly once across pages', async () => {
    const pages: number[][] = [];
    let pageToken: string | undefined;
    do {
      const result = await searchExperimentIds(database.db, { viewType: 'ALL', maxResults: 3, pageToken });
      pages.push(result.experimentIds);
      pageToken = result.nextPageToken;
    } while (pageToken);
    expect(pages).toEqual([[1, 2, 3], [4]]);
  });

  it('treats quotes and SQL in values and keys as plain text', async () => {
    expect(await search({ filter: "name = 'x'' OR 1=1 --'" })).toEqual([]);
    expect(await search({ filter: `tags."team'; DROP TABLE experiments; --" = 'risk'` })).toEqual([]);
    expect(await search()).toEqual([1, 2, 3]);
  });

  it('rejects a bad filter, order, page size or token as invalid input', async () => {
    const rejection = (request: SearchExperimentsRequest) =>
      searchExperimentIds(database.db, request).then(
        () => undefined,
        (error: unknown) => error as InvalidInputError,
      );
    expect((await rejection({ filter: "name IN ('a')" }))?.details.where).toBe('filter column 6');
    expect((await rejection({ orderBy: ['tags.team'] }))?.details.where).toBe('order_by[0]');
    expect((await rejection({ maxResults: 50_001 }))?.details.where).toBe('max_results');
    expect((await rejection({ pageToken: 'nope!' }))?.details.where).toBe('page_token');
  });
});
