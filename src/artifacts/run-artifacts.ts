import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import { CorruptArtifactError, NotFoundError } from '../common/errors.js';
import type { Schema } from '../store/index.js';
import { normalizeArtifactDir, normalizeArtifactPath } from './artifact-path.js';
import { directChildren } from './listing.js';
import { escapeLike } from './run-artifact-store.js';
import { assertRegularFile, listLocalFiles } from './local-files.js';
import type { BlobReference, BlobReferenceSource } from './integrity.js';
import type { ArtifactEntry, ArtifactFile, BlobStore } from './types.js';

// Keeps one INSERT under SQLite's and PostgreSQL's bound-parameter limits (5 per row).
const ROWS_PER_INSERT = 500;
// fsck and gc read every row: in pages, so a store with millions of artifacts is never one result set.
const REFERENCES_PER_PAGE = 5000;

/**
 * A run's artifacts: logical paths mapped to content-addressed blobs. Bytes are stored before the
 * row that points at them, so a row never names a missing blob (a crash can only orphan a blob).
 * Whether the run exists and accepts artifacts is the tracking service's call, made before this.
 */
export class RunArtifacts implements BlobReferenceSource {
  readonly #db: Kysely<Schema>;
  readonly #blobs: BlobStore;

  constructor(db: Kysely<Schema>, blobs: BlobStore) {
    this.#db = db;
    this.#blobs = blobs;
  }

  /** Stores the content at `logicalPath`, replacing whatever the path held before. */
  async put(runId: string, logicalPath: string, source: Readable): Promise<ArtifactFile> {
    const path = normalizeArtifactPath(logicalPath);
    const artifact = { path, ...(await this.#blobs.put(source)) };
    await upsert(this.#db, runId, [artifact]);
    return artifact;
  }

  async putFile(runId: string, logicalPath: string, localFile: string): Promise<ArtifactFile> {
    const path = normalizeArtifactPath(logicalPath);
    await assertRegularFile(localFile);
    return this.put(runId, path, createReadStream(localFile));
  }

  /** Logs every file under `localDir` below `logicalDir` ('' for the root); the rows land together or not at all. */
  async putDirectory(runId: string, logicalDir: string, localDir: string): Promise<ArtifactFile[]> {
    const base = normalizeArtifactDir(logicalDir);
    const files = await listLocalFiles(localDir);
    const artifacts = files.map(({ file, relativePath }) => ({
      file,
      path: normalizeArtifactPath(base === '' ? relativePath : `${base}/${relativePath}`, file),
    }));
    const stored: ArtifactFile[] = [];
    for (const { file, path } of artifacts) {
      stored.push({ path, ...(await this.#blobs.put(createReadStream(file))) });
    }
    await this.#db.transaction().execute(async (trx) => {
      for (let i = 0; i < stored.length; i += ROWS_PER_INSERT) {
        await upsert(trx, runId, stored.slice(i, i + ROWS_PER_INSERT));
      }
    });
    return stored;
  }

  /** The direct children of `dir` (the root when omitted), as MLflow's `artifacts/list` returns them. */
  async list(runId: string, dir?: string): Promise<ArtifactEntry[]> {
    const base = normalizeArtifactDir(dir);
    let query = this.#db.selectFrom('run_artifacts').select(['path', 'size_bytes']).where('run_uuid', '=', runId);
    if (base !== '') query = query.where(sql<boolean>`path like ${`${escapeLike(base)}/%`} escape '\\'`);
    const rows = await query.execute();
    return directChildren(
      rows.map((row) => ({ path: row.path, sizeBytes: row.size_bytes })),
      base,
    );
  }

  async stat(runId: string, path: string): Promise<ArtifactFile> {
    const normalized = normalizeArtifactPath(path);
    const row = await this.#db
      .selectFrom('run_artifacts')
      .select(['path', 'digest', 'size_bytes'])
      .where('run_uuid', '=', runId)
      .where('path', '=', normalized)
      .executeTakeFirst();
    if (row === undefined) {
      throw new NotFoundError(`Run ${runId} has no artifact at ${JSON.stringify(normalized)}`, {
        where: 'path',
        hint: "List the run's artifacts to see which paths it has.",
      });
    }
    return { path: row.path, digest: row.digest, sizeBytes: row.size_bytes };
  }

  /**
   * The artifact's entry and its content, verified against its digest before any byte is given out;
   * a corrupt or missing blob is CORRUPT_ARTIFACT naming the run and path. One lookup, so the size
   * and digest always describe the bytes streamed even if the path is logged again.
   */
  async read(runId: string, path: string): Promise<{ file: ArtifactFile; content: Readable }> {
    const file = await this.stat(runId, path);
    try {
      return { file, content: await this.#blobs.open(file.digest) };
    } catch (error) {
      if (error instanceof CorruptArtifactError)
        throw corruptArtifact(runId, file, 'is corrupt: its stored blob does not hash to its digest');
      // The row exists (stat found it), so a missing blob is damage to the store, not a wrong path.
      if (error instanceof NotFoundError) throw corruptArtifact(runId, file, 'is missing from the artifact store');
      throw error;
    }
  }

  async open(runId: string, path: string): Promise<Readable> {
    return (await this.read(runId, path)).content;
  }

  /** Every artifact row as a blob reference, for fsck and gc: paged by (run, path). */
  async *references(): AsyncIterable<BlobReference> {
    let after: { run_uuid: string; path: string } | undefined;
    for (;;) {
      let query = this.#db
        .selectFrom('run_artifacts')
        .select(['run_uuid', 'path', 'digest'])
        .orderBy('run_uuid')
        .orderBy('path')
        .limit(REFERENCES_PER_PAGE);
      if (after !== undefined) {
        const { run_uuid: run, path } = after;
        query = query.where((eb) =>
          eb.or([eb('run_uuid', '>', run), eb.and([eb('run_uuid', '=', run), eb('path', '>', path)])]),
        );
      }
      const rows = await query.execute();
      for (const row of rows) yield { digest: row.digest, referrer: `run ${row.run_uuid}: ${row.path}` };
      if (rows.length < REFERENCES_PER_PAGE) return;
      after = rows[rows.length - 1];
    }
  }
}

async function upsert(db: Kysely<Schema>, runId: string, artifacts: readonly ArtifactFile[]): Promise<void> {
  if (artifacts.length === 0) return;
  const createdTime = Date.now();
  await db
    .insertInto('run_artifacts')
    .values(
      artifacts.map((artifact) => ({
        run_uuid: runId,
        path: artifact.path,
        digest: artifact.digest,
        size_bytes: artifact.sizeBytes,
        created_time: createdTime,
      })),
    )
    .onConflict((conflict) =>
      conflict.columns(['run_uuid', 'path']).doUpdateSet((eb) => ({
        digest: eb.ref('excluded.digest'),
        size_bytes: eb.ref('excluded.size_bytes'),
        created_time: eb.ref('excluded.created_time'),
      })),
    )
    .execute();
}

function corruptArtifact(runId: string, file: ArtifactFile, problem: string): CorruptArtifactError {
  return new CorruptArtifactError(`Artifact ${file.path} of run ${runId} ${problem} (${file.digest})`, {
    where: file.path,
    hint: 'Log the artifact again from its source; `ciclo fsck` lists every damaged blob.',
  });
}
