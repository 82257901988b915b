export { normalizeArtifactDir, normalizeArtifactPath } from './artifact-path.js';
export { LocalBlobStore } from './local-blob-store.js';
export { RunArtifacts } from './run-artifacts.js';
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
