import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { openContext } from '../../src/app/context.js';
import { S3BlobStore } from '../../src/artifacts/index.js';
import { configEnvironment, loadConfig } from '../../src/common/config.js';
import type { S3Location } from '../../src/common/s3-location.js';
import { openTestContext, testConfig } from '../support/context.js';
import { startCuttingProxy } from '../support/cutting-proxy.js';
import { createTestDatabase } from '../support/databases.js';
import { S3RVER_CREDENTIALS, startS3Server, type S3TestServer } from '../support/s3-server.js';
import { makeTempDir } from '../support/temp.js';
import { describeBlobStoreContract } from './blob-store-contract.js';
import { readAll } from './streams.js';

const MiB = 1024 * 1024;
const HOUR = 3_600_000;

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server.close();
});

/** A store over a bucket and local cache folder of the test's own; `cleanup` removes both. */
async function openStore(overrides: Partial<S3Location> = {}) {
  const location = { ...(await server.newLocation()), ...overrides };
  const temp = makeTempDir('ciclo-s3-cache-');
  const store = await S3BlobStore.connect(location, { cacheDir: temp.dir, credentials: S3RVER_CREDENTIALS });
  return {
    store,
    location,
    cacheDir: temp.dir,
    cleanup: () => {
      store.close();
      temp.remove();
      server.removeBucket(location.bucket);
    },
  };
}

async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
  const page = await server.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((object) => object.Key!).sort();
}

