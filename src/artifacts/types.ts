import type { Readable } from 'node:stream';

/** A stored blob: `sha256:<64 lowercase hex>` and its length. */
export interface BlobRef {
  digest: string;
  sizeBytes: number;
}

/**
 * Content-addressed storage. The seam between artifact metadata and where bytes live (a local
 * folder now, an S3-compatible bucket later), so it speaks streams only: no call may require the
 * whole content in memory.
 */
export interface BlobStore {
  /** Stores the stream's content under its sha256; identical content is stored once. */
  put(source: Readable): Promise<BlobRef>;
  /**
   * The content, verified against its digest before the first byte is given out: a corrupt blob
   * rejects with CorruptArtifactError, a missing one with NotFoundError.
   */
  open(digest: string): Promise<Readable>;
  has(digest: string): Promise<boolean>;
  size(digest: string): Promise<number>;
  /**
   * A local file holding the blob's content, for readers that need a path (DuckDB reads files in
   * place). The file has no extension and must not be written to; not re-hashed on this call.
   */
  localFile(digest: string): Promise<string>;
  /** Re-hashes the blob: what `ciclo fsck` reports. */
  check(digest: string): Promise<BlobCheck>;
  /** Every blob held, with its length and when it was last written or reused by a put. */
  list(): AsyncIterable<StoredBlob>;
  /** Deletes the blob unless a put wrote or reused it at or after `cutoff` (ms); whether it was deleted. */
  deleteIfUntouchedSince(digest: string, cutoff: number): Promise<boolean>;
  /** Removes what unfinished writes left before `cutoff` (ms); what was (or, with dryRun, would be) removed. */
  sweepTemp(cutoff: number, options?: { dryRun?: boolean }): Promise<StoredTemp[]>;
}

export type BlobCheck =
  { state: 'ok'; sizeBytes: number } | { state: 'corrupt'; actual: string; sizeBytes: number } | { state: 'missing' };

export interface StoredBlob extends BlobRef {
  /** Milliseconds since the epoch. */
  modifiedTime: number;
}

/** A file an unfinished write left behind. */
export interface StoredTemp {
  name: string;
  sizeBytes: number;
  modifiedTime: number;
}

/** A file logged to a run: its logical path and the blob holding its content. */
export interface ArtifactFile {
  path: string;
  digest: string;
  sizeBytes: number;
}

/** One child in a run's artifact listing (MLflow `artifacts/list` FileInfo). */
export interface ArtifactEntry {
  path: string;
  isDir: boolean;
  fileSize?: number;
}
