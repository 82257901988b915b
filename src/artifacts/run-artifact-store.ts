import { sql, type Kysely } from 'kysely';
import type { Schema } from '../store/index.js';

/**
 * Reads of `run_artifacts` for other capabilities, each taking the caller's connection or transaction: lineage's
 * edges (by digest, by run, under a folder) and the registry's package files. Lists are limited where lineage walks,
 * so one hop costs a few index probes (`run_artifacts_digest`, the primary key) however large the store is.
 */

type Db = Kysely<Schema>;

/** LIKE with an explicit escape character means the same in SQLite and PostgreSQL. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** Every file a run logged under `dir` ('' for all), by path relative to `dir`. */
export async function runFilesUnder(
  db: Db,
  runId: string,
  dir: string,
): Promise<Map<string, { digest: string; size: number }>> {
  let query = db.selectFrom('run_artifacts').select(['path', 'digest', 'size_bytes']).where('run_uuid', '=', runId);
  if (dir !== '') query = query.where(sql<boolean>`path like ${`${escapeLike(dir)}/%`} escape '\\'`);
  const files = new Map<string, { digest: string; size: number }>();
  for (const row of await query.execute()) {
    const path = dir === '' ? row.path : row.path.slice(dir.length + 1);
    files.set(path, { digest: row.digest, size: Number(row.size_bytes) });
  }
  return files;
}

/** Tracked runs that logged a file with this digest, under which path. */
export async function runArtifactsByDigest(
  db: Db,
  digest: string,
  limit: number,
): Promise<Array<{ runId: string; path: string }>> {
  const rows = await db
    .selectFrom('run_artifacts')
    .select(['run_uuid', 'path'])
    .where('digest', '=', digest)
    .orderBy('created_time')
    .orderBy('run_uuid')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ runId: row.run_uuid, path: row.path }));
}

/** A run's files by path, the first `limit`. */
export async function runArtifactsOf(
  db: Db,
  runId: string,
  limit: number,
): Promise<Array<{ path: string; digest: string }>> {
  return db
    .selectFrom('run_artifacts')
    .select(['path', 'digest'])
    .where('run_uuid', '=', runId)
    .orderBy('path')
    .limit(limit)
    .execute();
}

/** The digest of the file a run logged at `path`, if any. */
export async function runArtifactAt(db: Db, runId: string, path: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('run_artifacts')
    .select('digest')
    .where('run_uuid', '=', runId)
    .where('path', '=', path)
    .executeTakeFirst();
  return row?.digest;
}

/**
 * The files under a folder of a run's artifacts. A range on the key rather than LIKE, so both
 * dialects use the primary key and `_`/`%` in paths mean nothing: '0' is the character after '/'.
 */
export async function runArtifactsUnder(
  db: Db,
  runId: string,
  folder: string,
  limit: number,
): Promise<Array<{ path: string; digest: string }>> {
  return db
    .selectFrom('run_artifacts')
    .select(['path', 'digest'])
    .where('run_uuid', '=', runId)
    .where('path', '>=', `${folder}/`)
    .where('path', '<', `${folder}0`)
    .orderBy('path')
    .limit(limit)
    .execute();
}

/** Whether any run logged a file with this digest. */
export async function runArtifactDigestKnown(db: Db, digest: string): Promise<boolean> {
  const row = await db
    .selectFrom('run_artifacts')
    .select('digest')
    .where('digest', '=', digest)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
