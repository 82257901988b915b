import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { NotFoundError } from '../common/errors.js';
import { createSha256, createVerifyingStream, digestHex, formatDigest } from './digest.js';
import type { BlobRef, BlobStore } from './types.js';

/**
 * Blobs in a local folder: `<root>/sha256/<2 hex>/<62 hex>`. Writes go to `<root>/tmp/` (same
 * filesystem, so the final rename is atomic) and are fsynced first: a blob is visible under its
 * digest only once its full content is durable.
 */
export class LocalBlobStore implements BlobStore {
  private readonly tmpDir: string;

  constructor(readonly root: string) {
    this.tmpDir = join(root, 'tmp');
  }

  async put(source: Readable): Promise<BlobRef> {
    await mkdir(this.tmpDir, { recursive: true });
    const tmpFile = join(this.tmpDir, randomUUID());
    let handle: FileHandle | undefined;
    try {
      handle = await open(tmpFile, 'wx');
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
      await this.moveIntoPlace(tmpFile, digest);
      return { digest, sizeBytes };
    } catch (error) {
      await handle?.close().catch(() => undefined);
      throw error;
    } finally {
      await rm(tmpFile, { force: true });
    }
  }

  async open(digest: string): Promise<Readable> {
    const file = this.blobPath(digest);
    const handle = await open(file, 'r').catch((error: unknown) => {
      throw isMissing(error) ? missingBlob(digest) : error;
    });
    const verifier = createVerifyingStream(digest);
    // pipeline, unlike pipe, forwards read errors to the verifier and closes the file if the reader stops early.
    return pipeline(handle.createReadStream(), verifier, () => undefined);
  }

  async has(digest: string): Promise<boolean> {
    return (await this.statBlob(digest)) !== undefined;
  }

  async size(digest: string): Promise<number> {
    const stats = await this.statBlob(digest);
    if (stats === undefined) throw missingBlob(digest);
    return stats.size;
  }

  /** The blob's own file: content-addressed blobs never change in place, so readers can use it directly. */
  async localFile(digest: string): Promise<string> {
    if ((await this.statBlob(digest)) === undefined) throw missingBlob(digest);
    return this.blobPath(digest);
  }

  private async moveIntoPlace(tmpFile: string, digest: string): Promise<void> {
    const file = this.blobPath(digest);
    // Same digest means same bytes, so an existing blob is kept and the temp copy is dropped.
    if ((await this.statBlob(digest)) !== undefined) return;
    await mkdir(dirname(file), { recursive: true });
    await rename(tmpFile, file);
    await syncDirectory(dirname(file));
  }

  private async statBlob(digest: string) {
    return stat(this.blobPath(digest)).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
  }

  private blobPath(digest: string): string {
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

function missingBlob(digest: string): NotFoundError {
  return new NotFoundError(`No blob with digest ${digest}`, { where: digest });
}
