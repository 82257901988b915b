import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/artifacts/index.js';
import { failingSource, readAll } from './streams.js';

export interface BlobStoreFixture {
  store: BlobStore;
  cleanup(): Promise<void> | void;
}

const ABSENT = `sha256:${'0'.repeat(64)}`;

/** What every BlobStore backend must do; each backend's test file runs this once. */
export function describeBlobStoreContract(name: string, create: () => Promise<BlobStoreFixture>): void {
  describe(`${name} (BlobStore contract)`, () => {
    let fixture: BlobStoreFixture;
    beforeEach(async () => {
      fixture = await create();
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('names a blob by the sha256 of its content', async () => {
      const content = Buffer.from('weights: [0.1, 0.2, 0.3]\n');
      const blob = await fixture.store.put(Readable.from([content]));
      expect(blob).toEqual({
        digest: `sha256:${createHash('sha256').update(content).digest('hex')}`,
        sizeBytes: content.length,
      });
    });

    it('gives back exactly the content it stored, including empty content', async () => {
      for (const content of [Buffer.from('a,b\n1,2\n'), Buffer.alloc(0), Buffer.alloc(300_000, 7)]) {
        const { digest } = await fixture.store.put(Readable.from([content]));
        const read = await readAll(await fixture.store.open(digest));
        expect(read.equals(content)).toBe(true);
      }
    });

    it('stores identical content under one digest', async () => {
      const first = await fixture.store.put(Readable.from(['same ', 'bytes']));
      const second = await fixture.store.put(Readable.from([Buffer.from('same bytes')]));
      expect(second).toEqual(first);
      expect(await fixture.store.has(first.digest)).toBe(true);
      expect(await fixture.store.size(first.digest)).toBe(10);
    });

    it('answers RESOURCE_DOES_NOT_EXIST for a digest it does not hold', async () => {
      expect(await fixture.store.has(ABSENT)).toBe(false);
      await expect(fixture.store.open(ABSENT)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      await expect(fixture.store.size(ABSENT)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    });

    it('gives a local file holding the content, and RESOURCE_DOES_NOT_EXIST for an absent blob', async () => {
      const content = Buffer.from('id,value\n1,2\n');
      const { digest } = await fixture.store.put(Readable.from([content]));
      const file = await fixture.store.localFile(digest);
      expect(readFileSync(file).equals(content)).toBe(true);
      await expect(fixture.store.localFile(ABSENT)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      await expect(fixture.store.localFile('sha256:abc')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    });

    it.each(['', 'sha256:abc', `md5:${'0'.repeat(64)}`, `sha256:${'A'.repeat(64)}`, `sha256:../${'0'.repeat(61)}`])(
      'refuses the malformed digest %j',
      async (digest) => {
        await expect(fixture.store.open(digest)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
        await expect(fixture.store.has(digest)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      },
    );

    it('checks, lists and deletes blobs for fsck and gc', async () => {
      const content = Buffer.from('checked bytes');
      const { digest } = await fixture.store.put(Readable.from([content]));
      expect(await fixture.store.check(digest)).toEqual({ state: 'ok', sizeBytes: content.length });
      expect(await fixture.store.check(ABSENT)).toEqual({ state: 'missing' });
      const listed = [];
      for await (const blob of fixture.store.list()) listed.push(blob);
      expect(listed).toEqual([{ digest, sizeBytes: content.length, modifiedTime: expect.any(Number) }]);
      // Written before the cutoff: kept when the cutoff is in the past, deleted when it is later.
      expect(await fixture.store.deleteIfUntouchedSince(digest, Date.now() - 3_600_000)).toBe(false);
      expect(await fixture.store.deleteIfUntouchedSince(digest, Date.now() + 3_600_000)).toBe(true);
      expect(await fixture.store.has(digest)).toBe(false);
      expect(await fixture.store.deleteIfUntouchedSince(digest, Date.now() + 3_600_000)).toBe(false);
    });

    it('fails the put with the source error when the source fails mid-way', async () => {
      const put = fixture.store.put(failingSource(Buffer.alloc(1024, 1), new Error('connection reset')));
      await expect(put).rejects.toThrow('connection reset');
    });
  });
}
