import { randomUUID } from 'node:crypto';
import { digestHex } from './digest.js';

const BLOB_NAME = /^([0-9a-f]{2})\/([0-9a-f]{62})$/;

/**
 * Where an S3 store's objects live under its prefix: blobs at `blobs/sha256/<2 hex>/<62 hex>` (the local
 * store's layout, so a folder synced to a bucket keeps its names), unfinished writes at `tmp/<uuid>`.
 */
export class S3Keys {
  readonly blobsPrefix: string;
  readonly tempPrefix: string;

  constructor(prefix: string) {
    const base = prefix === '' ? '' : `${prefix}/`;
    this.blobsPrefix = `${base}blobs/sha256/`;
    this.tempPrefix = `${base}tmp/`;
  }

  /** The blob's key; a malformed digest is refused (INVALID_PARAMETER_VALUE) before any request. */
  blob(digest: string): string {
    const hex = digestHex(digest);
    return `${this.blobsPrefix}${hex.slice(0, 2)}/${hex.slice(2)}`;
  }

  /** The digest a listed key holds, or undefined for a key that is not a blob's (a stray object). */
  digestOf(key: string): string | undefined {
    if (!key.startsWith(this.blobsPrefix)) return undefined;
    const match = BLOB_NAME.exec(key.slice(this.blobsPrefix.length));
    return match === null ? undefined : `sha256:${match[1]!}${match[2]!}`;
  }

  newTemp(): string {
    return `${this.tempPrefix}${randomUUID()}`;
  }
}
