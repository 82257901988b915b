import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/common/errors.js';
import { searchRunIds, type SearchRunsRequest } from '../../../src/tracking/search/index.js';
import { DIALECTS } from '../../support/databases.js';
import { insertExperiment, insertRuns, openSearchDatabase, type RunFixture, type SearchDatabase } from './fixtures.js';

/**
 * Five runs in experiment 1 (one deleted) and one in experiment 2. Start times are distinct, so the
 * default order (start_time DESC) is r4, r3, r2, r1.
 */
const RUNS: RunFixture[] = [
  {
    id: 'r1',
    name: 'baseline-1',
    status: 'FINISHED',
    user: 'ana',
    start: 1000,
    end: 2000,
    metrics: { auc: 0.95, loss: 0.2 },
    params: { model: 'gbt', lr: '1E-3' },
    tags: { team: 'risk', 'mlflow.source.git.commit': 'abc' },
    datasets: [{ name: 'churn', digest: 'sha256:aa', context: 'training' }],
  },
  {
    id: 'r2',
    name: 'baseline-2',
    status: 'FAILED',
    user: 'bo',
    start: 2000,
    end: null,
    metrics: { auc: 0.85, loss: Number.NaN },
    params: { model: 'rf', lr: '1e-3' },
    tags: { team: 'Risk' },
    datasets: [
      { name: 'churn', digest: 'sha256:bb', context: 'evaluation' },
      { name: 'churn', digest: 'sha256:cc', context: 'training' },
    ],
  },
  {
    id: 'r3',
    name: 'tuned',
    status: 'FINISHED',
    start: 3000,
    end: 3500,
    metrics: { auc: Number.NaN, 'val loss': 0.5 },
    params: { model: 'GBT', lr: '0.01' },
    tags: { team: 'growth' },
  },
  { id: 'r4', name: 'other', status: 'RUNNING', start: 4000, end: null, params: { model: 'gbt' } },
  { id: 'r5', name: 'gone', start: 5000, deleted: true, metrics: { auc: 0.99 }, params: { model: 'gbt' } },
  { id: 'x1', experimentId: 2, name: 'elsewhere', start: 6000, metrics: { auc: 0.97 }, params: { model: 'gbt' } },
];

