import type { Kysely } from 'kysely';
import type { BlobReference, BlobReferenceSource, BlobStore } from '../artifacts/index.js';
import { CicloError } from '../common/errors.js';
import type { Schema } from '../store/index.js';
import { MANIFEST_FILE, parseManifest } from './package.js';
import { readText } from './service.js';
import { NO_PACKAGE_DIGEST } from './store.js';

/**
 * Every registered model version's package as blob references: its manifest and every file the
 * manifest lists, by digest. They are the run's artifacts when registered, but a later log to the
 * same paths replaces the run's rows while the version still needs the bytes it was registered with.
 * An MLflow `MLmodel` folder lists no digests, so only the MLmodel file itself is named; a version
 * without a verified package (package-status.ts) names no blob.
 */
export class ModelPackageReferences implements BlobReferenceSource {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async *references(blobs: BlobStore): AsyncIterable<BlobReference> {
    const versions = await this.#db
      .selectFrom('model_versions')
      .select(['name', 'version', 'flavor', 'manifest_digest'])
      .where('manifest_digest', '!=', NO_PACKAGE_DIGEST)
      .orderBy('name')
      .orderBy('version')
      .execute();
    for (const version of versions) {
      const referrer = `model ${version.name}/${version.version}`;
      const digest = version.manifest_digest;
      if (version.flavor.startsWith('mlflow:')) {
        yield { digest, referrer: `${referrer}: MLmodel` };
        continue;
      }
      const files = await manifestFiles(blobs, digest, referrer);
      if (typeof files === 'string') {
        yield { digest, referrer: `${referrer}: ${MANIFEST_FILE}`, unlisted: files };
        continue;
      }
      yield { digest, referrer: `${referrer}: ${MANIFEST_FILE}` };
      for (const file of files) yield { digest: file.digest, referrer: `${referrer}: ${file.path}` };
    }
  }
}

/** The manifest's files, or why they cannot be listed (the manifest blob is missing or corrupt). */
async function manifestFiles(
  blobs: BlobStore,
  digest: string,
  referrer: string,
): Promise<{ path: string; digest: string }[] | string> {
  try {
    return parseManifest(await readText(await blobs.open(digest)), `${referrer}: ${MANIFEST_FILE}`).files;
  } catch (error) {
    if (error instanceof CicloError) return `its ${MANIFEST_FILE} (${digest}) cannot be read: ${error.message}`;
    throw error;
  }
}
