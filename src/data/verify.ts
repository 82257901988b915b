import type { BlobStore } from '../artifacts/index.js';
import { CorruptDatasetError } from '../common/errors.js';
import type { DatasetFile } from './records.js';
import { storeFiles, type HashedFile } from './register.js';

interface StoredVersion {
  name: string;
  version: number;
  files: readonly DatasetFile[];
}

/**
 * The local paths of a version's files, each re-hashed against the digest recorded when it was
 * registered: a flipped byte must fail as damage to the store, naming the file, rather than reach a
 * reader as data (an expectation failure, a model trained on it). Costs one read of every file per
 * resolve; DuckDB's own read that follows then comes from the page cache.
 */
export async function verifiedFiles(blobs: BlobStore, version: StoredVersion): Promise<string[]> {
  const paths: string[] = [];
  for (const file of version.files) {
    const check = await blobs.check(file.digest);
    if (check.state === 'missing') throw corrupt(version, file, `is missing from the blob store (${file.digest})`);
    if (check.state === 'corrupt')
      throw corrupt(version, file, `is corrupt: its stored copy hashes to ${check.actual}, not ${file.digest}`);
    paths.push(await blobs.localFile(file.digest));
  }
  return paths;
}

/**
 * Registering content that already has a version copies nothing, except the files whose stored copy
 * is missing or corrupt: those are stored again from `source` (same path, same digest), which is how
 * a damaged version is repaired.
 */
export async function restoreDamagedFiles(
  blobs: BlobStore,
  version: StoredVersion,
  source: readonly HashedFile[],
): Promise<void> {
  const damaged: HashedFile[] = [];
  for (const file of version.files) {
    if ((await blobs.check(file.digest)).state === 'ok') continue;
    const replacement = source.find((candidate) => candidate.path === file.path && candidate.digest === file.digest);
    if (replacement !== undefined) damaged.push(replacement);
  }
  if (damaged.length > 0) await storeFiles(blobs, damaged);
}

function corrupt(version: StoredVersion, file: DatasetFile, problem: string): CorruptDatasetError {
  const at = `${version.name}@${version.version}`;
  return new CorruptDatasetError(`dataset ${at}: file ${file.path} ${problem}`, {
    where: `${at}/${file.path}`,
    hint:
      `Register the same files again (ciclo data register ${version.name} PATH): ` +
      'the stored copy is replaced; ciclo fsck lists every damaged blob.',
  });
}
