import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataEngine } from '../../src/data/duckdb.js';
import { CicloError, InvalidInputError, NotFoundError } from '../../src/common/errors.js';
import { getHistorical, writeHistorical } from '../../src/features/index.js';
import { makeTempDir } from '../support/temp.js';
import { iso, pathView, writeCsv } from './support.js';

let engine: DataEngine;
const temp = makeTempDir('ciclo-features-');
const dir = temp.dir;

beforeAll(async () => {
  engine = await DataEngine.open({ threads: 2 });
});
afterAll(() => {
  engine.close();
  temp.remove();
});

describe('point-in-time historical retrieval', () => {
  it('takes the latest row at or before each entity timestamp, never after, and keeps entity order', async () => {
    const features = writeCsv(
      dir,
      'spend.csv',
      ['customer_id', 'event_time', 'spend'],
      [
        [1, iso(1), 10],
        [1, iso(5), 50],
        [1, iso(10), 100],
        [2, iso(3), 7],
      ],
    );
    const entities = writeCsv(
      dir,
      'entities1.csv',
      ['customer_id', 'event_timestamp', 'label'],
      [
        [1, iso(9), 'a'],
        [1, iso(4), 'b'],
        [2, iso(2), 'c'],
        [1, iso(20), 'd'],
      ],
    );
    const view = await pathView(engine, features, { name: 'spend', entities: ['customer_id'], features: ['spend'] });
    const rows = await getHistorical(engine, { entities: { file: entities }, views: [view], includeEventTimes: true });
    expect(rows.map((r) => [r.label, r.spend, r.spend__event_time])).toEqual([
      ['a', 50, iso(5)],
      ['b', 10, iso(1)],
      ['c', null, null], // the only row of customer 2 is after the entity timestamp
      ['d', 100, iso(10)],
    ]);
  });

  it('includes a feature row at exactly the entity timestamp', async () => {
    const features = writeCsv(
      dir,
      'eq.csv',
      ['id', 'event_time', 'v'],
      [
        [1, iso(5), 1],
        [1, iso(5, 1), 2],
      ],
    );
    const entities = writeCsv(dir, 'eq-entities.csv', ['id', 'event_timestamp'], [[1, iso(5)]]);
    const view = await pathView(engine, features, { name: 'eq', entities: ['id'], features: ['v'] });
    const rows = await getHistorical(engine, { entities: { file: entities }, views: [view] });
    expect(rows[0]!.v).toBe(1);
  });

  it('places late-arriving rows by event time, whatever their position in the source', async () => {
    // The row for day 4 was ingested last (appended at the end), after the day 8 row.
    const features = writeCsv(
      dir,
      'late.csv',
      ['id', 'event_time', 'v'],
      [
        [1, iso(2), 'day2'],
        [1, iso(8), 'day8'],
        [1, iso(4), 'day4-late'],
      ],
    );
    const entities = writeCsv(
      dir,
      'late-entities.csv',
      ['id', 'event_timestamp'],
      [
        [1, iso(5)],
        [1, iso(9)],
        [1, iso(3)],
      ],
    );
    const view = await pathView(engine, features, { name: 'late', entities: ['id'], features: ['v'] });
    const rows = await getHistorical(engine, { entities: { file: entities }, views: [view] });
    expect(rows.map((r) => r.v)).toEqual(['day4-late', 'day8', 'day2']);
  });

  it('breaks ties at one event time by created_time, then by the later source row', async () => {
    const features = writeCsv(
      dir,
      'ties.csv',
      ['id', 'event_time', 'created', 'v'],
      [
        [1, iso(3), iso(10), 'newest-ingest'],
        [1, iso(3), iso(4), 'older-ingest'],
        [2, iso(3), iso(4), 'first'],
        [2, iso(3), iso(4), 'correction'],
      ],
    );
    const entities = writeCsv(
      dir,
      'ties-entities.csv',
      ['id', 'event_timestamp'],
      [
        [1, iso(5)],
        [2, iso(5)],
      ],
    );
    const view = await pathView(engine, features, {
      name: 'ties',
      entities: ['id'],
      features: ['v'],
      created_time: 'created',
    });
    const rows = await getHistorical(engine, { entities: { file: entities }, views: [view] });
    expect(rows.map((r) => r.v)).toEqual(['newest-ingest', 'correction']);
  });

  it('nulls features older than the TTL but keeps the entity row', async () => {
    const features = writeCsv(
      dir,
      'ttl.csv',
      ['id', 'event_time', 'v'],
      [
        [1, iso(1), 'old'],
        [2, iso(8), 'fresh'],
      ],
    );
    const entities = writeCsv(
      dir,
      'ttl-entities.csv',
      ['id', 'event_timestamp'],
      [
        [1, iso(10)], // 9 days after: expired under a 7d TTL
        [2, iso(10)],
        [1, iso(8)], // exactly 7 days: still within the TTL (event_time >= ts - ttl)
        [1, iso(8, 1)], // 7 days and an hour: expired
      ],
    );
    const view = await pathView(engine, features, { name: 'ttl', entities: ['id'], features: ['v'], ttl: '7d' });
    const rows = await getHistorical(engine, { entities: { file: entities }, views: [view], includeEventTimes: true });
    expect(rows.map((r) => [r.id, r.v, r.ttl__event_time])).toEqual([
      [1, null, null],
      [2, 'fresh', iso(8)],
      [1, 'old', iso(1)],
      [1, null, null],
    ]);
  });

  it('expiry does not fall back to an older row: the latest eligible row is the one judged', async () => {
    const features = writeCsv(dir, 'ttl2.csv', ['id', 'event_time', 'v'], [[1, iso(1), 'x']]);
    const entities = writeCsv(dir, 'ttl2-entities.csv', ['id', 'event_timestamp'], [[1, iso(3)]]);
    const view = await pathView(engine, features, { name: 'ttl2', entities: ['id'], features: ['v'], ttl: '1d' });
    const rows = await getHistorical(engine, { entities: { file: entities }, views: [view] });
    expect(rows).toEqual([{ id: 1, event_timestamp: iso(3), v: null }]);
  });

  it('gives nulls for entities the view has never seen', async () => {
    const features = writeCsv(dir, 'missing.csv', ['id', 'event_time', 'v'], [[1, iso(1), 5]]);
    const entities = writeCsv(
      dir,
      'missing-entities.csv',
      ['id', 'event_timestamp'],
      [
        [42, iso(3)],
        [1, iso(3)],
        [null, iso(3)],
      ],
    );
    const view = await pathView(engine, features, { name: 'missing', entities: ['id'], features: ['v'] });
    const rows = await getHistorical(engine, { entities: { file: entities }, views: [view] });
    expect(rows.map((r) => r.v)).toEqual([null, 5, null]);
  });

  it('joins on several entity keys, and several views side by side', async () => {
    const pairs = writeCsv(
      dir,
      'pairs.csv',
      ['user', 'item', 'event_time', 'clicks'],
      [
        ['u1', 'i1', iso(1), 3],
        ['u1', 'i2', iso(1), 4],
        ['u2', 'i1', iso(1), 5],
        ['u1', 'i1', iso(6), 30],
      ],
    );
    const users = writeCsv(
      dir,
      'users.csv',
      ['user', 'event_time', 'age'],
      [
        ['u1', iso(1), 31],
        ['u2', iso(7), 40],
      ],
    );
    const entities = writeCsv(
      dir,
      'pair-entities.csv',
      ['user', 'item', 'event_timestamp'],
      [
        ['u1', 'i1', iso(5)],
        ['u1', 'i2', iso(5)],
        ['u2', 'i1', iso(5)],
        ['u2', 'i2', iso(8)],
        ['u1', 'i1', iso(7)],
      ],
    );
    const pairView = await pathView(engine, pairs, { name: 'pairs', entities: ['user', 'item'], features: ['clicks'] });
    const userView = await pathView(engine, users, { name: 'users', entities: ['user'], features: ['age'] });
    const rows = await getHistorical(engine, { entities: { file: entities }, views: [pairView, userView] });
    expect(rows.map((r) => [r.user, r.item, r.clicks, r.age])).toEqual([
      ['u1', 'i1', 3, 31],
      ['u1', 'i2', 4, 31],
      ['u2', 'i1', 5, null],
      ['u2', 'i2', null, 40],
      ['u1', 'i1', 30, 31],
    ]);
  });

  it('matches entity keys across types (entity ids as text, features keyed by integers)', async () => {
    const features = writeCsv(dir, 'typed.csv', ['id', 'event_time', 'v'], [[7, iso(1), 'seven']]);
    const entities = join(dir, 'typed-entities.jsonl');
    (await import('node:fs')).writeFileSync(entities, `${JSON.stringify({ id: '7', event_timestamp: iso(2) })}\n`);
    const view = await pathView(engine, features, { name: 'typed', entities: ['id'], features: ['v'] });
    const rows = await getHistorical(engine, { entities: { file: entities }, views: [view] });
    expect(rows[0]!.v).toBe('seven');
  });

  it('returns only the features asked for (name or view:name); a clashing name is prefixed with the view', async () => {
    const a = writeCsv(dir, 'sel-a.csv', ['id', 'event_time', 'x', 'y'], [[1, iso(1), 1, 2]]);
    const b = writeCsv(dir, 'sel-b.csv', ['id', 'event_time', 'x'], [[1, iso(1), 10]]);
    const entities = writeCsv(dir, 'sel-entities.csv', ['id', 'event_timestamp', 'x'], [[1, iso(2), 'entity-x']]);
    const va = await pathView(engine, a, { name: 'va', entities: ['id'], features: ['x', 'y'] });
    const vb = await pathView(engine, b, { name: 'vb', entities: ['id'], features: ['x'] });
    const rows = await getHistorical(engine, {
      entities: { file: entities },
      views: [va, vb],
      features: ['va:x', 'y', 'vb:x'],
    });
    expect(rows[0]).toEqual({ id: 1, event_timestamp: iso(2), x: 'entity-x', va__x: 1, y: 2, vb__x: 10 });
    await expect(
      getHistorical(engine, { entities: { file: entities }, views: [va, vb], features: ['x'] }),
    ).rejects.toThrow(/more than one view/);
    await expect(
      getHistorical(engine, { entities: { file: entities }, views: [va], features: ['nope'] }),
    ).rejects.toThrow(InvalidInputError);
  });

  it('writes Parquet and CSV files', async () => {
    const features = writeCsv(dir, 'out.csv', ['id', 'event_time', 'v'], [[1, iso(1), 5]]);
    const entities = writeCsv(
      dir,
      'out-entities.csv',
      ['id', 'event_timestamp'],
      [
        [1, iso(2)],
        [2, iso(2)],
      ],
    );
    const view = await pathView(engine, features, { name: 'out', entities: ['id'], features: ['v'] });
    for (const out of [join(dir, 'train.parquet'), join(dir, 'train.csv')]) {
      expect(await writeHistorical(engine, { entities: { file: entities }, views: [view] }, out)).toBe(2);
      expect(existsSync(out)).toBe(true);
      const reader = out.endsWith('.csv') ? `read_csv('${out}')` : `read_parquet('${out}')`;
      expect((await engine.all(`SELECT id, v FROM ${reader} ORDER BY id`)).map((r) => r.v)).toEqual([5, null]);
    }
  });

  it('accepts entity rows as SQL', async () => {
    const features = writeCsv(dir, 'sqlent.csv', ['id', 'event_time', 'v'], [[1, iso(1), 5]]);
    const view = await pathView(engine, features, { name: 'sqlent', entities: ['id'], features: ['v'] });
    const rows = await getHistorical(engine, {
      entities: { sql: `SELECT 1 AS id, TIMESTAMP '2024-01-03 00:00:00' AS ts` },
      timestampColumn: 'ts',
      views: [view],
    });
    expect(rows[0]!.v).toBe(5);
  });
});

