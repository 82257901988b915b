import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase } from '../../src/store/index.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';

describe.each(DIALECTS)('metadata store on %s', (dialect) => {
  let testDb: TestDatabase | undefined;
  afterEach(async () => {
    await testDb?.drop();
  });

  it('creates every table on first open and applies nothing on the second', async () => {
    testDb = await createTestDatabase(dialect);
    const store = await openDatabase(testDb.location);
    const tables = (await store.db.introspection.getTables()).map((t) => t.name);
    expect(tables).toEqual(
      expect.arrayContaining(['experiments', 'runs', 'metrics', 'latest_metrics', 'run_artifacts']),
    );
    expect(await migrateToLatest(store.db, store.dialect)).toEqual([]);
    await store.close();
  });

  it('enforces foreign keys', async () => {
    testDb = await createTestDatabase(dialect);
    const store = await openDatabase(testDb.location);
    await expect(
      store.db.insertInto('params').values({ run_uuid: 'missing', key: 'k', value: 'v' }).execute(),
    ).rejects.toThrow();
    await store.close();
  });
});
