import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalBlobStore } from '../../src/artifacts/index.js';
import { makeTempDir } from '../support/temp.js';
import { describeBlobStoreContract } from './blob-store-contract.js';
import { failingSource, readAll } from './streams.js';

const MiB = 1024 * 1024;

describeBlobStoreContract('LocalBlobStore', async () => {
  const temp = makeTempDir('ciclo-blobs-');
  return { store: new LocalBlobStore(temp.dir), cleanup: temp.remove };
});

describe('LocalBlobStore on disk', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: LocalBlobStore;
  beforeEach(() => {
    temp = makeTempDir('ciclo-blobs-');
    store = new LocalBlobStore(temp.dir);
  });
  afterEach(() => temp.remove());

  const blobFiles = () => filesUnder(join(temp.dir, 'sha256'));
  const tempFiles = () => filesUnder(join(temp.dir, 'tmp'));
  const blobFile = (digest: string) => {
    const hex = digest.slice('sha256:'.length);
    return join(temp.dir, 'sha256', hex.slice(0, 2), hex.slice(2));
  };

  it('keeps one file for identical content, at sha256/<2 hex>/<62 hex>', async () => {
    const { digest } = await store.put(Readable.from([Buffer.from('model bytes')]));
    await store.put(Readable.from([Buffer.from('model bytes')]));
    expect(blobFiles()).toEqual([blobFile(digest)]);
    expect(readFileSync(blobFile(digest), 'utf8')).toBe('model bytes');
  });

  it('leaves no temp file after a successful put', async () => {
    await store.put(Readable.from([Buffer.from('a'), Buffer.from('b')]));
    await store.put(Readable.from([Buffer.from('ab')]));
    expect(tempFiles()).toEqual([]);
  });

  it('leaves neither a blob nor a temp file when the source fails mid-way', async () => {
    await expect(store.put(failingSource(Buffer.alloc(MiB, 3), new Error('disk gone')))).rejects.toThrow('disk gone');
    expect(blobFiles()).toEqual([]);
    expect(tempFiles()).toEqual([]);
  });

  it('keeps a blob invisible until its whole content is written', async () => {
    const source = new PassThrough();
    const put = store.put(source);
    source.write(Buffer.alloc(1000, 1));
    await waitFor(() => tempFiles().some((file) => statSync(file).size === 1000));
    expect(blobFiles()).toEqual([]);
    source.end(Buffer.alloc(1000, 2));
    const { digest } = await put;
    expect(blobFiles()).toEqual([blobFile(digest)]);
  });

  it('streams a 64 MiB source to disk without reading ahead of what it has written', async () => {
    const hash = createHash('sha256');
    let produced = 0;
    let maxLead = 0;
    const chunkSize = 256 * 1024;
    const source = new Readable({
      highWaterMark: MiB,
      read() {
        const written = tempFiles().reduce((sum, file) => sum + statSync(file).size, 0);
        maxLead = Math.max(maxLead, produced - written);
        if (produced === 64 * MiB) return this.push(null);
        const chunk = Buffer.alloc(chunkSize, produced / chunkSize);
        hash.update(chunk);
        produced += chunkSize;
        this.push(chunk);
      },
    });
    const blob = await store.put(source);
    expect(blob).toEqual({ digest: `sha256:${hash.digest('hex')}`, sizeBytes: 64 * MiB });
    // A store that buffered the content before writing would lead by the full 64 MiB.
    expect(maxLead).toBeLessThan(8 * MiB);
  });

  it.each([
    ['a flipped byte', (file: string) => writeFileSync(file, Buffer.from('mudel bytes'))],
    ['a truncated file', (file: string) => truncateSync(file, 4)],
  ])('refuses to open a blob with %s on disk (CORRUPT_ARTIFACT), before giving out any byte', async (_, damage) => {
    const { digest } = await store.put(Readable.from([Buffer.from('model bytes')]));
    damage(blobFile(digest));
    await expect(store.open(digest)).rejects.toMatchObject({ code: 'CORRUPT_ARTIFACT', details: { where: digest } });
    expect(await store.check(digest)).toMatchObject({ state: 'corrupt' });
  });

  it('refuses a large blob with one flipped byte in its first chunk before giving out any byte', async () => {
    const content = Buffer.alloc(5 * MiB, 7);
    const { digest } = await store.put(Readable.from([content]));
    const file = blobFile(digest);
    const altered = Buffer.from(content);
    altered[10] = 8;
    writeFileSync(file, altered);
    await expect(store.open(digest)).rejects.toMatchObject({ code: 'CORRUPT_ARTIFACT' });
  });

  it('streams exactly the verified length, even if bytes are appended to the blob after it was opened', async () => {
    const { digest } = await store.put(Readable.from([Buffer.from('model bytes')]));
    const stream = await store.open(digest);
    appendFileSync(blobFile(digest), 'appended later');
    expect((await readAll(stream)).toString()).toBe('model bytes');
  });

  it('repairs a corrupt blob when the same content is put again', async () => {
    const { digest } = await store.put(Readable.from([Buffer.from('model bytes')]));
    writeFileSync(blobFile(digest), 'mudel bytes');
    await store.put(Readable.from([Buffer.from('model bytes')]));
    expect(await store.check(digest)).toEqual({ state: 'ok', sizeBytes: 11 });
  });

  it('refreshes the mtime of a blob that a put finds already stored', async () => {
    const { digest } = await store.put(Readable.from([Buffer.from('shared bytes')]));
    const old = new Date(Date.now() - 48 * 3600_000);
    utimesSync(blobFile(digest), old, old);
    await store.put(Readable.from([Buffer.from('shared bytes')]));
    expect(statSync(blobFile(digest)).mtimeMs).toBeGreaterThan(old.getTime() + 3600_000);
  });

  it('lists every blob with its size and mtime, and deletes only blobs untouched since the cutoff', async () => {
    const oldBlob = await store.put(Readable.from([Buffer.from('old')]));
    const youngBlob = await store.put(Readable.from([Buffer.from('young')]));
    const old = new Date(Date.now() - 48 * 3600_000);
    utimesSync(blobFile(oldBlob.digest), old, old);
    const listed = [];
    for await (const blob of store.list()) listed.push(blob);
    expect(
      listed.map(({ digest, sizeBytes }) => ({ digest, sizeBytes })).sort((a, b) => a.digest.localeCompare(b.digest)),
    ).toEqual([oldBlob, youngBlob].sort((a, b) => a.digest.localeCompare(b.digest)));
    const cutoff = Date.now() - 24 * 3600_000;
    expect(await store.deleteIfUntouchedSince(youngBlob.digest, cutoff)).toBe(false);
    expect(await store.deleteIfUntouchedSince(oldBlob.digest, cutoff)).toBe(true);
    expect(await store.deleteIfUntouchedSince(oldBlob.digest, cutoff)).toBe(false);
    expect(blobFiles()).toEqual([blobFile(youngBlob.digest)]);
    expect(tempFiles()).toEqual([]);
  });

  it('sweeps temp files older than the cutoff and keeps younger ones (a write in progress)', async () => {
    mkdirSync(join(temp.dir, 'tmp'), { recursive: true });
    const stale = join(temp.dir, 'tmp', 'crashed-upload');
    const live = join(temp.dir, 'tmp', 'live-upload');
    writeFileSync(stale, 'half');
    writeFileSync(live, 'half');
    const old = new Date(Date.now() - 48 * 3600_000);
    utimesSync(stale, old, old);
    expect((await store.sweepTemp(Date.now() - 24 * 3600_000)).map((entry) => entry.name)).toEqual(['crashed-upload']);
    expect(tempFiles()).toEqual([live]);
  });
});

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((file) => statSync(file).isFile())
    .sort();
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 500 && !condition(); attempt++) await sleep(10);
  expect(condition()).toBe(true);
}
