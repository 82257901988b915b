import { sql, type Kysely, type Selectable } from 'kysely';
import { currentActor } from '../governance/index.js';
import type { ModelVersionsTable, Schema } from '../store/index.js';
import type { ModelSignature } from './package.js';
import type { Environment, ModelLineage, ModelVersion, RegisteredModel } from './types.js';

/** The registry's queries; the rules are in service.ts. */

export type VersionRow = Selectable<ModelVersionsTable>;

/** What registration writes: a version as the registry shows it, less what the store assigns or derives. */
export type NewVersion = Omit<ModelVersion, 'version' | 'status' | 'aliases' | 'stages' | 'createdTime' | 'updatedTime' | 'createdBy'>;

/** Creates the model when it is new; either way its updated time moves. */
export async function touchModel(db: Kysely<Schema>, name: string, now: number): Promise<void> {
  await db
    .insertInto('registered_models')
    .values({ name, description: null, created_time: now, updated_time: now })
    .onConflict((c) => c.column('name').doUpdateSet({ updated_time: now }))
    .execute();
}

/** Inserts version max + 1; a racing insert of the same number fails on the primary key. */
export async function insertNextVersion(db: Kysely<Schema>, version: NewVersion, now: number): Promise<number> {
  const { max } = await db
    .selectFrom('model_versions')
    .select((eb) => eb.fn.max<number | null>('version').as('max'))
    .where('name', '=', version.name)
    .executeTakeFirstOrThrow();
  const number = Number(max ?? 0) + 1;
  await db
    .insertInto('model_versions')
    .values({
      name: version.name,
      version: number,
      run_id: version.runId,
      source: version.source,
      manifest_digest: version.manifestDigest,
      flavor: version.flavor,
      signature: JSON.stringify(version.signature),
      metrics: JSON.stringify(version.metrics),
      lineage: JSON.stringify(version.lineage),
      description: version.description,
      status: 'pending',
      created_by: currentActor().actor,
      created_time: now,
      updated_time: now,
    })
    .execute();
  const tags = Object.entries(version.tags);
  if (tags.length > 0) {
    await db
      .insertInto('model_version_tags')
      .values(tags.map(([key, value]) => ({ name: version.name, version: number, key, value })))
      .execute();
  }
  return number;
}

export async function findVersionRow(db: Kysely<Schema>, name: string, version: number): Promise<VersionRow | undefined> {
  return db.selectFrom('model_versions').selectAll().where('name', '=', name).where('version', '=', version).executeTakeFirst();
}

export async function latestVersionNumber(db: Kysely<Schema>, name: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('model_versions')
    .select((eb) => eb.fn.max<number | null>('version').as('max'))
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return row.max === null ? undefined : Number(row.max);
}

export async function modelExists(db: Kysely<Schema>, name: string): Promise<boolean> {
  return (await db.selectFrom('registered_models').select('name').where('name', '=', name).executeTakeFirst()) !== undefined;
}

export async function aliasVersion(db: Kysely<Schema>, name: string, alias: string): Promise<number | undefined> {
  const row = await db.selectFrom('model_aliases').select('version').where('name', '=', name).where('alias', '=', alias).executeTakeFirst();
  return row === undefined ? undefined : Number(row.version);
}

export async function upsertAlias(db: Kysely<Schema>, name: string, alias: string, version: number, now: number): Promise<void> {
  await db
    .insertInto('model_aliases')
    .values({ name, alias, version, updated_time: now })
    .onConflict((c) => c.columns(['name', 'alias']).doUpdateSet({ version, updated_time: now }))
    .execute();
}