function sha256(content: Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/** `total` bytes in 1 MiB chunks that differ from each other, made as they are read. */
function largeSource(total: number): { source: Readable; content: () => Buffer } {
  const chunks: Buffer[] = [];
  let produced = 0;
  const source = new Readable({
    read() {
      if (produced >= total) return void this.push(null);
      const chunk = Buffer.alloc(Math.min(MiB, total - produced), produced / MiB);
      chunks.push(chunk);
      produced += chunk.length;
      this.push(chunk);
    },
  });
  return { source, content: () => Buffer.concat(chunks) };
}

describeBlobStoreContract('S3BlobStore', openStore);

describe('S3BlobStore on s3rver', () => {
  let opened: Awaited<ReturnType<typeof openStore>>;
  beforeEach(async () => {
    opened = await openStore();
  });
  afterEach(() => opened.cleanup());

  const blobKey = (digest: string) => `team/artifacts/blobs/sha256/${digest.slice(7, 9)}/${digest.slice(9)}`;

  it('keeps one object for identical content, at <prefix>/blobs/sha256/<2 hex>/<62 hex>, and no temp key', async () => {
    const { digest } = await opened.store.put(Readable.from([Buffer.from('model bytes')]));
    await opened.store.put(Readable.from([Buffer.from('model '), Buffer.from('bytes')]));
    expect(await keysUnder(opened.location.bucket, '')).toEqual([blobKey(digest)]);
  });

  it('round-trips a 12 MB stream through a multipart upload', async () => {
    const proxy = await startCuttingProxy(server.port);
    const { store, cleanup } = await openStore({ endpoint: `http://127.0.0.1:${proxy.port}` });
    try {
      const { source, content } = largeSource(12 * 1000 * 1000);
      const blob = await store.put(source);
      expect(blob).toEqual({ digest: sha256(content()), sizeBytes: 12_000_000 });
      expect(proxy.requests.filter((line) => line.includes('partNumber='))).toHaveLength(2);
      expect((await readAll(await store.open(blob.digest))).equals(content())).toBe(true);
      expect(readFileSync(await store.localFile(blob.digest)).equals(content())).toBe(true);
    } finally {
      cleanup();
      await proxy.close();
    }
  });

  it.each([
    ['a single-request upload', 1 * MiB, 200_000],
    ['a multipart upload', 12 * MiB, 3 * MiB],
  ])(
    'rejects a put whose connection drops mid-way through %s, leaving nothing under a content key',
    async (_, total, cut) => {
      const proxy = await startCuttingProxy(server.port, cut);
      const { store, location, cleanup } = await openStore({ endpoint: `http://127.0.0.1:${proxy.port}` });
      try {
        await expect(store.put(largeSource(total).source)).rejects.toMatchObject({
          code: 'ARTIFACT_STORE_UNAVAILABLE',
          message: expect.stringContaining(`http://127.0.0.1:${proxy.port}`),
        });
        expect(await keysUnder(location.bucket, 'team/artifacts/blobs/')).toEqual([]);
      } finally {
        cleanup();
        await proxy.close();
      }
    },
  );

  it('refuses a damaged object (CORRUPT_ARTIFACT) before its first byte; a put of the content repairs it', async () => {
    const content = Buffer.from('model bytes');
    const { digest } = await opened.store.put(Readable.from([content]));
    await server.client.send(
      new PutObjectCommand({ Bucket: opened.location.bucket, Key: blobKey(digest), Body: 'mudel bytes' }),
    );
    await expect(opened.store.open(digest)).rejects.toMatchObject({
      code: 'CORRUPT_ARTIFACT',
      details: { where: digest },
    });
    await expect(opened.store.localFile(digest)).rejects.toMatchObject({ code: 'CORRUPT_ARTIFACT' });
    expect(await opened.store.check(digest)).toMatchObject({ state: 'corrupt', sizeBytes: 11 });
    await opened.store.put(Readable.from([content]));
    expect(await opened.store.check(digest)).toEqual({ state: 'ok', sizeBytes: 11 });
    expect((await readAll(await opened.store.open(digest))).equals(content)).toBe(true);
  });

  it('keeps a verified local copy for localFile, removed when gc deletes the blob', async () => {
    const { digest } = await opened.store.put(Readable.from([Buffer.from('id,value\n1,2\n')]));
    const file = await opened.store.localFile(digest);
    expect(file.startsWith(opened.cacheDir)).toBe(true);
    expect(await opened.store.localFile(digest)).toBe(file);
    expect(await opened.store.deleteIfUntouchedSince(digest, Date.now() + HOUR)).toBe(true);
    expect(existsSync(file)).toBe(false);
  });

  it('sweeps temp keys older than the cutoff, keeps younger ones, and only lists them on a dry run', async () => {
    const { bucket } = opened.location;
    const [stale, live] = ['team/artifacts/tmp/crashed-upload', 'team/artifacts/tmp/live-upload'];
    for (const key of [stale, live])
      await server.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'half' }));
    server.age(bucket, stale, 48 * HOUR);
    const { digest } = await opened.store.put(Readable.from([Buffer.from('kept')]));
    server.age(bucket, blobKey(digest), 48 * HOUR);
    const dryRun = await opened.store.sweepTemp(Date.now() - 24 * HOUR, { dryRun: true });
    expect(dryRun).toEqual([{ name: 'crashed-upload', sizeBytes: 4, modifiedTime: expect.any(Number) }]);
    expect(await keysUnder(bucket, 'team/artifacts/tmp/')).toEqual([stale, live]);
    expect((await opened.store.sweepTemp(Date.now() - 24 * HOUR)).map((entry) => entry.name)).toEqual([
      'crashed-upload',
    ]);
    expect(await keysUnder(bucket, '')).toEqual([blobKey(digest), live]);
  });

  it('refreshes LastModified when a put finds the blob stored, so gc keeps it; deletes it once untouched', async () => {
    const { bucket } = opened.location;
    const content = Buffer.from('shared bytes');
    const { digest } = await opened.store.put(Readable.from([content]));
    server.age(bucket, blobKey(digest), 48 * HOUR);
    const listed = [];
    for await (const blob of opened.store.list()) listed.push(blob);
    expect(listed).toEqual([{ digest, sizeBytes: 12, modifiedTime: expect.any(Number) }]);
    expect(listed[0]!.modifiedTime).toBeLessThan(Date.now() - 47 * HOUR);
    await opened.store.put(Readable.from([content]));
    expect(await opened.store.deleteIfUntouchedSince(digest, Date.now() - 24 * HOUR)).toBe(false);
    server.age(bucket, blobKey(digest), 48 * HOUR);
    expect(await opened.store.deleteIfUntouchedSince(digest, Date.now() - 24 * HOUR)).toBe(true);
    expect(await keysUnder(bucket, '')).toEqual([]);
  });

  it('lists only blob keys, not strays under the prefix', async () => {
    const { digest } = await opened.store.put(Readable.from([Buffer.from('listed')]));
    await server.client.send(
      new PutObjectCommand({ Bucket: opened.location.bucket, Key: 'team/artifacts/blobs/sha256/zz/stray', Body: 'x' }),
    );
    const listed = [];
    for await (const blob of opened.store.list()) listed.push(blob.digest);
    expect(listed).toEqual([digest]);
    const stored = await server.client.send(
      new GetObjectCommand({ Bucket: opened.location.bucket, Key: blobKey(digest) }),
    );
    expect(await stored.Body!.transformToString()).toBe('listed');
  });
});

describe('S3BlobStore start-up check', () => {
  const connect = (location: S3Location, credentials = S3RVER_CREDENTIALS) =>
    S3BlobStore.connect(location, { cacheDir: '/nonexistent-never-written', credentials });

  it('names the endpoint of a port nothing listens on', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const location = { ...(await server.newLocation()), endpoint };
    await expect(connect(location)).rejects.toMatchObject({
      code: 'ARTIFACT_STORE_UNAVAILABLE',
      message: expect.stringMatching(
        new RegExp(`at ${endpoint} failed to open its bucket: cannot connect \\(ECONNREFUSED`),
      ),
      details: { where: endpoint },
    });
    server.removeBucket(location.bucket);
  });

  it('names the endpoint and the bucket when the bucket does not exist', async () => {
    const location: S3Location = {
      bucket: 'no-such-bucket',
      prefix: '',
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
    };
    await expect(connect(location)).rejects.toMatchObject({
      code: 'ARTIFACT_STORE_UNAVAILABLE',
      message: `artifact store s3://no-such-bucket at ${server.endpoint} failed to open its bucket: bucket "no-such-bucket" does not exist`,
    });
  });

  it('says the credentials were refused', async () => {
    const location = await server.newLocation();
    await expect(connect(location, { accessKeyId: 'WRONG', secretAccessKey: 'WRONG' })).rejects.toMatchObject({
      code: 'ARTIFACT_STORE_UNAVAILABLE',
      message: expect.stringContaining(`at ${server.endpoint} failed to open its bucket: access denied (HTTP 403`),
    });
    server.removeBucket(location.bucket);
  });
});

