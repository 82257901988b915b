/**
 * Artifact store: content-addressed blobs (sha256), the local folder behind the BlobStore seam, run artifact paths
 * (`run_artifacts`) and blob integrity (fsck, gc). Other capabilities store and read files only through it.
 */
export { normalizeArtifactDir, normalizeArtifactPath } from './artifact-path.js';
export { LocalBlobStore } from './local-blob-store.js';
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