describe.each(DIALECTS)('searchRunIds on %s', (dialect) => {
  let database: SearchDatabase;

  beforeEach(async () => {
    database = await openSearchDatabase(dialect);
    await insertExperiment(database.db, { id: 1, name: 'exp-1' });
    await insertExperiment(database.db, { id: 2, name: 'exp-2' });
  });
  afterEach(async () => {
    await database.drop();
  });

  async function search(request: Partial<SearchRunsRequest>): Promise<string[]> {
    const result = await searchRunIds(database.db, { experimentIds: [1], ...request });
    return result.runIds;
  }

  const matching = (filter: string) => search({ filter, orderBy: ['run_id'] });

  describe('filters', () => {
    beforeEach(async () => {
      await insertRuns(database.db, RUNS);
    });

    it('returns the active runs of the experiments, newest first, without a filter', async () => {
      expect(await search({})).toEqual(['r4', 'r3', 'r2', 'r1']);
      expect(await search({ experimentIds: [1, 2] })).toEqual(['x1', 'r4', 'r3', 'r2', 'r1']);
      expect(await search({ experimentIds: [] })).toEqual([]);
    });

    it('compares metrics numerically and never matches NaN', async () => {
      expect(await matching('metrics.auc > 0.9')).toEqual(['r1']);
      expect(await matching('metrics.auc >= 0.85')).toEqual(['r1', 'r2']);
      // r3's auc is NaN, stored as 0: it must match neither < nor !=.
      expect(await matching('metrics.auc < 1')).toEqual(['r1', 'r2']);
      expect(await matching('metrics.auc != 0.5')).toEqual(['r1', 'r2']);
      expect(await matching('metrics.auc = 0.85')).toEqual(['r2']);
      expect(await matching('metrics.loss <= 0.2')).toEqual(['r1']);
      expect(await matching('metrics.`val loss` < 1')).toEqual(['r3']);
      expect(await matching('metrics.auc > -1e3 and metrics.auc < 9.5E-1')).toEqual(['r2']);
    });

    it('compares params, tags and string attributes as strings', async () => {
      expect(await matching("params.model = 'gbt'")).toEqual(['r1', 'r4']);
      expect(await matching("params.model != 'gbt'")).toEqual(['r2', 'r3']);
      expect(await matching("tags.team = 'risk'")).toEqual(['r1']);
      expect(await matching(`tags."mlflow.source.git.commit" = 'abc'`)).toEqual(['r1']);
      expect(await matching("attributes.status = 'FAILED'")).toEqual(['r2']);
      expect(await matching("user_id != 'ana'")).toEqual(['r2']);
      expect(await matching("run.run_id = 'r3'")).toEqual(['r3']);
      expect(await matching("artifact_uri = '/artifacts/r4'")).toEqual(['r4']);
    });

    it('matches LIKE case-sensitively and ILIKE case-insensitively', async () => {
      expect(await matching("params.model LIKE 'gb%'")).toEqual(['r1', 'r4']);
      expect(await matching("params.model ILIKE 'gb%'")).toEqual(['r1', 'r3', 'r4']);
      expect(await matching("tags.team LIKE 'risk'")).toEqual(['r1']);
      expect(await matching("tags.team ILIKE 'RISK'")).toEqual(['r1', 'r2']);
      expect(await matching("params.lr LIKE '%E-3'")).toEqual(['r1']);
      expect(await matching("params.lr ILIKE '%E-3'")).toEqual(['r1', 'r2']);
      expect(await matching("run_name LIKE 'base%'")).toEqual(['r1', 'r2']);
      expect(await matching("run_name LIKE 'BASE%'")).toEqual([]);
      expect(await matching("run_name ILIKE 'BASE%'")).toEqual(['r1', 'r2']);
      expect(await matching("run_name LIKE 'baseline-_'")).toEqual(['r1', 'r2']);
    });

    it('treats backslash as the escape character in patterns on both engines', async () => {
      await insertRuns(database.db, [
        { id: 'p1', start: 10, params: { pct: '50%' } },
        { id: 'p2', start: 11, params: { pct: '500' } },
        { id: 'p3', start: 12, params: { pct: 'a_b' } },
        { id: 'p4', start: 13, params: { pct: 'axb' } },
      ]);
      expect(await matching("params.pct LIKE '50%'")).toEqual(['p1', 'p2']);
      expect(await matching("params.pct LIKE '50\\%'")).toEqual(['p1']);
      expect(await matching("params.pct LIKE 'a\\_b'")).toEqual(['p3']);
      expect(await matching("params.pct ILIKE 'A\\_B'")).toEqual(['p3']);
    });

    it('matches IN and NOT IN lists', async () => {
      expect(await matching("attributes.status IN ('FINISHED', 'FAILED')")).toEqual(['r1', 'r2', 'r3']);
      expect(await matching("status NOT IN ('FINISHED')")).toEqual(['r2', 'r4']);
      expect(await matching("run_id IN ('r2', 'r4', 'x1')")).toEqual(['r2', 'r4']);
      expect(await matching("params.model IN ('rf', 'GBT')")).toEqual(['r2', 'r3']);
      // NOT IN on a param matches runs that have the param with another value, as != does.
      expect(await matching("params.lr NOT IN ('0.01')")).toEqual(['r1', 'r2']);
    });

    it('compares start_time and end_time as numbers, created meaning start_time', async () => {
      expect(await matching('start_time >= 2000 and start_time < 4000')).toEqual(['r2', 'r3']);
      expect(await matching('created > 2500')).toEqual(['r3', 'r4']);
      expect(await matching('attributes.end_time <= 3500')).toEqual(['r1', 'r3']);
      expect(await matching('start_time > 2999.5')).toEqual(['r3', 'r4']);
      expect(await matching('start_time = 1000.5')).toEqual([]);
      expect(await matching('end_time < 1e300')).toEqual(['r1', 'r3']);
    });

    it('matches datasets by name, digest and context', async () => {
      expect(await matching("datasets.digest = 'sha256:aa'")).toEqual(['r1']);
      expect(await matching("datasets.context = 'training'")).toEqual(['r1', 'r2']);
      expect(await matching("datasets.context = 'evaluation' and datasets.digest LIKE 'sha256:%'")).toEqual(['r2']);
      expect(await matching("datasets.name IN ('churn', 'other')")).toEqual(['r1', 'r2']);
      expect(await matching("datasets.name != 'churn'")).toEqual([]);
    });

    it('requires every condition joined by AND', async () => {
      expect(
        await matching("metrics.auc > 0.8 and params.model = 'gbt' and tags.team = 'risk' and status = 'FINISHED'"),
      ).toEqual(['r1']);
      expect(await matching("metrics.auc > 0.8 AND params.model = 'rf' and tags.team = 'risk'")).toEqual([]);
      expect(await matching('metrics.auc > 0.8 and metrics.auc < 0.9')).toEqual(['r2']);
    });

    it('never matches a run that lacks the key', async () => {
      expect(await matching("params.lr != 'x'")).toEqual(['r1', 'r2', 'r3']);
      expect(await matching('metrics.loss != 0')).toEqual(['r1']);
      expect(await matching("tags.nope != 'x'")).toEqual([]);
    });

    it('shows active, deleted or all runs by view type', async () => {
      expect(await search({ filter: "params.model = 'gbt'" })).toEqual(['r4', 'r1']);
      expect(await search({ filter: "params.model = 'gbt'", runViewType: 'DELETED_ONLY' })).toEqual(['r5']);
      expect(await search({ filter: "params.model = 'gbt'", runViewType: 'ALL' })).toEqual(['r5', 'r4', 'r1']);
      expect(await search({ runViewType: 'ACTIVE_ONLY' })).toEqual(['r4', 'r3', 'r2', 'r1']);
    });
  });

  describe('injection attempts', () => {
    beforeEach(async () => {
      await insertRuns(database.db, RUNS);
    });

    it.each([
      "params.x = 'a'' OR 1=1 --'",
      `tags."x; DROP TABLE runs" = 'y'`,
      'metrics.`auc"; DELETE FROM runs; --` > 0',
      "params.model = 'gbt'' OR ''1''=''1'",
      "run_name LIKE '%'' OR 1=1; DROP TABLE runs; --'",
      "attributes.status IN ('FINISHED'') OR (''1''=''1')",
      "tags.\"team' OR 1=1 --\" ILIKE '%'",
    ])('treats %s as plain values: no rows, no damage', async (filter) => {
      const before = await tableCounts();
      expect(await search({ filter, runViewType: 'ALL' })).toEqual([]);
      expect(await search({ orderBy: ['tags.`x"; DROP TABLE runs; --` DESC', `params."a') OR 1=1 --"`] })).toEqual([
        'r4',
        'r3',
        'r2',
        'r1',
      ]);
      expect(await tableCounts()).toEqual(before);
      expect(before.runs).toBe(RUNS.length);
    });

    async function tableCounts(): Promise<Record<string, number>> {
      const tables = ['runs', 'params', 'tags', 'latest_metrics', 'run_inputs', 'experiments'] as const;
      const counts: Record<string, number> = {};
      for (const table of tables) {
        const row = await database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        counts[table] = Number(row.n);
      }
      return counts;
    }
  });

  describe('order', () => {
    beforeEach(async () => {
      await insertRuns(database.db, RUNS);
    });

    it('orders by a metric, NaN after numbers and missing last, in both directions', async () => {
      expect(await search({ orderBy: ['metrics.auc DESC'] })).toEqual(['r1', 'r2', 'r3', 'r4']);
      expect(await search({ orderBy: ['metrics.auc ASC'] })).toEqual(['r2', 'r1', 'r3', 'r4']);
      expect(await search({ orderBy: ['metrics.auc'], filter: 'metrics.auc > 0' })).toEqual(['r2', 'r1']);
    });

    it('orders by params and tags with runs lacking the key last, in both directions', async () => {
      expect(await search({ orderBy: ['params.lr'] })).toEqual(['r3', 'r1', 'r2', 'r4']);
      expect(await search({ orderBy: ['params.lr DESC'] })).toEqual(['r2', 'r1', 'r3', 'r4']);
      // Byte order on both engines: uppercase sorts before lowercase.
      expect(await search({ orderBy: ['tags.team'] })).toEqual(['r2', 'r3', 'r1', 'r4']);
      expect(await search({ orderBy: ['tags.team desc'] })).toEqual(['r1', 'r3', 'r2', 'r4']);
    });

    it('orders by attributes, with a missing end_time last', async () => {
      expect(await search({ orderBy: ['start_time'] })).toEqual(['r1', 'r2', 'r3', 'r4']);
      expect(await search({ orderBy: ['attributes.run_name DESC'] })).toEqual(['r3', 'r4', 'r2', 'r1']);
      expect(await search({ orderBy: ['end_time'] })).toEqual(['r1', 'r3', 'r4', 'r2']);
      expect(await search({ orderBy: ['end_time DESC'] })).toEqual(['r3', 'r1', 'r4', 'r2']);
      expect(await search({ orderBy: ['status', 'created'] })).toEqual(['r2', 'r1', 'r3', 'r4']);
    });

    it('breaks ties by start_time DESC, then run id', async () => {
      await insertRuns(database.db, [
        { id: 't-b', start: 7000, params: { tie: 'same' } },
        { id: 't-c', start: 7000, params: { tie: 'same' } },
        { id: 't-a', start: 7000, params: { tie: 'same' } },
        { id: 't-z', start: 8000, params: { tie: 'same' } },
      ]);
      expect(await search({ filter: "params.tie = 'same'", orderBy: ['params.tie'] })).toEqual([
        't-z',
        't-a',
        't-b',
        't-c',
      ]);
    });

    it('orders by several keys in turn', async () => {
      expect(await search({ orderBy: ['params.model', 'metrics.auc DESC'] })).toEqual(['r3', 'r1', 'r4', 'r2']);
    });
  });

  describe('paging', () => {
    /** 23 runs; metric values repeat, some are NaN or missing, params collide: every tie-break matters. */
    const PAGED: RunFixture[] = Array.from({ length: 23 }, (_, i): RunFixture => ({
      id: `run-${String(i).padStart(2, '0')}`,
      start: 100 + (i % 5),
      metrics: i % 7 === 0 ? {} : { score: i % 6 === 0 ? Number.NaN : (i % 4) / 4 },
      params: i % 3 === 0 ? {} : { group: `g${i % 2}` },
    }));

    async function allPages(
      request: Partial<SearchRunsRequest>,
      maxResults: number,
    ): Promise<{ pages: string[][]; tokens: number }> {
      const pages: string[][] = [];
      let pageToken: string | undefined;
      let tokens = 0;
      do {
        const result = await searchRunIds(database.db, { experimentIds: [1], ...request, maxResults, pageToken });
        pages.push(result.runIds);
        pageToken = result.nextPageToken;
        if (pageToken) tokens += 1;
      } while (pageToken);
      return { pages, tokens };
    }

    it.each([
      [[] as string[], 5],
      [['metrics.score DESC'], 4],
      [['metrics.score'], 7],
      [['params.group DESC', 'metrics.score'], 3],
      [['start_time'], 23],
    ])('returns every run exactly once across pages ordered by %j, %i per page', async (orderBy, maxResults) => {
      await insertRuns(database.db, PAGED);
      const all = await search({ orderBy, maxResults: 1000 });
      expect(all).toHaveLength(23);
      const { pages, tokens } = await allPages({ orderBy }, maxResults);
      expect(pages.flat()).toEqual(all);
      expect(pages.slice(0, -1).every((page) => page.length === maxResults)).toBe(true);
      expect(tokens).toBe(Math.ceil(23 / maxResults) - 1);
    });

    it('pages a filtered search', async () => {
      await insertRuns(database.db, PAGED);
      const all = await search({
        filter: "metrics.score >= 0.25 and params.group = 'g1'",
        orderBy: ['metrics.score DESC'],
      });
      const { pages } = await allPages(
        { filter: "metrics.score >= 0.25 and params.group = 'g1'", orderBy: ['metrics.score DESC'] },
        2,
      );
      expect(pages.flat()).toEqual(all);
      expect(all.length).toBeGreaterThan(4);
    });

    it('omits the token when the last page is exactly full', async () => {
      await insertRuns(database.db, RUNS);
      const result = await searchRunIds(database.db, { experimentIds: [1], maxResults: 4 });
      expect(result).toEqual({ runIds: ['r4', 'r3', 'r2', 'r1'] });
    });

    it('rejects max_results beyond 50000 or below 1, and a garbage token', async () => {
      const rejection = (request: Partial<SearchRunsRequest>) =>
        searchRunIds(database.db, { experimentIds: [1], ...request }).then(
          () => undefined,
          (error: unknown) => error,
        );
      const tooMany = await rejection({ maxResults: 50_001 });
      expect(tooMany).toBeInstanceOf(InvalidInputError);
      expect((tooMany as InvalidInputError).details.where).toBe('max_results');
      expect(await rejection({ maxResults: 0 })).toBeInstanceOf(InvalidInputError);
      expect(await searchRunIds(database.db, { experimentIds: [1], maxResults: 50_000 })).toEqual({ runIds: [] });
      const badToken = await rejection({ pageToken: 'eyJvZmZzZXQiOi0xfQ' });
      expect((badToken as InvalidInputError).details.where).toBe('page_token');
      const badFilter = await rejection({ filter: 'metrics.a > 1 or metrics.b > 1' });
      expect((badFilter as InvalidInputError).details.where).toBe('filter column 15');
    });
  });

  describe('ordered pages over many runs', () => {
    /**
     * Enough runs that ordered reads bound their scan (they read at least the first 1000 index
     * entries), with coarse values so many runs tie at the bound, plus NaN and missing values and
     * mixed-case strings: every page must match the order computed here.
     */
    const CODES = ['alpha', 'Beta', 'beta', 'Alpha', 'gamma', '_x', 'Zed'];
    const MANY: RunFixture[] = Array.from({ length: 1400 }, (_, i): RunFixture => ({
      id: `m${String((i * 7919) % 1400).padStart(4, '0')}`,
      start: i % 13,
      metrics:
        i % 50 === 0
          ? { other: 1 }
          : { acc: i % 97 === 0 ? Number.NaN : Math.round(((i * 37) % 100) / 10) / 10, loss: (i % 10) / 10 },
      params: i % 11 === 0 ? { kind: i % 3 === 0 ? 'a' : 'b' } : { kind: i % 3 === 0 ? 'a' : 'b', code: CODES[i % 7]! },
      tags: i % 5 === 0 ? { selected: 'yes' } : {},
    }));

    type Compare = (a: RunFixture, b: RunFixture) => number;
    const byAcc =
      (sign: number): Compare =>
      (a, b) => {
        const rank = (run: RunFixture) => (run.metrics?.acc === undefined ? 2 : Number.isNaN(run.metrics.acc) ? 1 : 0);
        return rank(a) - rank(b) || (rank(a) === 0 ? sign * (a.metrics!.acc! - b.metrics!.acc!) : 0);
      };
    const byCode =
      (sign: number): Compare =>
      (a, b) => {
        const [x, y] = [a.params?.code, b.params?.code];
        if (x === undefined || y === undefined) return (x === undefined ? 1 : 0) - (y === undefined ? 1 : 0);
        return x === y ? 0 : sign * (x < y ? -1 : 1);
      };
    const unordered: Compare = () => 0;

    function expectedOrder(runs: RunFixture[], compare: Compare): string[] {
      // After the order_by terms: start_time DESC, then run id.
      return [...runs]
        .sort((a, b) => compare(a, b) || b.start - a.start || (a.id < b.id ? -1 : 1))
        .map((run) => run.id);
    }

    it.each([
      ['metrics.acc DESC', undefined, byAcc(-1), () => true],
      ['metrics.acc ASC', undefined, byAcc(1), () => true],
      ['metrics.acc DESC', "params.kind = 'a'", byAcc(-1), (run: RunFixture) => run.params?.kind === 'a'],
      ['metrics.acc DESC', "tags.selected = 'yes'", byAcc(-1), (run: RunFixture) => run.tags?.selected === 'yes'],
      ['metrics.acc ASC', 'metrics.loss >= 0.5', byAcc(1), (run: RunFixture) => (run.metrics?.loss ?? -1) >= 0.5],
      ['params.code DESC', 'metrics.loss < 0.7', byCode(-1), (run: RunFixture) => (run.metrics?.loss ?? 1) < 0.7],
      ['params.code', undefined, byCode(1), () => true],
      [undefined, "params.kind = 'a'", unordered, (run: RunFixture) => run.params?.kind === 'a'],
      [undefined, 'metrics.loss > 0.85', unordered, (run: RunFixture) => (run.metrics?.loss ?? 0) > 0.85],
    ] as const)('orders by %s with filter %s, page by page', async (orderBy, filter, compare, keep) => {
      await insertRuns(database.db, MANY);
      const expected = expectedOrder(MANY.filter(keep), compare);
      const pages: string[] = [];
      let pageToken: string | undefined;
      do {
        const result = await searchRunIds(database.db, {
          experimentIds: [1],
          filter,
          orderBy: orderBy ? [orderBy] : undefined,
          maxResults: 150,
          pageToken,
        });
        pages.push(...result.runIds);
        pageToken = result.nextPageToken;
      } while (pageToken);
      expect(pages).toEqual(expected);
    });
  });
});
