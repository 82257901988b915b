import type { Kysely, Selectable } from 'kysely';
import type { RunsTable, Schema } from '../store/index.js';
import { readLatestMetrics } from './metric-store.js';
import type { DatasetInput, Run, RunInfo } from './types.js';

type Db = Kysely<Schema>;
export type RunRow = Selectable<RunsTable>;

export async function insertRun(db: Db, row: RunRow): Promise<void> {
  await db.insertInto('runs').values(row).execute();
}

export async function findRunRow(db: Db, runId: string): Promise<RunRow | undefined> {
  return db.selectFrom('runs').selectAll().where('run_uuid', '=', runId).executeTakeFirst();
}

export async function updateRunRow(db: Db, runId: string, changes: Partial<RunRow>): Promise<void> {
  // An update that changes nothing (MLflow clients send one) would be `update runs set where …`.
  if (Object.keys(changes).length === 0) return;
  await db.updateTable('runs').set(changes).where('run_uuid', '=', runId).execute();
}

export function toRunInfo(row: RunRow): RunInfo {
  return {
    runId: row.run_uuid,
    runName: row.run_name,
    experimentId: String(row.experiment_id),
    userId: row.user_id,
    status: row.status,
    startTime: row.start_time,
    endTime: row.end_time,
    lifecycleStage: row.lifecycle_stage,
    artifactUri: row.artifact_uri,
    parentRunId: row.parent_run_id,
  };
}

/** Loads whole runs (info, latest metrics, params, tags, inputs) in five queries, in the order asked. */
/** Moves every run of an experiment with it when the experiment is deleted or restored. */
export async function setExperimentRunsStage(
  db: Db,
  experimentId: number,
  stage: 'active' | 'deleted',
  now: number,
): Promise<void> {
  await db
    .updateTable('runs')
    .set({ lifecycle_stage: stage, deleted_time: stage === 'deleted' ? now : null })
    .where('experiment_id', '=', experimentId)
    .execute();
}

export async function loadRuns(db: Db, runIds: readonly string[]): Promise<Run[]> {
  if (runIds.length === 0) return [];
  const ids = [...runIds];
  // Each run's metrics, params and tags come in key order. Ordered by (run_uuid, key), the primary key's order,
  // the rows come straight from the index; ordered by key alone, SQLite sorted them in a temporary B-tree first.
  const [rows, metrics, params, tags, inputs] = await Promise.all([
    db.selectFrom('runs').selectAll().where('run_uuid', 'in', ids).execute(),
    readLatestMetrics(db, ids),
    db.selectFrom('params').selectAll().where('run_uuid', 'in', ids).orderBy('run_uuid').orderBy('key').execute(),
    db.selectFrom('tags').selectAll().where('run_uuid', 'in', ids).orderBy('run_uuid').orderBy('key').execute(),
    db.selectFrom('run_inputs').selectAll().where('run_uuid', 'in', ids).orderBy('dataset_name').execute(),
  ]);
  const runs = new Map<string, Run>();
  for (const row of rows)
    runs.set(row.run_uuid, { info: toRunInfo(row), data: { metrics: [], params: {}, tags: {} }, inputs: [] });
  for (const [runId, points] of metrics) {
    const run = runs.get(runId);
    if (run) run.data.metrics = points;
  }
  for (const p of params) {
    const run = runs.get(p.run_uuid);
    if (run) run.data.params[p.key] = p.value;
  }
  for (const t of tags) {
    const run = runs.get(t.run_uuid);
    if (run) run.data.tags[t.key] = t.value;
  }
  for (const i of inputs) {
    runs.get(i.run_uuid)?.inputs.push({
      name: i.dataset_name,
      digest: i.dataset_digest,
      context: i.context,
      sourceType: i.source_type,
      source: i.source,
      ...(i.dataset_schema !== null ? { schema: i.dataset_schema } : {}),
      ...(i.profile !== null ? { profile: i.profile } : {}),
    });
  }
  return ids.flatMap((id) => runs.get(id) ?? []);
}

export async function findParams(db: Db, runId: string, keys: readonly string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await db
    .selectFrom('params')
    .select(['key', 'value'])
    .where('run_uuid', '=', runId)
    .where('key', 'in', [...keys])
    .execute();
  return new Map(rows.map((r) => [r.key, r.value]));
}

export async function insertParams(
  db: Db,
  runId: string,
  params: readonly { key: string; value: string }[],
): Promise<void> {
  if (params.length === 0) return;
  await db
    .insertInto('params')
    .values(params.map((p) => ({ run_uuid: runId, key: p.key, value: p.value })))
    .onConflict((oc) => oc.columns(['run_uuid', 'key']).doNothing())
    .execute();
}

/** The last value of a key wins; PostgreSQL refuses one INSERT … ON CONFLICT that touches a row twice. */
export async function upsertTags(
  db: Db,
  runId: string,
  tags: readonly { key: string; value: string }[],
): Promise<void> {
  if (tags.length === 0) return;
  const latest = new Map(tags.map((t) => [t.key, t.value]));
  await db
    .insertInto('tags')
    .values([...latest].map(([key, value]) => ({ run_uuid: runId, key, value })))
    .onConflict((oc) => oc.columns(['run_uuid', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
    .execute();
}

/** The run's values of these tags, by key (absent ones left out). */
export async function findTags(db: Db, runId: string, keys: readonly string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await db
    .selectFrom('tags')
    .select(['key', 'value'])
    .where('run_uuid', '=', runId)
    .where('key', 'in', [...keys])
    .execute();
  return new Map(rows.map((r) => [r.key, r.value]));
}

/** A run's project: its experiment's; undefined when there is no such run. */
export async function projectOfRun(db: Db, runId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('runs')
    .innerJoin('experiments', 'experiments.experiment_id', 'runs.experiment_id')
    .select('experiments.project')
    .where('runs.run_uuid', '=', runId)
    .executeTakeFirst();
  return row?.project;
}

/** The runs whose parent this run is (`runs_parent`), by start time, the first `limit`. */
export async function childRunIds(db: Db, runId: string, limit: number): Promise<string[]> {
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

export async function findTag(db: Db, runId: string, key: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('tags')
    .select('value')
    .where('run_uuid', '=', runId)
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value;
}

export async function deleteTag(db: Db, runId: string, key: string): Promise<number> {
  const result = await db.deleteFrom('tags').where('run_uuid', '=', runId).where('key', '=', key).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function insertInputs(db: Db, runId: string, inputs: readonly DatasetInput[]): Promise<void> {
  if (inputs.length === 0) return;
  await db
    .insertInto('run_inputs')
    .values(
      inputs.map((i) => ({
        run_uuid: runId,
        dataset_name: i.name,
        dataset_digest: i.digest,
        context: i.context,
        source_type: i.sourceType,
        source: i.source,
        dataset_schema: i.schema ?? null,
        profile: i.profile ?? null,
      })),
    )
    .onConflict((oc) => oc.columns(['run_uuid', 'dataset_name', 'dataset_digest', 'context']).doNothing())
    .execute();
}
