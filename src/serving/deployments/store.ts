import type { Kysely, Selectable } from 'kysely';
import type { DeploymentsTable, Schema } from '../../store/index.js';
import type { Deployment, DeploymentEvent } from './types.js';
import { StrategySchema } from './types.js';

/** Queries of `deployments` and `deployment_events` (migration `0012_deployments`), on the caller's transaction. */
type Db = Kysely<Schema>;
type Row = Selectable<DeploymentsTable>;

export type NewDeployment = Omit<DeploymentsTable, 'updated_time'>;
export type DeploymentChanges = Partial<
  Pick<
    DeploymentsTable,
    | 'alias'
    | 'pinned_version'
    | 'state'
    | 'message'
    | 'serving_version'
    | 'candidate_version'
    | 'replicas'
    | 'environment'
    | 'runtime'
    | 'strategy'
    | 'capture_rate'
  >
>;

export async function insertDeployment(db: Db, row: NewDeployment): Promise<void> {
  await db
    .insertInto('deployments')
    .values({ ...row, updated_time: row.created_time })
    .execute();
}

export async function findDeployment(db: Db, name: string): Promise<Deployment | undefined> {
  const row = await db.selectFrom('deployments').selectAll().where('name', '=', name).executeTakeFirst();
  return row === undefined ? undefined : deploymentOf(row);
}

export async function listDeployments(db: Db, projects?: readonly string[]): Promise<Deployment[]> {
  let query = db.selectFrom('deployments').selectAll().orderBy('name');
  if (projects !== undefined) {
    if (projects.length === 0) return [];
    query = query.where('project', 'in', projects);
  }
  return (await query.execute()).map(deploymentOf);
}

export async function updateDeployment(db: Db, name: string, changes: DeploymentChanges, now: number): Promise<void> {
  await db
    .updateTable('deployments')
    .set({ ...changes, updated_time: now })
    .where('name', '=', name)
    .execute();
}

export async function deleteDeployment(db: Db, name: string): Promise<number> {
  const result = await db.deleteFrom('deployments').where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * The deployment's project; for a deleted one, the project its last creation recorded in the history
 * (which outlives it), so its history is judged where it belonged rather than in the default project.
 */
export async function projectOfDeployment(db: Db, name: string): Promise<string | undefined> {
  const row = await db.selectFrom('deployments').select('project').where('name', '=', name).executeTakeFirst();
  if (row !== undefined) return row.project;
  const created = await db
    .selectFrom('deployment_events')
    .select('details')
    .where('deployment', '=', name)
    .where('action', '=', 'create')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (created === undefined) return undefined;
  const { project } = JSON.parse(created.details) as { project?: unknown };
  return typeof project === 'string' ? project : undefined;
}

export async function appendEvent(db: Db, event: DeploymentEvent): Promise<void> {
  const last = await db
    .selectFrom('deployment_events')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('deployment', '=', event.deployment)
    .executeTakeFirst();
  await db
    .insertInto('deployment_events')
    .values({
      deployment: event.deployment,
      seq: Number(last?.seq ?? 0) + 1,
      time: event.time,
      actor: event.actor,
      action: event.action,
      from_version: event.fromVersion,
      to_version: event.toVersion,
      reason: event.reason,
      details: JSON.stringify(event.details),
    })
    .execute();
}

/** Oldest first, in the primary key's order. */
export async function listEvents(db: Db, deployment: string): Promise<DeploymentEvent[]> {
  const rows = await db
    .selectFrom('deployment_events')
    .selectAll()
    .where('deployment', '=', deployment)
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({
    deployment: row.deployment,
    time: Number(row.time),
    actor: row.actor,
    action: row.action,
    fromVersion: row.from_version === null ? null : Number(row.from_version),
    toVersion: row.to_version === null ? null : Number(row.to_version),
    reason: row.reason,
    details: JSON.parse(row.details) as Record<string, unknown>,
  }));
}

function deploymentOf(row: Row): Deployment {
  const pinned = row.pinned_version === null ? null : Number(row.pinned_version);
  return {
    name: row.name,
    project: row.project,
    environment: row.environment as Deployment['environment'],
    modelName: row.model_name,
    model: row.alias === null ? `${row.model_name}/${pinned}` : `${row.model_name}@${row.alias}`,
    alias: row.alias,
    pinnedVersion: pinned,
    runtime: row.runtime,
    replicas: Number(row.replicas),
    strategy: StrategySchema.parse(JSON.parse(row.strategy)),
    captureRate: Number(row.capture_rate),
    state: row.state,
    message: row.message,
    servingVersion: row.serving_version === null ? null : Number(row.serving_version),
    candidateVersion: row.candidate_version === null ? null : Number(row.candidate_version),
    createdBy: row.created_by,
    createdTime: Number(row.created_time),
    updatedTime: Number(row.updated_time),
  };
}
