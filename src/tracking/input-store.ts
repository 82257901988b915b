import type { Kysely } from 'kysely';
import type { Schema } from '../store/index.js';

/**
 * Reads of the datasets runs logged as inputs (`run_inputs`) for other capabilities, each taking the caller's
 * connection or transaction: lineage's dataset edges and the triggers' dataset source.
 */

type Db = Kysely<Schema>;

/** The datasets a run logged, by name and digest, the first `limit`. */
export async function datasetsOfRun(
  db: Db,
  runId: string,
  limit: number,
): Promise<Array<{ name: string; digest: string; context: string }>> {
  const rows = await db
    .selectFrom('run_inputs')
    .select(['dataset_name', 'dataset_digest', 'context'])
    .where('run_uuid', '=', runId)
    .orderBy('dataset_name')
    .orderBy('dataset_digest')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ name: row.dataset_name, digest: row.dataset_digest, context: row.context }));
}

/** The runs that logged this version of the dataset (`run_inputs_digest`), the first `limit`. */
export async function runsUsingDataset(
  db: Db,
  name: string,
  digest: string,
  limit: number,
): Promise<Array<{ runId: string; context: string }>> {
  const rows = await db
    .selectFrom('run_inputs')
    .select(['run_uuid', 'context'])
    .where('dataset_digest', '=', digest)
    .where('dataset_name', '=', name)
    .orderBy('run_uuid')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ runId: row.run_uuid, context: row.context }));
}

/**
 * The versions (digests) of a dataset. No index leads with the name (run_inputs is keyed by run),
 * so this one scans run_inputs; lineage runs it once per request, to resolve `dataset:<name>`.
 */
export async function datasetDigests(db: Db, name: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('run_inputs')
    .select('dataset_digest')
    .distinct()
    .where('dataset_name', '=', name)
    .orderBy('dataset_digest')
    .limit(limit)
    .execute();
  return rows.map((row) => row.dataset_digest);
}

/** A version of a dataset as runs logged it. */
export interface LoggedDatasetVersion {
  digest: string;
  /** A run that logged it (the earliest). */
  runId: string;
  firstSeen: number;
}

/** Every digest active runs logged for the dataset, oldest first by the start of the first run that logged it. */
export async function loggedDatasetVersions(db: Db, dataset: string): Promise<LoggedDatasetVersion[]> {
  const rows = await db
    .selectFrom('run_inputs')
    .innerJoin('runs', 'runs.run_uuid', 'run_inputs.run_uuid')
    .select(['run_inputs.dataset_digest as digest', 'runs.run_uuid as runId', 'runs.start_time as startTime'])
    .where('run_inputs.dataset_name', '=', dataset)
    .where('runs.lifecycle_stage', '=', 'active')
    .orderBy('runs.start_time')
    .orderBy('runs.run_uuid')
    .execute();
  const versions = new Map<string, LoggedDatasetVersion>();
  for (const row of rows) {
    if (!versions.has(row.digest)) {
      versions.set(row.digest, { digest: row.digest, runId: row.runId, firstSeen: Number(row.startTime) });
    }
  }
  return [...versions.values()];
}
