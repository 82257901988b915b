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
  /** The content, re-hashed while read: the stream fails with CorruptArtifactError at its end on mismatch. */
  open(digest: string): Promise<Readable>;
  has(digest: string): Promise<boolean>;
  size(digest: string): Promise<number>;
  /**
   * A local file holding the blob's content, for readers that need a path (DuckDB reads files in
   * place). The file has no extension and must not be written to; not re-hashed on this call.
   */
  localFile(digest: string): Promise<string>;
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
