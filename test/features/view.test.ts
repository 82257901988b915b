import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CicloError, InvalidInputError, NotFoundError } from '../../src/common/errors.js';
import { DataEngine } from '../../src/data/duckdb.js';
import type { DatasetResolver, DatasetVersion } from '../../src/data/types.js';
import {
  getHistorical,
  loadFeatureViewFile,
  loadFeatureViewYaml,
  parseTtl,
  prepareView,
} from '../../src/features/index.js';
import { makeTempDir } from '../support/temp.js';
import { iso, writeCsv } from './support.js';
import { cicloErrorOf } from '../support/errors.js';

let engine: DataEngine;
const temp = makeTempDir('ciclo-features-view-');
const dir = temp.dir;
let stats: string;

beforeAll(async () => {
  engine = await DataEngine.open({ threads: 2 });
  stats = writeCsv(
    dir,
    'stats.csv',
    ['customer_id', 'event_ts', 'spend', 'orders', 'note'],
    [
      [1, iso(1), 10.5, 2, 'x'],
      [2, iso(2), 3, 1, 'y'],
    ],
  );
});
afterAll(() => {
  engine.close();
  temp.remove();
});

function yamlFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const VIEW = `name: customer_stats
entities: [customer_id]
event_time: event_ts
source:
  path: stats.csv
features:
  - spend
  - name: orders
    type: BIGINT
    description: orders so far
ttl: 30d
`;

describe('feature view YAML', () => {
  it('loads a view and checks it against its source', async () => {
    const view = await loadFeatureViewFile(yamlFile('ok.yaml', VIEW));
    expect(view).toMatchObject({
      name: 'customer_stats',
      entities: ['customer_id'],
      eventTime: 'event_ts',
      ttl: '30d',
      ttlMs: 30 * 86_400_000,
    });
    expect(view.features).toEqual([
      { name: 'spend' },
      { name: 'orders', type: 'BIGINT', description: 'orders so far' },
    ]);
    const prepared = await prepareView(engine, view);
    expect(prepared.columnTypes.orders).toBe('BIGINT');
    expect(prepared.columnTypes.spend).toBe('DOUBLE');
  });

  it('an unknown column is an error at its file:line:col, naming the source columns', async () => {
    const file = yamlFile('unknown.yaml', VIEW.replace('  - spend', '  - spennd'));
    const error = await cicloErrorOf(loadFeatureViewFile(file).then((view) => prepareView(engine, view)));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toBe('features[0]: unknown column "spennd": the source has no such column');
    expect(error.details.where).toBe(`${file}:7:5`);
    expect(error.details.hint).toContain('customer_id, event_ts, spend, orders, note');
  });

  it('an unknown entity or event-time column is found before anything runs', async () => {
    const file = yamlFile('unknown-entity.yaml', VIEW.replace('[customer_id]', '[customer_id, region]'));
    const error = await cicloErrorOf(loadFeatureViewFile(file).then((view) => prepareView(engine, view)));
    expect(error.message).toMatch(/^entities\[1\]: unknown column "region"/);
    expect(error.details.where).toBe(`${file}:2:25`);
    const timeError = await cicloErrorOf(
      loadFeatureViewFile(yamlFile('bad-time.yaml', VIEW.replace('event_time: event_ts', 'event_time: note'))).then(
        (v) => prepareView(engine, v),
      ),
    );
    expect(timeError.message).toMatch(/^event_time: column "note" holds "x", not a time/);
  });

  it('a bad TTL is an error at its position', () => {
    const error = (() => {
      try {
        loadFeatureViewYaml(VIEW.replace('ttl: 30d', 'ttl: 30 days'), 'v.yaml');
      } catch (e) {
        return e as CicloError;
      }
      throw new Error('no error');
    })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(/^ttl: must be a whole number and a unit/);
    expect(error.details.where).toBe('v.yaml:11:6');
    expect(() => parseTtl('0d')).toThrow(/longer than zero/);
    expect(parseTtl('12h')).toBe(12 * 3_600_000);
    expect(() => parseTtl('1y')).toThrow(InvalidInputError);
  });

  it('unknown fields, missing fields, a column in two roles and broken YAML are errors with positions', () => {
    const cases: [string, RegExp, string][] = [
      [VIEW.replace('ttl: 30d', 'tll: 30d'), /^tll: unknown field "tll"/, 'v.yaml:11:1'],
      [VIEW.replace('event_time: event_ts\n', ''), /^event_time: missing required field/, 'v.yaml:1:1'],
      [
        VIEW.replace('  - spend', '  - customer_id'),
        /^features\[0\]: column "customer_id" is named twice/,
        'v.yaml:7:5',
      ],
      [VIEW.replace('  path: stats.csv', '  table: stats'), /^source: source must be one of/, 'v.yaml:5:3'],
      [VIEW.replace('name: customer_stats', 'name: [oops'), /^invalid YAML/, 'v.yaml:'],
    ];
    for (const [text, message, where] of cases) {
      let caught: CicloError | undefined;
      try {
        loadFeatureViewYaml(text, 'v.yaml');
      } catch (e) {
        caught = e as CicloError;
      }
      expect(caught, String(message)).toBeInstanceOf(InvalidInputError);
      expect(caught!.message).toMatch(message);
      expect(caught!.details.where).toContain(where);
    }
  });

  it('a declared type the values do not take names the feature type', async () => {
    const file = yamlFile('bad-type.yaml', VIEW.replace('type: BIGINT', 'type: NOT_A_TYPE'));
    const error = await cicloErrorOf(loadFeatureViewFile(file).then((view) => prepareView(engine, view)));
    expect(error.message).toMatch(/^features\[1\]\.type: a declared feature type is not valid/);
    expect(error.details.where).toBe(`${file}:9:11`);
  });

  it('a missing view file is not found', async () => {
    await expect(loadFeatureViewFile(join(dir, 'none.yaml'))).rejects.toThrow(NotFoundError);
  });
});

