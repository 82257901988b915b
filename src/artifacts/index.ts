/**
 * Artifact store: content-addressed blobs (sha256), the local folder or an S3-compatible bucket behind the
 * BlobStore seam, run artifact paths (`run_artifacts`) and blob integrity (fsck, gc). Other capabilities store and
 * read files only through it.
 */
export { normalizeArtifactDir, normalizeArtifactPath } from './artifact-path.js';
export { LocalBlobStore } from './local-blob-store.js';
/** Loads the AWS SDK only when first used: importing this costs a command nothing. */
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
export type { S3Credentials } from './s3-client.js';
export { RunArtifacts } from './run-artifacts.js';
/** Reads of `run_artifacts` for lineage and the registry, each taking the caller's connection or transaction. */
export {
  runArtifactAt,
  runArtifactDigestKnown,
  runArtifactsByDigest,
  runArtifactsOf,
  runArtifactsUnder,
  runFilesUnder,
} from './run-artifact-store.js';
export type { ArtifactEntry, ArtifactFile, BlobRef, BlobStore } from './types.js';
export { createVerifyingStream, sha256Digest, sha256DigestOfFile } from './digest.js';
export { assertRegularFile, listLocalFiles, type LocalFile } from './local-files.js';
export {
  BlobIntegrity,
  type BlobReference,
  type BlobReferenceSource,
  type DamagedBlob,
  type FsckReport,
  type GcOptions,
  type GcReport,
} from './integrity.js';
