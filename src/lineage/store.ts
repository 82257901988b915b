import type { Kysely, Selectable } from 'kysely';
import type { PipelineRunsTable, Schema, StepExecutionsTable } from '../store/index.js';

/**
 * The queries lineage walks with. Each one starts from a primary key or an index (`runs_parent`,
 * `step_artifacts_digest`, `run_artifacts_digest`, `run_inputs_digest`, `step_executions_cache_key`)
 * and every list is limited, so one hop costs a few index probes however large the store is.
 */

type Db = Kysely<Schema>;

export interface RunRow {
  run_uuid: string;
  run_name: string;
  status: string;
  start_time: number;
  parent_run_id: string | null;
}

export type PipelineRunRow = Pick<
  Selectable<PipelineRunsTable>,
  'id' | 'pipeline_name' | 'status' | 'params' | 'git_commit' | 'trigger_name'
>;
export type StepExecutionRow = Selectable<StepExecutionsTable>;

export interface StepKey {
  pipelineRunId: string;
  stepName: string;
  attempt: number;
}

/** The tags the scheduler puts on a step attempt's tracked run: how a run id finds its execution by key. */
export const STEP_TAG = 'ciclo.pipeline.step';
export const ATTEMPT_TAG = 'ciclo.pipeline.attempt';

export async function findRun(db: Db, runId: string): Promise<RunRow | undefined> {
  return db
    .selectFrom('runs')
    .select(['run_uuid', 'run_name', 'status', 'start_time', 'parent_run_id'])
    .where('run_uuid', '=', runId)
    .executeTakeFirst();
}

export async function findPipelineRun(db: Db, id: string): Promise<PipelineRunRow | undefined> {
  return db
    .selectFrom('pipeline_runs')
    .select(['id', 'pipeline_name', 'status', 'params', 'git_commit', 'trigger_name'])
    .where('id', '=', id)
    .executeTakeFirst();
}

/** The step name and attempt a step run is tagged with, if it is one. */
export async function stepTags(db: Db, runId: string): Promise<{ stepName?: string; attempt?: string }> {
  const rows = await db
    .selectFrom('tags')
    .select(['key', 'value'])
    .where('run_uuid', '=', runId)
    .where('key', 'in', [STEP_TAG, ATTEMPT_TAG])
    .execute();
  const found: { stepName?: string; attempt?: string } = {};
  for (const row of rows) {
    if (row.key === STEP_TAG) found.stepName = row.value;
    else found.attempt = row.value;
  }
  return found;
}

export async function findStepExecution(db: Db, key: StepKey): Promise<StepExecutionRow | undefined> {
  return db
    .selectFrom('step_executions')
    .selectAll()
    .where('pipeline_run_id', '=', key.pipelineRunId)
    .where('step_name', '=', key.stepName)
    .where('attempt', '=', key.attempt)
    .executeTakeFirst();
}

/** What one attempt read (`input`) or wrote (`output`), by name. */
export async function stepArtifactsOf(
  db: Db,
  key: StepKey,
  direction: 'input' | 'output',
): Promise<Array<{ name: string; digest: string }>> {
  return db
    .selectFrom('step_artifacts')
    .select(['name', 'digest'])
    .where('pipeline_run_id', '=', key.pipelineRunId)
    .where('step_name', '=', key.stepName)
    .where('attempt', '=', key.attempt)
    .where('direction', '=', direction)
    .orderBy('name')
    .execute();
}

/** The step runs that read (`input`) or wrote (`output`) this digest, in any pipeline run. */
export async function stepRunsByDigest(
  db: Db,
  digest: string,
  direction: 'input' | 'output',
  limit: number,
): Promise<Array<{ runId: string; name: string }>> {
  const rows = await db
    .selectFrom('step_artifacts as a')
    .innerJoin('step_executions as e', (join) =>
      join
        .onRef('e.pipeline_run_id', '=', 'a.pipeline_run_id')
        .onRef('e.step_name', '=', 'a.step_name')
        .onRef('e.attempt', '=', 'a.attempt'),
    )
    .select(['e.run_id', 'a.name'])
    .where('a.digest', '=', digest)
    .where('a.direction', '=', direction)
    .where('e.run_id', 'is not', null)
    .orderBy('e.started_time')
    .orderBy('e.run_id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ runId: row.run_id!, name: row.name }));
}

/** Tracked runs that logged a file with this digest, under which path. */
export async function runArtifactsByDigest(db: Db, digest: string, limit: number): Promise<Array<{ runId: string; path: string }>> {
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

export async function runArtifactsOf(db: Db, runId: string, limit: number): Promise<Array<{ path: string; digest: string }>> {
  return db.selectFrom('run_artifacts').select(['path', 'digest']).where('run_uuid', '=', runId).orderBy('path').limit(limit).execute();
}

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

/** Whether any step or run recorded this digest. */
export async function digestKnown(db: Db, digest: string): Promise<boolean> {
  const step = await db.selectFrom('step_artifacts').select('digest').where('digest', '=', digest).limit(1).executeTakeFirst();
  if (step) return true;
  const run = await db.selectFrom('run_artifacts').select('digest').where('digest', '=', digest).limit(1).executeTakeFirst();
  return run !== undefined;
}

export async function childRuns(db: Db, runId: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('runs')
    .select('run_uuid')
    .where('parent_run_id', '=', runId)
    .orderBy('start_time')
    .orderBy('run_uuid')
    .limit(limit)
    .execute();
  return rows.map((row) => row.run_uuid);
}

/** Executions that reused this run's outputs: same cache key, CACHED, pointing back at it. */
export async function cachedCopiesOf(db: Db, cacheKey: string, sourceRunId: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('step_executions')
    .select('run_id')
    .where('cache_key', '=', cacheKey)
    .where('status', '=', 'CACHED')
    .where('cached_from_run_id', '=', sourceRunId)
    .where('run_id', 'is not', null)
    .orderBy('started_time')
    .limit(limit)
    .execute();
  return rows.map((row) => row.run_id!);
}

export async function datasetsOfRun(db: Db, runId: string, limit: number): Promise<Array<{ name: string; digest: string; context: string }>> {
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
 * so this one scans run_inputs; it runs once per request, to resolve `dataset:<name>`.
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