describe('sources', () => {
  const fakeResolver = (versions: Record<string, DatasetVersion>): DatasetResolver => ({
    resolve: async (reference) => {
      const version = versions[reference];
      if (!version) throw new NotFoundError(`dataset ${reference} does not exist`);
      return version;
    },
  });
  const version = (name: string, file: string, n: number): DatasetVersion => ({
    name,
    version: n,
    digest: `sha256:${'0'.repeat(64)}`,
    format: 'csv',
    files: [file],
    schema: [],
    rowCount: 2,
    createdTime: 0,
  });

  it('dataset: sources read the resolved version', async () => {
    const view = loadFeatureViewYaml(VIEW.replace('  path: stats.csv', '  dataset: stats@2'), join(dir, 'ds.yaml'));
    const prepared = await prepareView(engine, view, {
      resolver: fakeResolver({ 'stats@2': version('stats', stats, 2) }),
    });
    expect(prepared.datasets).toEqual([
      { reference: 'stats@2', name: 'stats', version: 2, digest: `sha256:${'0'.repeat(64)}` },
    ]);
    const entities = writeCsv(dir, 'ds-entities.csv', ['customer_id', 'event_timestamp'], [[1, iso(3)]]);
    expect((await getHistorical(engine, { entities: { file: entities }, views: [prepared] }))[0]).toMatchObject({
      spend: 10.5,
      orders: 2,
    });
  });

  it('dataset: sources without a resolver say how to use a local file instead', async () => {
    const view = loadFeatureViewYaml(VIEW.replace('  path: stats.csv', '  dataset: stats'), join(dir, 'nores.yaml'));
    const error = await cicloErrorOf(prepareView(engine, view));
    expect(error.message).toMatch(/no dataset store/);
    expect(error.details.where).toBe(`${join(dir, 'nores.yaml')}:5:12`);
  });

  it('sql: sources replace {{ dataset:… }} and {{ path:… }} placeholders', async () => {
    const orders = writeCsv(
      dir,
      'orders.csv',
      ['customer_id', 'ts', 'amount'],
      [
        [1, iso(1), 5],
        [1, iso(1), 7],
        [2, iso(2), 1],
      ],
    );
    const sql = `name: order_totals
entities: [customer_id]
event_time: ts
source:
  sql: |
    SELECT o.customer_id, o.ts, sum(o.amount) AS total, max(s.note) AS note
    FROM {{ dataset:orders@1 }} o JOIN {{ path:stats.csv }} s USING (customer_id)
    GROUP BY ALL
features: [total, note]
`;
    const view = loadFeatureViewYaml(sql, join(dir, 'sql.yaml'));
    const prepared = await prepareView(engine, view, {
      resolver: fakeResolver({ 'orders@1': version('orders', orders, 1) }),
    });
    const entities = writeCsv(
      dir,
      'sql-entities.csv',
      ['customer_id', 'event_timestamp'],
      [
        [1, iso(3)],
        [2, iso(1)],
      ],
    );
    const rows = await getHistorical(engine, { entities: { file: entities }, views: [prepared] });
    expect(rows.map((r) => [r.total, r.note])).toEqual([
      [12, 'x'],
      [null, null],
    ]);
  });

  it('a broken sql: source is an error at the source', async () => {
    const view = loadFeatureViewYaml(
      VIEW.replace('  path: stats.csv', '  sql: SELEC nothing'),
      join(dir, 'broken.yaml'),
    );
    const error = await cicloErrorOf(prepareView(engine, view));
    expect(error.message).toMatch(/^cannot read the source/);
    expect(error.details.where).toBe(`${join(dir, 'broken.yaml')}:5:3`);
  });
});
