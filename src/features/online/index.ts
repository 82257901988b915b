/**
 * The online store seam: each entity's latest materialized features, in a SQLite file (default) or Redis,
 * for low-latency lookups by serving.
 */
import { join } from 'node:path';
import type { CicloConfig } from '../../common/config.js';
import { InvalidInputError } from '../../common/errors.js';
import { DEFAULT_REDIS_PREFIX, RedisOnlineStore } from './redis.js';
import { SqliteOnlineStore } from './sqlite.js';
import type { OnlineStore } from './types.js';

export { RedisOnlineStore, DEFAULT_REDIS_PREFIX, type RedisOnlineStoreOptions } from './redis.js';
export { SqliteOnlineStore } from './sqlite.js';
export * from './types.js';

/** The default when CICLO_ONLINE_STORE is unset: a SQLite file next to the metadata store. */
export function onlineStoreLocation(config: Pick<CicloConfig, 'home' | 'onlineStore'>): string {
  return config.onlineStore ?? `sqlite:${join(config.home, 'online.db')}`;
}

/**
 * Opens the online store CICLO_ONLINE_STORE names: `sqlite:/path/online.db`, or
 * `redis://host:6379[/db][?prefix=ciclo:features]` (also `rediss://`).
 */
export function openOnlineStore(config: Pick<CicloConfig, 'home' | 'onlineStore'>): OnlineStore {
  const location = onlineStoreLocation(config);
  if (location.startsWith('sqlite:')) {
    const file = location.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw badLocation(location);
    return new SqliteOnlineStore(file);
  }
  if (/^rediss?:\/\//.test(location)) {
    const url = new URL(location);
    const prefix = url.searchParams.get('prefix') ?? DEFAULT_REDIS_PREFIX;
    url.searchParams.delete('prefix');
    return new RedisOnlineStore(url.toString(), { prefix });
  }
  throw badLocation(location);
}

function badLocation(location: string): InvalidInputError {
  return new InvalidInputError(`online store "${location}" is not a sqlite: path or a redis:// URL`, {
    where: 'CICLO_ONLINE_STORE',
    hint: 'e.g. sqlite:/var/lib/ciclo/online.db or redis://127.0.0.1:6379?prefix=ciclo:features',
  });
}
