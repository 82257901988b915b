import type { Kysely } from 'kysely';
import type { BlobReference, BlobReferenceSource } from '../artifacts/index.js';
import type { Schema } from '../store/index.js';

// Versions are read in pages: a version's files column can list thousands of files.
const VERSIONS_PER_PAGE = 500;

/** Every file of every dataset version as a blob reference, for fsck and gc. */
export class DatasetBlobReferences implements BlobReferenceSource {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async *references(): AsyncIterable<BlobReference> {
    let after: { name: string; version: number } | undefined;
    for (;;) {
      let query = this.#db
        .selectFrom('dataset_versions')
        .select(['name', 'version', 'files'])
        .orderBy('name')
        .orderBy('version')
        .limit(VERSIONS_PER_PAGE);
      if (after !== undefined) {
        const { name, version } = after;
        query = query.where((eb) =>
          eb.or([eb('name', '>', name), eb.and([eb('name', '=', name), eb('version', '>', version)])]),
        );
      }
      const rows = await query.execute();
      for (const row of rows) {
        const files = JSON.parse(row.files) as Record<string, { digest: string }>;
        for (const [path, { digest }] of Object.entries(files))
          yield { digest, referrer: `dataset ${row.name}@${row.version}: ${path}` };
      }
      if (rows.length < VERSIONS_PER_PAGE) return;
      after = rows[rows.length - 1];
    }
  }
}
