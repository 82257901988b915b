import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataEngine } from '../../src/data/duckdb.js';
import { encodeEntityKey, materialize, openOnlineStore, RedisOnlineStore } from '../../src/features/index.js';
import { makeTempDir } from '../support/temp.js';
import { iso, ONLINE_STORES, pathView, writeCsv, type StoreFixture } from './support.js';

const key = (...values: unknown[]) => encodeEntityKey(values);

describe.each(Object.keys(ONLINE_STORES) as (keyof typeof ONLINE_STORES)[])('%s online store', (kind) => {
  let fixture: StoreFixture;
  beforeEach(async () => {
    fixture = await ONLINE_STORES[kind]();
  });
  afterEach(async () => {
    await fixture.cleanup();
  });

  it('writes and reads records; a missing entity is null', async () => {
    const { store } = fixture;
    expect(
      await store.write('v', [
        { key: key(1), values: { a: 1, b: 'x' }, eventTime: 100 },
        { key: key(2), values: { a: null, b: 'y' }, eventTime: 200 },
      ]),
    ).toBe(2);
    expect(await store.read('v', [key(2), key(3), key(1)])).toEqual([
      { key: key(2), values: { a: null, b: 'y' }, eventTime: 200 },
      null,
      { key: key(1), values: { a: 1, b: 'x' }, eventTime: 100 },
    ]);
    expect(await store.read('other', [key(1)])).toEqual([null]);
    expect(await store.read('v', [])).toEqual([]);
  });

  it('never overwrites a newer event time with an older one; an equal one replaces', async () => {
    const { store } = fixture;
    await store.write('v', [{ key: key(1), values: { a: 'new' }, eventTime: 500 }]);
    expect(await store.write('v', [{ key: key(1), values: { a: 'old' }, eventTime: 400 }])).toBe(0);
    expect((await store.read('v', [key(1)]))[0]?.values).toEqual({ a: 'new' });
    expect(await store.write('v', [{ key: key(1), values: { a: 'fixed' }, eventTime: 500 }])).toBe(1);
    expect((await store.read('v', [key(1)]))[0]?.values).toEqual({ a: 'fixed' });
  });

  it('writes many records (batched) and keys 1 and "1" alike', async () => {
    const { store } = fixture;
    const records = Array.from({ length: 10 }, (_, i) => ({ key: key(i, 'x'), values: { i }, eventTime: i }));
    expect(await store.write('many', records)).toBe(10);
    const read = await store.read('many', [key('7', 'x'), key(9, 'x')]);
    expect(read.map((r) => r?.values.i)).toEqual([7, 9]);
  });

  it('keeps view metadata and a watermark that only moves forward', async () => {
    const { store } = fixture;
    expect(await store.getView('v')).toBeUndefined();
    await store.putView({ name: 'v', entities: ['id'], features: ['a'], ttlMs: 1000 });
    expect(await store.getView('v')).toMatchObject({
      name: 'v',
      entities: ['id'],
      features: ['a'],
      ttlMs: 1000,
      watermark: null,
    });
    await store.advanceWatermark('v', 50);
    await store.advanceWatermark('v', 20);
    expect((await store.getView('v'))?.watermark).toBe(50);
    await store.putView({ name: 'v', entities: ['id'], features: ['a', 'b'] });
    expect(await store.getView('v')).toMatchObject({ features: ['a', 'b'], watermark: 50 });
  });

  it('materializes incrementally by event time', async () => {
    const { store } = fixture;
    const engine = await DataEngine.open({ threads: 1 });
    const temp = makeTempDir('ciclo-mat-');
    try {
      const rows: (string | number)[][] = [
        [1, iso(1), 10],
        [1, iso(3), 30],
        [2, iso(2), 20],
      ];
      const file = writeCsv(temp.dir, 'src.csv', ['id', 'event_time', 'v'], rows);
      const view = await pathView(engine, file, { name: 'mat', entities: ['id'], features: ['v'] });
      const first = await materialize(engine, view, store);
      expect(first).toMatchObject({ view: 'mat', since: null, entities: 2, written: 2, watermark: Date.parse(iso(3)) });
      expect((await store.read('mat', [key(1), key(2)])).map((r) => [r?.values.v, r?.eventTime])).toEqual([
        [30, Date.parse(iso(3))],
        [20, Date.parse(iso(2))],
      ]);

      // New rows: one newer for entity 2, one new entity, and a late row for entity 1 older than what is online.
      rows.push([2, iso(4), 40], [3, iso(5), 50], [1, iso(2), 'late'.length]);
      writeCsv(temp.dir, 'src.csv', ['id', 'event_time', 'v'], rows);
      const second = await materialize(engine, view, store);
      // Reads from the watermark (day 3, inclusive): entity 1's day-3 row again, entity 2's day 4, entity 3.
      expect(second).toMatchObject({
        since: Date.parse(iso(3)),
        entities: 3,
        written: 3,
        watermark: Date.parse(iso(5)),
      });
      expect((await store.read('mat', [key(1), key(2), key(3)])).map((r) => r?.values.v)).toEqual([30, 40, 50]);

      // Nothing new: nothing read past the watermark but the rows at it.
      expect(await materialize(engine, view, store)).toMatchObject({
        entities: 1,
        written: 1,
        watermark: Date.parse(iso(5)),
      });

      // A backfill from the start reads everything, and still never puts an older row over a newer one.
      const backfill = await materialize(engine, view, store, { since: 0 });
      expect(backfill).toMatchObject({ since: 0, entities: 3, written: 3, watermark: Date.parse(iso(5)) });
      await store.write('mat', [{ key: key(3), values: { v: 99 }, eventTime: Date.parse(iso(9)) }]);
      expect(await materialize(engine, view, store, { since: 0 })).toMatchObject({ written: 2 });
      expect((await store.read('mat', [key(3)]))[0]?.values.v).toBe(99);
    } finally {
      engine.close();
      temp.remove();
    }
  });

  it('holds back rows dated after the materialization time, and never moves the watermark past it', async () => {
    const { store } = fixture;
    const engine = await DataEngine.open({ threads: 1 });
    const temp = makeTempDir('ciclo-mat-future-');
    try {
      const asOf = Date.parse(iso(4));
      const rows: (string | number)[][] = [
        [1, iso(2), 10],
        [1, iso(6), 60], // the future, as of day 4: must not be served as found
        [2, iso(9), 90], // an entity that exists only in the future
      ];
      const file = writeCsv(temp.dir, 'src.csv', ['id', 'event_time', 'v'], rows);
      const view = await pathView(engine, file, { name: 'future', entities: ['id'], features: ['v'] });
      const first = await materialize(engine, view, store, { asOf });
      expect(first).toMatchObject({ entities: 1, written: 1, heldBack: 2, asOf, watermark: Date.parse(iso(2)) });
      expect((await store.read('future', [key(1), key(2)])).map((r) => r?.values.v ?? null)).toEqual([10, null]);

      // A row that arrives on day 5, dated day 3: after the old watermark, so the next run reads it.
      rows.push([3, iso(3), 30]);
      writeCsv(temp.dir, 'src.csv', ['id', 'event_time', 'v'], rows);
      const later = await materialize(engine, view, store, { asOf: Date.parse(iso(5)) });
      expect(later).toMatchObject({ written: 2, heldBack: 2, watermark: Date.parse(iso(3)) });
      expect((await store.read('future', [key(3)]))[0]?.values.v).toBe(30);

      // Once their time has come, the held-back rows are read.
      const after = await materialize(engine, view, store, { asOf: Date.parse(iso(10)) });
      expect(after).toMatchObject({ heldBack: 0, watermark: Date.parse(iso(9)) });
      expect((await store.read('future', [key(1), key(2)])).map((r) => r?.values.v)).toEqual([60, 90]);
    } finally {
      engine.close();
      temp.remove();
    }
  });
});

describe('openOnlineStore', () => {
  const temp = makeTempDir('ciclo-open-');
  afterAll(() => temp.remove());

  it('defaults to <home>/online.db, and takes sqlite: paths and redis:// URLs with a prefix', async () => {
    const byDefault = openOnlineStore({ home: temp.dir });
    expect(byDefault.description).toBe(`sqlite:${join(temp.dir, 'online.db')}`);
    await byDefault.close();
    const file = join(temp.dir, 'sub', 'o.db');
    const sqlite = openOnlineStore({ home: temp.dir, onlineStore: `sqlite:${file}` });
    expect(sqlite.description).toBe(`sqlite:${file}`);
    await sqlite.close();
    const redis = openOnlineStore({ home: temp.dir, onlineStore: 'redis://127.0.0.1:6379/0?prefix=t:x' });
    expect(redis).toBeInstanceOf(RedisOnlineStore);
    expect((redis as RedisOnlineStore).prefix).toBe('t:x');
    await redis.close();
    expect(() => openOnlineStore({ home: temp.dir, onlineStore: 'mysql://x' })).toThrow(
      /CICLO_ONLINE_STORE|not a sqlite/,
    );
  });
});