describe('S3 store configuration', () => {
  const load = (env: Record<string, string>) => loadConfig({ CICLO_HOME: '/tmp/ciclo-config-test', ...env }, '/');

  it('reads bucket, prefix and the CICLO_S3_* settings, and hands them on to child processes', () => {
    const config = load({
      CICLO_ARTIFACT_STORE: 's3://ml-artifacts/team/a/',
      CICLO_S3_ENDPOINT: 'http://127.0.0.1:9000/',
      CICLO_S3_REGION: 'eu-west-1',
    });
    expect(config.s3).toEqual({
      bucket: 'ml-artifacts',
      prefix: 'team/a',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    expect(load(configEnvironment(config)).s3).toEqual(config.s3);
    expect(load({ CICLO_ARTIFACT_STORE: 's3://ml-artifacts', CICLO_S3_FORCE_PATH_STYLE: 'off' }).s3).toEqual({
      bucket: 'ml-artifacts',
      prefix: '',
      region: 'us-east-1',
      forcePathStyle: false,
    });
    expect(load({}).s3).toBeUndefined();
  });

  it.each([
    ['CICLO_ARTIFACT_STORE', 'http://bucket/prefix', 'must be s3://BUCKET or s3://BUCKET/PREFIX'],
    ['CICLO_ARTIFACT_STORE', 's3://', 'is not a valid S3 bucket name'],
    ['CICLO_ARTIFACT_STORE', 's3://Bad_Bucket/x', 'is not a valid S3 bucket name'],
    ['CICLO_ARTIFACT_STORE', 's3://bucket/a/../b', 'has an empty, "." or ".." segment'],
    ['CICLO_S3_ENDPOINT', 'localhost:9000', 'must be an http:// or https:// URL'],
    ['CICLO_S3_FORCE_PATH_STYLE', 'maybe', 'CICLO_S3_FORCE_PATH_STYLE is invalid'],
  ])('refuses %s=%j with an error naming the variable', (name, value, says) => {
    const env = { CICLO_ARTIFACT_STORE: 's3://bucket', [name]: value };
    expect(() => load(env)).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE', details: expect.objectContaining({ where: name }) }),
    );
    expect(() => load(env)).toThrow(says);
  });

  it('refuses CICLO_S3_ENDPOINT without CICLO_ARTIFACT_STORE rather than storing blobs locally', () => {
    expect(() => load({ CICLO_S3_ENDPOINT: 'http://127.0.0.1:9000' })).toThrow(
      'environment variable CICLO_S3_ENDPOINT is set but CICLO_ARTIFACT_STORE is not',
    );
  });
});

describe('openContext with an S3 artifact store', () => {
  // The AWS SDK's own credential variables, as a deployment sets them; without them the SDK would go on to
  // ask the cloud's instance metadata address, which a test must not.
  beforeEach(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('stores logged artifacts in the bucket, not under the artifact root', async () => {
    const location = await server.newLocation('ciclo');
    const test = await openTestContext('sqlite', { s3: location });
    try {
      const { runId } = (await test.context.tracking.createRun({ experimentId: '0' })).info;
      const logged = await test.context.tracking.logArtifact(runId, 'model/w.txt', Readable.from([Buffer.from('w1')]));
      expect(await keysUnder(location.bucket, '')).toEqual([
        `ciclo/blobs/sha256/${logged.digest.slice(7, 9)}/${logged.digest.slice(9)}`,
      ]);
      expect((await readAll(await test.context.tracking.openArtifact(runId, 'model/w.txt'))).toString()).toBe('w1');
      expect(existsSync(test.config.artifactRoot)).toBe(false);
      expect(await test.context.integrity.fsck()).toMatchObject({ corrupt: [], missing: [] });
    } finally {
      await test.drop();
      server.removeBucket(location.bucket);
    }
  });

  it('fails to open, naming the endpoint, before the database is opened', async () => {
    const database = await createTestDatabase('sqlite');
    const temp = makeTempDir();
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    try {
      const s3 = { ...(await server.newLocation()), endpoint };
      await expect(openContext(testConfig(database, temp.dir, { s3 }))).rejects.toMatchObject({
        code: 'ARTIFACT_STORE_UNAVAILABLE',
        message: expect.stringContaining(endpoint),
      });
    } finally {
      await database.drop();
      temp.remove();
    }
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
