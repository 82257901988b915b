import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileStoreErrorOf } from '../store/index.js';
import { Readable } from 'node:stream';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../common/private-files.js';
import { NotFoundError } from '../common/errors.js';
import { corruptBlob, missingBlob } from './blob-errors.js';
import { createSha256, digestHex, formatDigest, sha256DigestOfHandle } from './digest.js';
import type { BlobCheck, BlobRef, BlobStore, StoredBlob, StoredTemp } from './types.js';

// With the 64 KiB default an HTTP download ran at half the rate (bench/artifacts); 1 MiB gained little more.
const STREAM_CHUNK_BYTES = 256 * 1024;
const HEX_DIR = /^[0-9a-f]{2}$/;
const HEX_REST = /^[0-9a-f]{62}$/;

/**
 * Blobs in a local folder: `<root>/sha256/<2 hex>/<62 hex>`. Writes go to `<root>/tmp/` (same
 * filesystem, so the final rename is atomic) and are fsynced first: a blob is visible under its
 * digest only once its full content is durable.
 */
export class LocalBlobStore implements BlobStore {
  readonly #tmpDir: string;

  constructor(readonly root: string) {
    this.#tmpDir = join(root, 'tmp');
  }

  async put(source: Readable): Promise<BlobRef> {
    await mkdir(this.#tmpDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const tmpFile = join(this.#tmpDir, randomUUID());
    let handle: FileHandle | undefined;
    try {
      handle = await open(tmpFile, 'wx', PRIVATE_FILE_MODE);
      const hash = createSha256();
      let sizeBytes = 0;
      for await (const chunk of source) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        hash.update(bytes);
        sizeBytes += bytes.length;
        await writeFully(handle, bytes);
      }
      await handle.sync();
      await handle.close();
      handle = undefined;
      const digest = formatDigest(hash);
      await this.#moveIntoPlace(tmpFile, digest);
      return { digest, sizeBytes };
    } catch (error) {
      await handle?.close().catch(() => undefined);
      throw fileStoreErrorOf(error, 'artifacts') ?? error;
    } finally {
      await rm(tmpFile, { force: true });
    }
  }

  /**
   * Hashes the whole blob first, then streams it from the same open file: a corrupt blob fails here,
   * before a reader (or an HTTP answer) has any of its bytes. The second read comes from the page
   * cache; bench/artifacts measures the cost. The stream stops at the verified length, so bytes
   * appended after the check are never served.
   */
  async open(digest: string): Promise<Readable> {
    const handle = await this.#openBlob(digest);
    try {
      const { digest: actual, sizeBytes } = await sha256DigestOfHandle(handle);
      if (actual !== digest) throw corruptBlob(digest, actual);
      if (sizeBytes === 0) {
        await handle.close();
        return Readable.from([]);
      }
      return handle.createReadStream({ start: 0, end: sizeBytes - 1, highWaterMark: STREAM_CHUNK_BYTES });
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async check(digest: string): Promise<BlobCheck> {
    const handle = await this.#openBlob(digest).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (handle === undefined) return { state: 'missing' };
    try {
      const { digest: actual, sizeBytes } = await sha256DigestOfHandle(handle);
      return actual === digest ? { state: 'ok', sizeBytes } : { state: 'corrupt', actual, sizeBytes };
    } finally {
      await handle.close();
    }
  }

  async *list(): AsyncIterable<StoredBlob> {
    const shards = await readdir(join(this.root, 'sha256')).catch((error: unknown) => {
      if (isMissing(error)) return [];
      throw error;
    });
    for (const shard of shards.filter((name) => HEX_DIR.test(name)).sort()) {
      const names = await readdir(join(this.root, 'sha256', shard)).catch((error: unknown) => {
        if (isMissing(error)) return [];
        throw error;
      });
      for (const name of names.filter((entry) => HEX_REST.test(entry)).sort()) {
        const digest = `sha256:${shard}${name}`;
        const stats = await this.#statBlob(digest);
        if (stats !== undefined) yield { digest, sizeBytes: stats.size, modifiedTime: stats.mtimeMs };
      }
    }
  }

  /**
   * A put writes the blob afresh (new mtime) before the row naming it commits, so a deleter must not
   * remove a blob written since `cutoff`. The blob is first renamed aside (atomic): a put after that
   * simply places its own copy; one just before it shows in the renamed file's mtime, and the blob
   * is put back (the same content, so replacing a newer copy changes nothing).
   */
  async deleteIfUntouchedSince(digest: string, cutoff: number): Promise<boolean> {
    const file = this.#blobPath(digest);
    await mkdir(this.#tmpDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const aside = join(this.#tmpDir, `gc-${digestHex(digest)}-${randomUUID()}`);
    try {
      await rename(file, aside);
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
    if ((await stat(aside)).mtimeMs >= cutoff) {
      await rename(aside, file);
      return false;
    }
    await rm(aside, { force: true });
    return true;
  }

  /** Removes temp files of writes that stopped before `cutoff` (a crashed process's half uploads). */
  async sweepTemp(cutoff: number, options: { dryRun?: boolean } = {}): Promise<StoredTemp[]> {
    const names = await readdir(this.#tmpDir).catch((error: unknown) => {
      if (isMissing(error)) return [];
      throw error;
    });
    const removed: StoredTemp[] = [];
    for (const name of names) {
      const file = join(this.#tmpDir, name);
      const stats = await stat(file).catch(() => undefined);
      if (stats === undefined || !stats.isFile() || stats.mtimeMs >= cutoff) continue;
      if (options.dryRun !== true) await rm(file, { force: true });
      removed.push({ name, sizeBytes: stats.size, modifiedTime: stats.mtimeMs });
    }
    return removed;
  }

  async has(digest: string): Promise<boolean> {
    return (await this.#statBlob(digest)) !== undefined;
  }

  async size(digest: string): Promise<number> {
    const stats = await this.#statBlob(digest);
    if (stats === undefined) throw missingBlob(digest);
    return stats.size;
  }

  /** The blob's own file: content-addressed blobs never change in place, so readers can use it directly. */
  async localFile(digest: string): Promise<string> {
    if ((await this.#statBlob(digest)) === undefined) throw missingBlob(digest);
    return this.#blobPath(digest);
  }

  async #moveIntoPlace(tmpFile: string, digest: string): Promise<void> {
    const file = this.#blobPath(digest);
    // The new copy replaces a blob already stored under the digest, though the same digest should
    // mean the same bytes: it was just hashed while written, while the stored one may have rotted
    // since (so logging the content again repairs it), and a fresh mtime tells gc that a row is
    // about to name the blob.
    await mkdir(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
    await rename(tmpFile, file);
    await syncDirectory(dirname(file));
  }

  async #openBlob(digest: string): Promise<FileHandle> {
    return open(this.#blobPath(digest), 'r').catch((error: unknown) => {
      throw isMissing(error) ? missingBlob(digest) : error;
    });
  }

  async #statBlob(digest: string) {
    return stat(this.#blobPath(digest)).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
  }

  #blobPath(digest: string): string {
    const hex = digestHex(digest);
    return join(this.root, 'sha256', hex.slice(0, 2), hex.slice(2));
  }
}

async function writeFully(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

/** Makes the rename itself survive a power loss; Windows cannot open directories and does not need it. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
