import { open, rm, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { PRIVATE_FILE_MODE } from '../common/private-files.js';
import { corruptBlob } from './blob-errors.js';
import { createSha256, formatDigest } from './digest.js';

/**
 * Writes `content` to the new file `file` (fsynced, owner-only) and returns its length, or removes the file and
 * rejects: with CORRUPT_ARTIFACT when the content does not hash to `digest`, with the stream's error when it
 * fails. For bytes fetched from a remote store, checked before anything reads them.
 */
export async function writeVerifiedFile(content: Readable, digest: string, file: string): Promise<number> {
  const handle = await open(file, 'wx', PRIVATE_FILE_MODE);
  let written = false;
  try {
    const hash = createSha256();
    let sizeBytes = 0;
    for await (const chunk of content) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      sizeBytes += bytes.length;
      await writeFully(handle, bytes);
    }
    await handle.sync();
    const actual = formatDigest(hash);
    if (actual !== digest) {
      throw corruptBlob(digest, actual);
    }
    written = true;
    return sizeBytes;
  } finally {
    await handle.close();
    if (!written) await rm(file, { force: true });
  }
}

async function writeFully(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}