describe('bad entity input', () => {
  it('names the missing timestamp column and the file', async () => {
    const features = writeCsv(dir, 'bad.csv', ['id', 'event_time', 'v'], [[1, iso(1), 5]]);
    const entities = writeCsv(dir, 'no-ts.csv', ['id', 'when'], [[1, iso(2)]]);
    const view = await pathView(engine, features, { name: 'bad', entities: ['id'], features: ['v'] });
    const error = await getHistorical(engine, { entities: { file: entities }, views: [view] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as CicloError).message).toMatch(/no timestamp column "event_timestamp"/);
    expect((error as CicloError).details.where).toBe(entities);
    expect((error as CicloError).details.hint).toMatch(/id, when/);
  });

  it('names a missing entity key column', async () => {
    const features = writeCsv(dir, 'bad2.csv', ['id', 'event_time', 'v'], [[1, iso(1), 5]]);
    const entities = writeCsv(dir, 'no-key.csv', ['customer', 'event_timestamp'], [[1, iso(2)]]);
    const view = await pathView(engine, features, { name: 'bad2', entities: ['id'], features: ['v'] });
    await expect(getHistorical(engine, { entities: { file: entities }, views: [view] })).rejects.toThrow(
      /no key column "id"/,
    );
  });

  it('a missing entity file is not found', async () => {
    const features = writeCsv(dir, 'bad3.csv', ['id', 'event_time', 'v'], [[1, iso(1), 5]]);
    const view = await pathView(engine, features, { name: 'bad3', entities: ['id'], features: ['v'] });
    await expect(getHistorical(engine, { entities: { file: join(dir, 'nope.csv') }, views: [view] })).rejects.toThrow(
      NotFoundError,
    );
  });
});