export async function deleteAlias(db: Kysely<Schema>, name: string, alias: string): Promise<number> {
  const result = await db.deleteFrom('model_aliases').where('name', '=', name).where('alias', '=', alias).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function upsertStage(db: Kysely<Schema>, name: string, environment: Environment, version: number, now: number): Promise<void> {
  await db
    .insertInto('model_stages')
    .values({ name, environment, version, updated_time: now })
    .onConflict((c) => c.columns(['name', 'environment']).doUpdateSet({ version, updated_time: now }))
    .execute();
}

/** Every file a run logged under `dir` ('' for all), by path relative to `dir`. */
export async function runFilesUnder(db: Kysely<Schema>, runId: string, dir: string): Promise<Map<string, { digest: string; size: number }>> {
  let query = db.selectFrom('run_artifacts').select(['path', 'digest', 'size_bytes']).where('run_uuid', '=', runId);
  if (dir !== '') query = query.where(sql<boolean>`path like ${`${escapeLike(dir)}/%`} escape '\\'`);
  const files = new Map<string, { digest: string; size: number }>();
  for (const row of await query.execute()) {
    files.set(dir === '' ? row.path : row.path.slice(dir.length + 1), { digest: row.digest, size: Number(row.size_bytes) });
  }
  return files;
}

export async function isPipelineRun(db: Kysely<Schema>, runId: string): Promise<boolean> {
  return (await db.selectFrom('pipeline_runs').select('id').where('id', '=', runId).executeTakeFirst()) !== undefined;
}

/** The versions with their tags, aliases and stages, in version order. */
export async function loadVersions(db: Kysely<Schema>, name: string, version?: number): Promise<ModelVersion[]> {
  let query = db.selectFrom('model_versions').selectAll().where('name', '=', name);
  if (version !== undefined) query = query.where('version', '=', version);
  const rows = await query.orderBy('version').execute();
  if (rows.length === 0) return [];
  const tags = await db
    .selectFrom('model_version_tags')
    .select(['version', 'key', 'value'])
    .where('name', '=', name)
    .$if(version !== undefined, (q) => q.where('version', '=', version!))
    .orderBy('key')
    .execute();
  const aliases = await db
    .selectFrom('model_aliases')
    .select(['version', 'alias'])
    .where('name', '=', name)
    .$if(version !== undefined, (q) => q.where('version', '=', version!))
    .orderBy('alias')
    .execute();
  const stages = await db
    .selectFrom('model_stages')
    .select(['version', 'environment'])
    .where('name', '=', name)
    .$if(version !== undefined, (q) => q.where('version', '=', version!))
    .execute();
  return rows.map((row) => {
    const v = Number(row.version);
    return {
      name: row.name,
      version: v,
      runId: row.run_id,
      source: row.source,
      manifestDigest: row.manifest_digest,
      flavor: row.flavor,
      signature: JSON.parse(row.signature) as ModelSignature,
      metrics: JSON.parse(row.metrics) as Record<string, number | null>,
      lineage: JSON.parse(row.lineage) as ModelLineage,
      description: row.description,
      status: row.status,
      tags: Object.fromEntries(tags.filter((t) => Number(t.version) === v).map((t) => [t.key, t.value])),
      aliases: aliases.filter((a) => Number(a.version) === v).map((a) => a.alias),
      stages: ENV_ORDER.filter((env) => stages.some((s) => Number(s.version) === v && s.environment === env)),
      createdTime: Number(row.created_time),
      createdBy: row.created_by,
      updatedTime: Number(row.updated_time),
    };
  });
}

const ENV_ORDER: Environment[] = ['dev', 'staging', 'prod'];

/** Registered models, by name; `nameLike` is a SQL LIKE pattern matched without regard to case. */
export async function listModels(db: Kysely<Schema>, nameLike?: string): Promise<RegisteredModel[]> {
  let query = db.selectFrom('registered_models').selectAll().orderBy('name');
  if (nameLike !== undefined) query = query.where(sql<boolean>`lower(name) like ${nameLike.toLowerCase()}`);
  const models = await query.execute();
  if (models.length === 0) return [];
  const names = models.map((m) => m.name);
  const counts = await db
    .selectFrom('model_versions')
    .select((eb) => ['name', eb.fn.max<number>('version').as('latest'), eb.fn.countAll<number>().as('count')])
    .where('name', 'in', names)
    .groupBy('name')
    .execute();
  const aliases = await db.selectFrom('model_aliases').select(['name', 'alias', 'version']).where('name', 'in', names).orderBy('alias').execute();
  const stages = await db.selectFrom('model_stages').select(['name', 'environment', 'version']).where('name', 'in', names).execute();
  return models.map((model) => {
    const count = counts.find((c) => c.name === model.name);
    return {
      name: model.name,
      description: model.description,
      latestVersion: count === undefined ? null : Number(count.latest),
      versionCount: count === undefined ? 0 : Number(count.count),
      aliases: Object.fromEntries(aliases.filter((a) => a.name === model.name).map((a) => [a.alias, Number(a.version)])),
      stages: Object.fromEntries(
        ENV_ORDER.flatMap((env) => stages.filter((s) => s.name === model.name && s.environment === env).map((s) => [env, Number(s.version)])),
      ),
      createdTime: Number(model.created_time),
      updatedTime: Number(model.updated_time),
    };
  });
}

/** LIKE with an explicit escape character means the same in SQLite and PostgreSQL. */
function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}
