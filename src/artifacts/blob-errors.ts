import { CorruptArtifactError, NotFoundError } from '../common/errors.js';

/** The errors every BlobStore gives, worded once: a reader sees the same message whatever the backend. */
export function missingBlob(digest: string): NotFoundError {
  return new NotFoundError(`No blob with digest ${digest}`, { where: digest });
}

export function corruptBlob(digest: string, actual: string): CorruptArtifactError {
  return new CorruptArtifactError(`Blob ${digest} is corrupt: its content hashes to ${actual}`, {
    where: digest,
    hint:
      'Log the artifact again from its source; the stored copy cannot be trusted ' +
      '(ciclo fsck lists every corrupt blob).',
  });
}
