import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CicloError } from '../../src/common/errors.js';
import { type RegistryService } from '../../src/registry/index.js';
import {
  decodePageToken,
  encodePageToken,
  MODEL_FILTER,
  parseFilter,
  parseOrderBy,
  VERSION_FILTER,
} from '../../src/registry/search.js';
import { likeToGlob } from '../../src/registry/store.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';

function filterError(filter: string, grammar = MODEL_FILTER): CicloError {
  try {
    parseFilter(filter, grammar);
  } catch (error) {
    if (error instanceof CicloError) return error;
    throw error;
  }
  throw new Error(`expected ${filter} to be refused`);
}

describe('registry filter parser', () => {
  it('parses comparisons joined with AND into clauses', () => {
    expect(
      parseFilter("name LIKE 'churn%' and tags.team = 'growth' AND tags.`cost center` != \"x\"", MODEL_FILTER),
    ).toEqual([
      { field: 'name', op: 'LIKE', values: ['churn%'] },
      { field: 'tag', key: 'team', op: '=', values: ['growth'] },
      { field: 'tag', key: 'cost center', op: '!=', values: ['x'] },
    ]);
    expect(parseFilter("run_id IN ('a', 'b') AND name = 'it''s'", VERSION_FILTER)).toEqual([
      { field: 'run_id', op: 'IN', values: ['a', 'b'] },
      { field: 'name', op: '=', values: ["it's"] },
    ]);
    expect(parseFilter('  ', MODEL_FILTER)).toEqual([]);
    expect(parseFilter(undefined, MODEL_FILTER)).toEqual([]);
  });

  it('refuses an injection attempt and anything outside the grammar, naming the filter', () => {
    for (const filter of [
      "name = 'x' OR 1=1 --",
      "name = 'x'; drop table registered_models",
      "name = 'x' --",
      'name = x',
      "name = 'unclosed",
      "(name = 'x')",
      "owner = 'ana'",
      "name IN ('a')",
      "run_id LIKE 'a%'",
      "name = 'a' AND",
    ]) {
      const error = filterError(filter, filter.startsWith('run_id') ? VERSION_FILTER : MODEL_FILTER);
      expect([filter, error.code, error.details.where]).toEqual([filter, 'INVALID_PARAMETER_VALUE', 'filter']);
    }
    expect(filterError("run_id = 'a'").message).toMatch(/registered models cannot be filtered on 'run_id'/);
  });

  it('parses order_by terms and refuses unknown columns', () => {
    expect(parseOrderBy(['name DESC', 'last_updated_timestamp'], ['name', 'last_updated_timestamp'])).toEqual([
      { column: 'name', direction: 'desc' },
      { column: 'updated_time', direction: 'asc' },
    ]);
    expect(() => parseOrderBy(['name; drop'], ['name'])).toThrow(/invalid order_by/);
  });

  it('round-trips page tokens and refuses edited ones', () => {
    expect(decodePageToken(encodePageToken(40))).toBe(40);
    expect(decodePageToken(undefined)).toBe(0);
    expect(() => decodePageToken(Buffer.from('{"offset":-1}').toString('base64url'))).toThrow(/page_token/);
    expect(() => decodePageToken('%%%')).toThrow(/page_token/);
  });

  it('turns LIKE patterns into GLOB patterns that match the same strings', () => {
    expect(likeToGlob('churn_%')).toBe('churn?*');
    expect(likeToGlob('a*b?[c]')).toBe('a[*]b[?][[]c]');
    expect(likeToGlob('100\\%')).toBe('100%');
  });
});

describe.each(DIALECTS)('registry search on %s', (dialect) => {
  let test: TestContext;
  let registry: RegistryService;
  beforeEach(async () => {
    test = await openTestContext(dialect);
    registry = test.context.registry;
  });
  afterEach(async () => {
    await test.drop();
  });

  const names = async (filter: string) => (await registry.searchModels({ filter })).items.map((m) => m.name);

  it('matches LIKE with case and ILIKE without, on both dialects', async () => {
    for (const name of ['Churn', 'churn', 'churn-eu', 'churn_eu']) await registry.createModel(name);
    expect(await names("name LIKE 'churn%'")).toEqual(['churn', 'churn-eu', 'churn_eu']);
    expect(await names("name ILIKE 'CHURN'")).toEqual(['Churn', 'churn']);
    expect(await names("name LIKE 'churn_eu'")).toEqual(['churn-eu', 'churn_eu']);
    expect(await names("name LIKE 'churn\\_eu'")).toEqual(['churn_eu']);
    expect(await names("name != 'churn' AND name LIKE '%hurn%'")).toEqual(['Churn', 'churn-eu', 'churn_eu']);
  });

  it("treats the other dialect's wildcards and quoted SQL in values as literal text", async () => {
    await registry.createModel('star', { tags: { pattern: 'a*b' } });
    await registry.createModel('plain', { tags: { pattern: 'axb' } });
    await registry.createModel('quoted', { tags: { pattern: "x' OR '1'='1" } });
    expect(await names("tags.pattern LIKE 'a*b'")).toEqual(['star']);
    expect(await names("tags.pattern LIKE 'a_b'")).toEqual(['plain', 'star']);
    expect(await names("tags.pattern = 'x'' OR ''1''=''1'")).toEqual(['quoted']);
    expect(await names("tags.pattern = 'axb'' OR ''1''=''1'")).toEqual([]);
    expect(await names("name = 'star'' OR ''1''=''1'")).toEqual([]);
  });

  it('filters on tags and pages in the requested order', async () => {
    for (let i = 1; i <= 5; i++)
      await registry.createModel(`m${i}`, { tags: { tier: i % 2 === 0 ? 'gold' : 'silver' } });
    expect(await names("tags.tier = 'gold'")).toEqual(['m2', 'm4']);
    expect(await names("tags.tier LIKE 's%' AND name != 'm1'")).toEqual(['m3', 'm5']);
    expect(await names("tags.absent = 'x'")).toEqual([]);

    const first = await registry.searchModels({ maxResults: 2, orderBy: ['name DESC'] });
    expect(first.items.map((m) => m.name)).toEqual(['m5', 'm4']);
    const second = await registry.searchModels({
      maxResults: 2,
      orderBy: ['name DESC'],
      pageToken: first.nextPageToken,
    });
    expect(second.items.map((m) => m.name)).toEqual(['m3', 'm2']);
    const third = await registry.searchModels({
      maxResults: 2,
      orderBy: ['name DESC'],
      pageToken: second.nextPageToken,
    });
    expect(third.items.map((m) => m.name)).toEqual(['m1']);
    expect(third.nextPageToken).toBeUndefined();
    await expect(registry.searchModels({ maxResults: 0 })).rejects.toThrow(/maxResults/);
  });
});
