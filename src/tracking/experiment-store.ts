import type { Kysely } from 'kysely';
import type { Schema } from '../store/index.js';
import type { Experiment, LifecycleStage } from './types.js';

type Db = Kysely<Schema>;

export async function insertExperiment(
  db: Db,
  row: { name: string; artifactLocation?: string | undefined; project?: string | undefined; now: number },
): Promise<number> {
  const inserted = await db
    .insertInto('experiments')
    .values({
      name: row.name,
      artifact_location: row.artifactLocation ?? '',
      lifecycle_stage: 'active',
      creation_time: row.now,
      last_update_time: row.now,
      ...(row.project === undefined ? {} : { project: row.project }),
    })
    .returning('experiment_id')
    .executeTakeFirstOrThrow();
  const id = inserted.experiment_id;
  if (!row.artifactLocation) {
    // The location names the id, which exists only after the insert.
    await db
      .updateTable('experiments')
      .set({ artifact_location: `mlflow-artifacts:/${id}` })
      .where('experiment_id', '=', id)
      .execute();
  }
  return id;
}

export async function findExperimentIdByName(db: Db, name: string): Promise<number | undefined> {
  const row = await db.selectFrom('experiments').select('experiment_id').where('name', '=', name).executeTakeFirst();
  return row?.experiment_id;
}

export async function loadExperiments(db: Db, ids: readonly number[]): Promise<Experiment[]> {
  if (ids.length === 0) return [];
  const [rows, tagRows] = await Promise.all([
    db.selectFrom('experiments').selectAll().where('experiment_id', 'in', ids).execute(),
    db.selectFrom('experiment_tags').selectAll().where('experiment_id', 'in', ids).execute(),
  ]);
  const tagsById = new Map<number, Record<string, string>>();
  for (const tag of tagRows) {
    const tags = tagsById.get(tag.experiment_id) ?? {};
    tags[tag.key] = tag.value;
    tagsById.set(tag.experiment_id, tags);
  }
  const byId = new Map(
    rows.map((r) => [
      r.experiment_id,
      {
        experimentId: String(r.experiment_id),
        name: r.name,
        artifactLocation: r.artifact_location,
        lifecycleStage: r.lifecycle_stage,
        creationTime: r.creation_time,
        lastUpdateTime: r.last_update_time,
        tags: tagsById.get(r.experiment_id) ?? {},
        project: r.project,
      } satisfies Experiment,
    ]),
  );
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export async function updateExperiment(
  db: Db,
  id: number,
  changes: { name?: string; lifecycleStage?: LifecycleStage; project?: string; now: number },
): Promise<void> {
  await db
    .updateTable('experiments')
    .set({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.project !== undefined ? { project: changes.project } : {}),
      ...(changes.lifecycleStage !== undefined ? { lifecycle_stage: changes.lifecycleStage } : {}),
      last_update_time: changes.now,
    })
    .where('experiment_id', '=', id)
    .execute();
}

export async function upsertExperimentTags(db: Db, id: number, tags: Record<string, string>): Promise<void> {
  const rows = Object.entries(tags).map(([key, value]) => ({ experiment_id: id, key, value }));
  if (rows.length === 0) return;
  await db
    .insertInto('experiment_tags')
    .values(rows)
    .onConflict((oc) => oc.columns(['experiment_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
    .execute();
}

export async function deleteExperimentTag(db: Db, id: number, key: string): Promise<number> {
  const result = await db
    .deleteFrom('experiment_tags')
    .where('experiment_id', '=', id)
    .where('key', '=', key)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The experiment's project (by id, as access control gets it from a request); undefined when there is none. */
export async function projectOfExperiment(db: Db, id: string): Promise<string | undefined> {
  if (!/^\d{1,15}$/.test(id)) return undefined;
  const row = await db
    .selectFrom('experiments')
    .select('project')
    .where('experiment_id', '=', Number(id))
    .executeTakeFirst();
  return row?.project;
}

export async function projectOfExperimentNamed(db: Db, name: string): Promise<string | undefined> {
  const row = await db.selectFrom('experiments').select('project').where('name', '=', name).executeTakeFirst();
  return row?.project;
}
