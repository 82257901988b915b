import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { DataEngine } from '../../src/data/duckdb.js';
import {
  defineFeatureView,
  prepareView,
  RedisOnlineStore,
  SqliteOnlineStore,
  type OnlineStore,
  type PreparedView,
} from '../../src/features/index.js';
import { prng } from '../support/prng.js';
import { makeTempDir } from '../support/temp.js';

export { prng };

/** Writes a CSV file from a header and rows; returns its path. */
export function writeCsv(
  dir: string,
  name: string,
  header: readonly string[],
  rows: readonly (readonly (string | number | null)[])[],
): string {
  const file = join(dir, name);
  const cell = (value: string | number | null) => (value === null ? '' : String(value));
  writeFileSync(file, [header.join(','), ...rows.map((row) => row.map(cell).join(','))].join('\n') + '\n');
  return file;
}

/** A view over a local file, checked against it. */
export async function pathView(
  engine: DataEngine,
  file: string,
  spec: {
    name: string;
    entities: string[];
    features: string[];
    ttl?: string;
    event_time?: string;
    created_time?: string;
  },
): Promise<PreparedView> {
  const view = defineFeatureView({
    name: spec.name,
    entities: spec.entities,
    event_time: spec.event_time ?? 'event_time',
    ...(spec.created_time === undefined ? {} : { created_time: spec.created_time }),
    source: { path: file },
    features: spec.features,
    ...(spec.ttl === undefined ? {} : { ttl: spec.ttl }),
  });
  return prepareView(engine, view);
}

export const iso = (day: number, hour = 0) => new Date(Date.UTC(2024, 0, day, hour)).toISOString();

const REDIS_URL = process.env.CICLO_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface StoreFixture {
  store: OnlineStore;
  /** Closes the store and removes what it wrote (its file, or its Redis keys, checked gone). */
  cleanup(): Promise<void>;
}

/**
 * Each online store, fresh: a SQLite file in a folder of its own, or Redis under a key prefix of its own (small
 * batches).
 */
export const ONLINE_STORES: Record<'sqlite' | 'redis', () => Promise<StoreFixture>> = {
  sqlite: async () => {
    const temp = makeTempDir('ciclo-online-');
    const store = new SqliteOnlineStore(join(temp.dir, 'online.db'));
    return {
      store,
      cleanup: async () => {
        await store.close();
        temp.remove();
      },
    };
  },
  redis: async () => {
    const prefix = `ciclo-test:${randomBytes(6).toString('hex')}`;
    const store = new RedisOnlineStore(REDIS_URL, { prefix, batchSize: 3 });
    return {
      store,
      cleanup: async () => {
        await store.close();
        const admin = new Redis(REDIS_URL);
        try {
          const keys = await admin.keys(`${prefix}:*`);
          if (keys.length > 0) await admin.del(...keys);
          expect(await admin.keys(`${prefix}:*`)).toEqual([]);
        } finally {
          admin.disconnect();
        }
      },
    };
  },
};
