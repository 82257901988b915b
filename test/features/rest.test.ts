import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, InvalidInputError } from '../../src/common/errors.js';
import { DataEngine } from '../../src/data/duckdb.js';
import { encodeEntityKey, materialize, openOnlineStore, type OnlineStore } from '../../src/features/index.js';
import { FeatureClient } from '../../src/sdk/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/temp.js';
import { iso, pathView, writeCsv } from './support.js';

const temp = makeTempDir('ciclo-features-rest-');
const onlineFile = join(temp.dir, 'online.db');
let server: TestServer;

async function seed(store: OnlineStore): Promise<void> {
  const engine = await DataEngine.open({ threads: 1 });
  try {
    const file = writeCsv(
      temp.dir,
      'stats.csv',
      ['customer_id', 'event_time', 'spend', 'segment'],
      [
        [1, iso(1), 10, 'a'],
        [1, iso(3), 30, 'b'],
        [2, iso(2), 20, 'c'],
      ],
    );
    await materialize(
      engine,
      await pathView(engine, file, { name: 'stats', entities: ['customer_id'], features: ['spend', 'segment'] }),
      store,
    );
    const ttlFile = writeCsv(
      temp.dir,
      'recent.csv',
      ['customer_id', 'event_time', 'score'],
      [
        [1, iso(1), 0.5],
        [2, new Date().toISOString(), 0.9],
      ],
    );
    await materialize(
      engine,
      await pathView(engine, ttlFile, { name: 'recent', entities: ['customer_id'], features: ['score'], ttl: '1d' }),
      store,
    );
  } finally {
    engine.close();
  }
}

async function post(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/api/v1/features/online`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  const store = openOnlineStore({ home: temp.dir, onlineStore: `sqlite:${onlineFile}` });
  try {
    await seed(store);
  } finally {
    await store.close();
  }
  server = await startTestServer('sqlite', { onlineStore: `sqlite:${onlineFile}` });
});
afterAll(async () => {
  await server.stop();
  temp.remove();
});

describe('POST /api/v1/features/online', () => {
  it("answers each entity's latest values and event time; a missing entity is null", async () => {
    const { status, json } = await post({
      view: 'stats',
      entities: [{ customer_id: 1 }, { customer_id: '2' }, { customer_id: 9 }],
    });
    expect(status).toBe(200);
    expect(json).toEqual({
      view: 'stats',
      features: ['spend', 'segment'],
      results: [
        { entity: { customer_id: 1 }, status: 'found', event_time: iso(3), values: { spend: 30, segment: 'b' } },
        { entity: { customer_id: '2' }, status: 'found', event_time: iso(2), values: { spend: 20, segment: 'c' } },
        { entity: { customer_id: 9 }, status: 'missing', event_time: null, values: { spend: null, segment: null } },
      ],
    });
  });

  it('returns only the features asked for, and applies the TTL at lookup time', async () => {
    const { json } = await post({ view: 'stats', entities: [{ customer_id: 1 }], features: ['segment'] });
    expect((json.results as unknown[])[0]).toMatchObject({ values: { segment: 'b' } });
    const recent = await post({ view: 'recent', entities: [{ customer_id: 1 }, { customer_id: 2 }] });
    expect((recent.json.results as { status: string; values: unknown }[]).map((r) => [r.status, r.values])).toEqual([
      ['expired', { score: null }],
      ['found', { score: 0.9 }],
    ]);
    const past = await post({ view: 'recent', entities: [{ customer_id: 1 }], at: iso(1, 12) });
    expect((past.json.results as { status: string }[])[0]!.status).toBe('found');
  });

  it('answers 404 for a view never materialized and 400 for bad input', async () => {
    const unknown = await post({ view: 'nope', entities: [{ customer_id: 1 }] });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
    const badFeature = await post({ view: 'stats', entities: [{ customer_id: 1 }], features: ['nope'] });
    expect(badFeature.status).toBe(400);
    expect(badFeature.json).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'features[0]' });
    const badKey = await post({ view: 'stats', entities: [{ user: 1 }] });
    expect(badKey.status).toBe(400);
    expect(String(badKey.json.message)).toMatch(/not an entity key/);
    const badBody = await post({ view: 'stats' });
    expect(badBody.status).toBe(400);
    // The wire is snake_case: a camelCase field is unknown, refused and named, never ignored.
    const camel = await post({ view: 'stats', entities: [{ customer_id: 1 }], eventTime: '2024-01-01T00:00:00Z' });
    expect(camel).toMatchObject({
      status: 400,
      json: { error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('eventTime') },
    });
  });
});

describe('FeatureClient', () => {
  it('looks up the same answers remote and embedded', async () => {
    const remote = FeatureClient.connect({ trackingUri: server.url });
    const embedded = FeatureClient.connect({
      config: { ...server.context.config, onlineStore: `sqlite:${onlineFile}` },
    });
    try {
      const request = { view: 'stats', entities: [{ customer_id: 1 }, { customer_id: 5 }] };
      const [a, b] = [await remote.getOnline(request), await embedded.getOnline(request)];
      expect(a).toEqual(b);
      expect(a.results.map((r) => r.status)).toEqual(['found', 'missing']);
      await expect(remote.getOnline({ view: 'nope', entities: [] })).rejects.toThrow(NotFoundError);
      await expect(embedded.getOnline({ view: 'stats', entities: [{ x: 1 }] })).rejects.toThrow(InvalidInputError);
    } finally {
      await remote.close();
      await embedded.close();
    }
  });
});

describe('a server on the Redis online store', () => {
  it('serves lookups from Redis', async () => {
    const prefix = `ciclo-test:${randomBytes(6).toString('hex')}`;
    const url = `redis://127.0.0.1:6379?prefix=${prefix}`;
    const store = openOnlineStore({ home: temp.dir, onlineStore: url });
    const redisServer = await startTestServer('sqlite', { onlineStore: url });
    const admin = new Redis('redis://127.0.0.1:6379');
    try {
      await store.putView({ name: 'r', entities: ['a', 'b'], features: ['f'] });
      await store.write('r', [
        { key: encodeEntityKey([1, 'x']), values: { f: [1, 2] }, eventTime: Date.parse(iso(4)) },
      ]);
      const response = await fetch(`${redisServer.url}/api/v1/features/online`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          view: 'r',
          entities: [
            { b: 'x', a: 1 },
            { a: 1, b: 'y' },
          ],
        }),
      });
      expect(await response.json()).toMatchObject({
        results: [
          { status: 'found', event_time: iso(4), values: { f: [1, 2] } },
          { status: 'missing', values: { f: null } },
        ],
      });
    } finally {
      await redisServer.stop();
      await store.close();
      const keys = await admin.keys(`${prefix}:*`);
      if (keys.length > 0) await admin.del(...keys);
      admin.disconnect();
    }
  });
});
