import type * as ioredis from 'ioredis';
import type { Redis } from 'ioredis';
import { requireOnFirstUse } from '../../common/on-first-use.js';
import type { OnlineRecord, OnlineStore, OnlineViewMeta, OnlineViewState } from './types.js';

/** Default key prefix: entity hashes are `ciclo:features:<view>:<entity key>`. */
export const DEFAULT_REDIS_PREFIX = 'ciclo:features';

/**
 * Writes the record unless the stored event time is newer: atomic in Redis, so two writers never
 * put an older row over a newer one.
 */
const WRITE_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], 'event_time')
if current and tonumber(current) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'event_time', ARGV[1], 'values', ARGV[2])
return 1`;

const RAISE_WATERMARK = `
local current = redis.call('HGET', KEYS[1], 'watermark')
if (not current) or tonumber(current) < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'watermark', ARGV[1]) end
redis.call('HSET', KEYS[1], 'updated_time', ARGV[2])
return 1`;

type ScriptedRedis = Redis & {
  cicloWriteIfNewer(key: string, eventTime: number, values: string): Promise<number>;
  cicloRaiseWatermark(key: string, eventTime: number, now: number): Promise<number>;
};

export interface RedisOnlineStoreOptions {
  /** Key prefix; view names cannot hold "!", so `<prefix>:!view:<name>` never meets an entity hash. */
  prefix?: string;
  /** Records per pipeline on write. */
  batchSize?: number;
}

/**
 * The online store on Redis: a hash per entity `<prefix>:<view>:<entity key>` with fields `values`
 * (JSON) and `event_time` (epoch ms). Writes are pipelined, each an atomic write-if-newer script;
 * reads are one pipelined HMGET per key.
 */
export class RedisOnlineStore implements OnlineStore {
  readonly #client: ScriptedRedis;
  readonly prefix: string;
  readonly #batchSize: number;

  constructor(
    readonly url: string,
    options: RedisOnlineStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    this.#batchSize = options.batchSize ?? 1000;
    const { Redis: RedisClient } = requireOnFirstUse('ioredis') as typeof ioredis;
    const client = new RedisClient(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    client.on('error', () => undefined);
    client.defineCommand('cicloWriteIfNewer', { numberOfKeys: 1, lua: WRITE_IF_NEWER });
    client.defineCommand('cicloRaiseWatermark', { numberOfKeys: 1, lua: RAISE_WATERMARK });
    this.#client = client as ScriptedRedis;
  }

  get description(): string {
    try {
      const parsed = new URL(this.url);
      if (parsed.password) parsed.password = '***';
      return `${parsed.toString()} (prefix ${this.prefix})`;
    } catch {
      return this.url;
    }
  }

  entityKey(view: string, key: string): string {
    return `${this.prefix}:${view}:${key}`;
  }

  #viewKey(view: string): string {
    return `${this.prefix}:!view:${view}`;
  }

  async #connected(): Promise<ScriptedRedis> {
    if (this.#client.status === 'wait') await this.#client.connect();
    return this.#client;
  }

  async write(view: string, records: readonly OnlineRecord[]): Promise<number> {
    const client = await this.#connected();
    let written = 0;
    for (let start = 0; start < records.length; start += this.#batchSize) {
      const pipeline = client.pipeline() as ReturnType<Redis['pipeline']> & {
        cicloWriteIfNewer(key: string, eventTime: number, values: string): unknown;
      };
      for (const record of records.slice(start, start + this.#batchSize)) {
        pipeline.cicloWriteIfNewer(this.entityKey(view, record.key), record.eventTime, JSON.stringify(record.values));
      }
      for (const [error, result] of (await pipeline.exec()) ?? []) {
        if (error) throw error;
        written += Number(result);
      }
    }
    return written;
  }

  async read(view: string, keys: readonly string[]): Promise<(OnlineRecord | null)[]> {
    if (keys.length === 0) return [];
    const client = await this.#connected();
    const pipeline = client.pipeline();
    for (const key of keys) pipeline.hmget(this.entityKey(view, key), 'event_time', 'values');
    const replies = (await pipeline.exec()) ?? [];
    return keys.map((key, index) => {
      const [error, reply] = replies[index] ?? [new Error('no reply'), null];
      if (error) throw error;
      const [eventTime, values] = reply as [string | null, string | null];
      if (eventTime === null || values === null) return null;
      return { key, eventTime: Number(eventTime), values: JSON.parse(values) as OnlineRecord['values'] };
    });
  }

  async putView(meta: OnlineViewMeta): Promise<void> {
    const client = await this.#connected();
    await client.hset(this.#viewKey(meta.name), 'meta', JSON.stringify(meta), 'updated_time', String(Date.now()));
  }

  async getView(view: string): Promise<OnlineViewState | undefined> {
    const client = await this.#connected();
    const [meta, watermark, updated] = await client.hmget(this.#viewKey(view), 'meta', 'watermark', 'updated_time');
    if (meta === null || meta === undefined) return undefined;
    return {
      ...(JSON.parse(meta) as OnlineViewMeta),
      watermark: watermark === null || watermark === undefined ? null : Number(watermark),
      updatedTime: Number(updated ?? 0),
    };
  }

  async advanceWatermark(view: string, eventTime: number): Promise<void> {
    const client = await this.#connected();
    await client.cicloRaiseWatermark(this.#viewKey(view), eventTime, Date.now());
  }

  async close(): Promise<void> {
    if (this.#client.status === 'wait' || this.#client.status === 'end') {
      this.#client.disconnect();
      return;
    }
    await this.#client.quit().catch(() => this.#client.disconnect());
  }
}
