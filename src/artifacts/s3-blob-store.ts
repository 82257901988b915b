import type { S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CorruptArtifactError } from '../common/errors.js';
import { missingBlob } from './blob-errors.js';
import { PRIVATE_DIR_MODE } from '../common/private-files.js';
import type { S3Location } from '../common/s3-location.js';
import { fileStoreErrorOf } from '../store/index.js';
import { createDigestingStream, digestHex } from './digest.js';
import {
  createS3Client,
  isS3NotFound,
  loadLibStorage,
  loadS3Sdk,
  s3StoreError,
  type S3Credentials,
} from './s3-client.js';
import { S3Keys } from './s3-keys.js';
import type { BlobCheck, BlobRef, BlobStore, StoredBlob, StoredTemp } from './types.js';
import { writeVerifiedFile } from './verified-file.js';

// lib-storage holds up to QUEUE_SIZE parts in memory per put; parts above S3's 5 MiB minimum, so a 12 MB
// stream is already a multipart upload, and a 5 GiB one stays well under S3's 10,000-part limit.
const PART_BYTES = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;
const STREAM_CHUNK_BYTES = 256 * 1024;
// S3 reports LastModified in whole seconds, truncated: a put at 12:00:00.900 reads as 12:00:00.000.
const LAST_MODIFIED_RESOLUTION_MS = 1_000;

export interface S3BlobStoreOptions {
  /** A local folder of this store's own: verified copies for `localFile`, and downloads being verified. */
  cacheDir: string;
  credentials?: S3Credentials;
}

/**
 * Blobs in an S3-compatible bucket, at `<prefix>/blobs/sha256/<2 hex>/<62 hex>`. A put uploads to a temp key
 * while hashing, and copies to the content key only once the digest is known (CopyObject is atomic), so no
 * content key ever shows half a blob. Reads download into a local file and verify it before giving out a
 * byte, as LocalBlobStore re-hashes before it serves.
 */
export class S3BlobStore implements BlobStore {
  readonly #client: S3Client;
  readonly #location: S3Location;
  readonly #keys: S3Keys;
  readonly #cacheDir: string;
  readonly #downloadDir: string;

  private constructor(client: S3Client, location: S3Location, cacheDir: string) {
    this.#client = client;
    this.#location = location;
    this.#keys = new S3Keys(location.prefix);
    this.#cacheDir = cacheDir;
    this.#downloadDir = join(cacheDir, 'tmp');
  }

  /**
   * The store, once HeadBucket has answered: an unreachable endpoint, a missing bucket or refused credentials
   * fail here (ARTIFACT_STORE_UNAVAILABLE, naming the endpoint), when the context opens, not at the first write.
   */
  static async connect(location: S3Location, options: S3BlobStoreOptions): Promise<S3BlobStore> {
    const client = await createS3Client(location, options.credentials);
    const { HeadBucketCommand } = await loadS3Sdk();
    try {
      await client.send(new HeadBucketCommand({ Bucket: location.bucket }));
    } catch (error) {
      client.destroy();
      throw s3StoreError(location, 'open its bucket', error);
    }
    return new S3BlobStore(client, location, options.cacheDir);
  }

  /** Closes the client's pooled connections. */
  close(): void {
    this.#client.destroy();
  }

