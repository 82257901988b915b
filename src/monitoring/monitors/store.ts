import type { Kysely } from 'kysely';
import type { Schema } from '../../store/index.js';

/** A stored monitor: the validated definition (JSON) and the YAML it was applied from. */
export interface StoredMonitor {
  name: string;
  project: string;
  deployment: string;
  definition: string;
  source: string;
  createdBy: string;
  createdTime: number;
  updatedTime: number;
}

/** The project of a monitor, which access control judges its routes and its alerts by; undefined: no such monitor. */
export async function projectOfMonitor(db: Kysely<Schema>, name: string): Promise<string | undefined> {
  const row = await db.selectFrom('monitors').select('project').where('name', '=', name).executeTakeFirst();
  return row?.project;
}

export async function findMonitor(db: Kysely<Schema>, name: string): Promise<StoredMonitor | undefined> {
  const row = await db.selectFrom('monitors').selectAll().where('name', '=', name).executeTakeFirst();
  return row === undefined ? undefined : monitorOf(row);
}

export async function listMonitors(db: Kysely<Schema>, projects?: readonly string[]): Promise<StoredMonitor[]> {
  let query = db.selectFrom('monitors').selectAll();
  if (projects !== undefined) {
    if (projects.length === 0) return [];
    query = query.where('project', 'in', projects);
  }
  return (await query.orderBy('name').execute()).map(monitorOf);
}

/** Creates the monitor or replaces its definition (its results and alert history stay). */
export async function saveMonitor(db: Kysely<Schema>, monitor: StoredMonitor): Promise<void> {
  await db
    .insertInto('monitors')
    .values({
      name: monitor.name,
      project: monitor.project,
      deployment: monitor.deployment,
      definition: monitor.definition,
      source: monitor.source,
      created_by: monitor.createdBy,
      created_time: monitor.createdTime,
      updated_time: monitor.updatedTime,
    })
    .onConflict((conflict) =>
      conflict.column('name').doUpdateSet({
        project: monitor.project,
        deployment: monitor.deployment,
        definition: monitor.definition,
        source: monitor.source,
        updated_time: monitor.updatedTime,
      }),
    )
    .execute();
}

export async function deleteMonitor(db: Kysely<Schema>, name: string): Promise<boolean> {
  const result = await db.deleteFrom('monitors').where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

function monitorOf(row: Schema['monitors']): StoredMonitor {
  return {
    name: row.name,
    project: row.project,
    deployment: row.deployment,
    definition: row.definition,
    source: row.source,
    createdBy: row.created_by,
    createdTime: Number(row.created_time),
    updatedTime: Number(row.updated_time),
  };
}