  async put(source: Readable): Promise<BlobRef> {
    const [{ Upload }, { CopyObjectCommand, HeadObjectCommand }] = await Promise.all([loadLibStorage(), loadS3Sdk()]);
    const tempKey = this.#keys.newTemp();
    const digesting = createDigestingStream();
    let sourceError: Error | undefined;
    source.once('error', (error: Error) => {
      sourceError = error;
      digesting.destroy(error);
    });
    source.pipe(digesting);
    try {
      const upload = new Upload({
        client: this.#client,
        params: { Bucket: this.#location.bucket, Key: tempKey, Body: digesting },
        partSize: PART_BYTES,
        queueSize: QUEUE_SIZE,
        // A failed multipart upload is aborted, so its parts are not kept (and billed) until a lifecycle rule.
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (error) {
        source.unpipe(digesting);
        source.destroy();
        throw sourceError ?? s3StoreError(this.#location, 'store a blob', error);
      }
      const { digest, sizeBytes } = digesting.result();
      const key = this.#keys.blob(digest);
      try {
        // Without checksums on the wire (see createS3Client), a body cut short would go unnoticed until read.
        const uploaded = await this.#client.send(
          new HeadObjectCommand({ Bucket: this.#location.bucket, Key: tempKey }),
        );
        if (uploaded.ContentLength !== sizeBytes) {
          throw new Error(`the server holds ${uploaded.ContentLength ?? '?'} of the ${sizeBytes} bytes sent`);
        }
        // Copied even when the key exists: the stored copy may have rotted (logging the content again repairs
        // it, as in LocalBlobStore), and the fresh LastModified tells gc that a row is about to name the blob.
        await this.#client.send(
          new CopyObjectCommand({ Bucket: this.#location.bucket, Key: key, CopySource: this.#copySource(tempKey) }),
        );
      } catch (error) {
        throw s3StoreError(this.#location, `store blob ${digest}`, error);
      }
      return { digest, sizeBytes };
    } finally {
      // Best effort: a temp key left behind is invisible to readers and removed by sweepTemp.
      await this.#deleteKey(tempKey).catch(() => undefined);
    }
  }

  /**
   * Downloads into a private temp file, verifying as it writes, then streams that file (removed once the
   * stream closes): a corrupt blob fails here, before a reader has any of its bytes.
   */
  async open(digest: string): Promise<Readable> {
    const file = join(this.#downloadDir, randomUUID());
    const sizeBytes = await this.#downloadVerified(digest, file);
    const handle = await open(file, 'r');
    if (sizeBytes === 0) {
      await handle.close();
      await rm(file, { force: true });
      return Readable.from([]);
    }
    const stream = handle.createReadStream({ start: 0, end: sizeBytes - 1, highWaterMark: STREAM_CHUNK_BYTES });
    stream.once('close', () => void rm(file, { force: true }));
    return stream;
  }

  async has(digest: string): Promise<boolean> {
    return (await this.#head(digest)) !== undefined;
  }

  async size(digest: string): Promise<number> {
    const head = await this.#head(digest);
    if (head === undefined) throw missingBlob(digest);
    return head.sizeBytes;
  }

  /**
   * A verified copy in the local cache (`<cacheDir>/sha256/<2>/<62>`), downloaded on first use. Blobs never
   * change under their digest, so a copy there stays right for as long as it is kept.
   */
  async localFile(digest: string): Promise<string> {
    const file = this.#cacheFile(digest);
    if ((await stat(file).catch(() => undefined))?.isFile() === true) return file;
    const temp = join(this.#downloadDir, randomUUID());
    await this.#downloadVerified(digest, temp);
    await mkdir(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
    // Atomic: a reader never finds the cache file half written, and two downloads of one blob both succeed.
    await rename(temp, file);
    return file;
  }

  async check(digest: string): Promise<BlobCheck> {
    const body = await this.#get(digest);
    if (body === undefined) return { state: 'missing' };
    const digesting = createDigestingStream();
    try {
      await pipeline(body, digesting, discard());
    } catch (error) {
      throw s3StoreError(this.#location, `read blob ${digest}`, error);
    }
    const { digest: actual, sizeBytes } = digesting.result();
    return actual === digest ? { state: 'ok', sizeBytes } : { state: 'corrupt', actual, sizeBytes };
  }

  async *list(): AsyncIterable<StoredBlob> {
    for await (const object of this.#listObjects(this.#keys.blobsPrefix)) {
      const digest = this.#keys.digestOf(object.key);
      if (digest !== undefined) yield { digest, sizeBytes: object.sizeBytes, modifiedTime: object.modifiedTime };
    }
  }

  /**
   * Deletes the blob unless its LastModified (which every put refreshes, see `put`) is at or after `cutoff`.
   * S3 has no atomic rename to set the blob aside as LocalBlobStore does: a put whose copy lands between the
   * HEAD and the DELETE below (milliseconds, against gc's hours of grace) loses its blob, which fsck reports
   * and logging the content again restores.
   */
  async deleteIfUntouchedSince(digest: string, cutoff: number): Promise<boolean> {
    const head = await this.#head(digest);
    if (head === undefined) return false;
    if (head.modifiedTime + LAST_MODIFIED_RESOLUTION_MS > cutoff) return false;
    await this.#deleteKey(this.#keys.blob(digest));
    await rm(this.#cacheFile(digest), { force: true });
    return true;
  }

  /** Removes temp keys of puts that stopped before `cutoff` (a crashed process's uploads). */
  async sweepTemp(cutoff: number, options: { dryRun?: boolean } = {}): Promise<StoredTemp[]> {
    const removed: StoredTemp[] = [];
    for await (const object of this.#listObjects(this.#keys.tempPrefix)) {
      if (object.modifiedTime + LAST_MODIFIED_RESOLUTION_MS > cutoff) continue;
      if (options.dryRun !== true) await this.#deleteKey(object.key);
      removed.push({
        name: object.key.slice(this.#keys.tempPrefix.length),
        sizeBytes: object.sizeBytes,
        modifiedTime: object.modifiedTime,
      });
    }
    return removed;
  }

  async #downloadVerified(digest: string, file: string): Promise<number> {
    const body = await this.#get(digest);
    if (body === undefined) throw missingBlob(digest);
    await mkdir(this.#downloadDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    try {
      return await writeVerifiedFile(body, digest, file);
    } catch (error) {
      if (error instanceof CorruptArtifactError) throw error;
      const storage = fileStoreErrorOf(error, 'artifacts');
      if (storage !== undefined) throw storage;
      if (isLocalFileError(error)) throw error;
      throw s3StoreError(this.#location, `read blob ${digest}`, error);
    }
  }

  /** The blob's content as the server sends it (unverified), or undefined when it holds no such blob. */
  async #get(digest: string): Promise<Readable | undefined> {
    const key = this.#keys.blob(digest);
    const { GetObjectCommand } = await loadS3Sdk();
    try {
      const { Body } = await this.#client.send(new GetObjectCommand({ Bucket: this.#location.bucket, Key: key }));
      // In Node the SDK's body is an http.IncomingMessage: a Readable.
      if (!(Body instanceof Readable)) throw new Error('the answer has no readable body');
      return Body;
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      throw s3StoreError(this.#location, `read blob ${digest}`, error);
    }
  }

  async #head(digest: string): Promise<{ sizeBytes: number; modifiedTime: number } | undefined> {
    const key = this.#keys.blob(digest);
    const { HeadObjectCommand } = await loadS3Sdk();
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#location.bucket, Key: key }));
      return { sizeBytes: head.ContentLength ?? 0, modifiedTime: head.LastModified?.getTime() ?? 0 };
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      throw s3StoreError(this.#location, `look up blob ${digest}`, error);
    }
  }

  async *#listObjects(prefix: string): AsyncIterable<{ key: string; sizeBytes: number; modifiedTime: number }> {
    const { ListObjectsV2Command } = await loadS3Sdk();
    let token: string | undefined;
    do {
      const page = await this.#client
        .send(
          new ListObjectsV2Command({
            Bucket: this.#location.bucket,
            Prefix: prefix,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        )
        .catch((error: unknown) => {
          throw s3StoreError(this.#location, 'list its objects', error);
        });
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key, sizeBytes: object.Size ?? 0, modifiedTime: object.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async #deleteKey(key: string): Promise<void> {
    const { DeleteObjectCommand } = await loadS3Sdk();
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#location.bucket, Key: key })).catch((error) => {
      throw s3StoreError(this.#location, `delete ${key}`, error);
    });
  }

  #cacheFile(digest: string): string {
    const hex = digestHex(digest);
    return join(this.#cacheDir, 'sha256', hex.slice(0, 2), hex.slice(2));
  }

  /** CopyObject's source: `bucket/key`, URL-encoded per segment (a prefix may hold spaces or `+`). */
  #copySource(key: string): string {
    return `${this.#location.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }
}

/** The cache folder's own failures, which are not the server's; a dropped download fails with socket errors. */
function isLocalFileError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && ['EACCES', 'EPERM', 'EROFS', 'EEXIST', 'ENOENT', 'EISDIR'].includes(code);
}

/** A sink for content that is only hashed. */
function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}
