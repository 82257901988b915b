import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type RawBuilder,
  type Selectable,
  type SqlBool,
} from 'kysely';
import { currentActor } from '../governance/index.js';
import { dialectOf, type ModelVersionStatus, type ModelVersionsTable, type Schema } from '../store/index.js';
import type { ModelSignature } from './package.js';
import type { FilterClause, OrderTerm } from './search.js';
import type { Environment, ModelLineage, ModelVersion, RegisteredModel } from './types.js';

/** The registry's queries; the rules are in service.ts. */

export type VersionRow = Selectable<ModelVersionsTable>;

/** What registration writes: a version as the registry shows it, less what the store assigns or derives. */
export type NewVersion = Omit<
  ModelVersion,
  'version' | 'status' | 'aliases' | 'stages' | 'createdTime' | 'updatedTime' | 'createdBy'
>;

/**
 * `model_versions.manifest_digest` is NOT NULL (migration `0006_registry`); a version without a
 * verified package stores this placeholder, read back as a null `manifestDigest`. No digest is empty.
 */
export const NO_PACKAGE_DIGEST = '';

/** The model's project; undefined when there is no such model. */
export async function projectOfModel(db: Kysely<Schema>, name: string): Promise<string | undefined> {
  const row = await db.selectFrom('registered_models').select('project').where('name', '=', name).executeTakeFirst();
  return row?.project;
}

/** Creates the model in `project` when it is new; either way its updated time moves. Returns whether it was new. */
export async function touchModel(db: Kysely<Schema>, name: string, project: string, now: number): Promise<boolean> {
  const existed = await modelExists(db, name);
  await db
    .insertInto('registered_models')
    .values({ name, description: null, created_time: now, updated_time: now, project })
    .onConflict((c) => c.column('name').doUpdateSet({ updated_time: now }))
    .execute();
  return !existed;
}

export async function insertModel(
  db: Kysely<Schema>,
  model: { name: string; description: string | null; project: string; tags: Record<string, string> },
  now: number,
): Promise<void> {
  await db
    .insertInto('registered_models')
    .values({
      name: model.name,
      description: model.description,
      project: model.project,
      created_time: now,
      updated_time: now,
    })
    .execute();
  const tags = Object.entries(model.tags);
  if (tags.length > 0) {
    await db
      .insertInto('registered_model_tags')
      .values(tags.map(([key, value]) => ({ name: model.name, key, value })))
      .execute();
  }
}

/**
 * Renames a model with everything that hangs off it. The children's foreign keys name the model and
 * neither dialect can update a referenced key in place without ON UPDATE CASCADE, so the rows are
 * copied under the new name and the old model is deleted (which cascades); run it in a transaction.
 */
export async function renameModel(db: Kysely<Schema>, from: string, to: string, now: number): Promise<void> {
  const model = await lockModel(db, from);
  await db
    .insertInto('registered_models')
    .values({ ...model, name: to, updated_time: now })
    .execute();
  const modelTags = await db.selectFrom('registered_model_tags').selectAll().where('name', '=', from).execute();
  await insertChunked(
    db,
    'registered_model_tags',
    modelTags.map((row) => ({ ...row, name: to })),
  );
  const versions = await db.selectFrom('model_versions').selectAll().where('name', '=', from).execute();
  await insertChunked(
    db,
    'model_versions',
    versions.map((row) => ({ ...row, name: to })),
  );
  const versionTags = await db.selectFrom('model_version_tags').selectAll().where('name', '=', from).execute();
  await insertChunked(
    db,
    'model_version_tags',
    versionTags.map((row) => ({ ...row, name: to })),
  );
  const aliases = await db.selectFrom('model_aliases').selectAll().where('name', '=', from).execute();
  await insertChunked(
    db,
    'model_aliases',
    aliases.map((row) => ({ ...row, name: to })),
  );
  const stages = await db.selectFrom('model_stages').selectAll().where('name', '=', from).execute();
  await insertChunked(
    db,
    'model_stages',
    stages.map((row) => ({ ...row, name: to })),
  );
  // The approvals' rows (src/governance/approvals) follow the model too, or deleting the old name
  // would cascade them away; moved, not copied, so gate result ids stay what decisions point at.
  for (const table of ['model_policies', 'model_gate_results', 'model_approvals'] as const) {
    await db.updateTable(table).set({ name: to }).where('name', '=', from).execute();
  }
  await deleteModel(db, from);
}

type CopiedTable = 'registered_model_tags' | 'model_versions' | 'model_version_tags' | 'model_aliases' | 'model_stages';

// Well under SQLite's 32766 bound parameters with model_versions' 15 columns.
const INSERT_CHUNK = 500;

async function insertChunked<T extends CopiedTable>(
  db: Kysely<Schema>,
  table: T,
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    await db
      .insertInto(table)
      .values(rows.slice(start, start + INSERT_CHUNK) as never)
      .execute();
  }
}

/**
 * The model's row, locked on PostgreSQL until the transaction ends so that a registration into it
 * waits rather than adding a version that the rename or delete would miss. SQLite has one writer.
 */
async function lockModel(db: Kysely<Schema>, name: string) {
  return db
    .selectFrom('registered_models')
    .selectAll()
    .where('name', '=', name)
    .$if(dialectOf(db) === 'postgres', (q) => q.forUpdate())
    .executeTakeFirstOrThrow();
}

/** Deletes the model and, children first (so no dialect relies on cascades), everything under it. */
export async function deleteModel(db: Kysely<Schema>, name: string): Promise<number> {
  if (!(await modelExists(db, name))) return 0;
  await lockModel(db, name);
  await db.deleteFrom('model_aliases').where('name', '=', name).execute();
  await db.deleteFrom('model_stages').where('name', '=', name).execute();
  await db.deleteFrom('model_version_tags').where('name', '=', name).execute();
  await db.deleteFrom('model_versions').where('name', '=', name).execute();
  await db.deleteFrom('registered_model_tags').where('name', '=', name).execute();
  const result = await db.deleteFrom('registered_models').where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes the version with its tags and the aliases and stages that point at it. */
export async function deleteVersion(db: Kysely<Schema>, name: string, version: number): Promise<void> {
  await db.deleteFrom('model_aliases').where('name', '=', name).where('version', '=', version).execute();
  await db.deleteFrom('model_stages').where('name', '=', name).where('version', '=', version).execute();
  await db.deleteFrom('model_version_tags').where('name', '=', name).where('version', '=', version).execute();
  await db.deleteFrom('model_versions').where('name', '=', name).where('version', '=', version).execute();
}

export async function modelRow(db: Kysely<Schema>, name: string) {
  return db.selectFrom('registered_models').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function moveModel(db: Kysely<Schema>, name: string, project: string, now: number): Promise<void> {
  await db.updateTable('registered_models').set({ project, updated_time: now }).where('name', '=', name).execute();
}

export async function updateModelDescription(
  db: Kysely<Schema>,
  name: string,
  description: string | null,
  now: number,
): Promise<void> {
  await db.updateTable('registered_models').set({ description, updated_time: now }).where('name', '=', name).execute();
}

export async function updateVersionDescription(
  db: Kysely<Schema>,
  name: string,
  version: number,
  description: string | null,
  now: number,
): Promise<void> {
  await db
    .updateTable('model_versions')
    .set({ description, updated_time: now })
    .where('name', '=', name)
    .where('version', '=', version)
    .execute();
}

export async function modelTag(db: Kysely<Schema>, name: string, key: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('registered_model_tags')
    .select('value')
    .where('name', '=', name)
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value;
}

export async function upsertModelTag(db: Kysely<Schema>, name: string, key: string, value: string): Promise<void> {
  await db
    .insertInto('registered_model_tags')
    .values({ name, key, value })
    .onConflict((c) => c.columns(['name', 'key']).doUpdateSet({ value }))
    .execute();
}

export async function deleteModelTag(db: Kysely<Schema>, name: string, key: string): Promise<void> {
  await db.deleteFrom('registered_model_tags').where('name', '=', name).where('key', '=', key).execute();
}

export async function versionTag(
  db: Kysely<Schema>,
  name: string,
  version: number,
  key: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('model_version_tags')
    .select('value')
    .where('name', '=', name)
    .where('version', '=', version)
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value;
}

export async function upsertVersionTag(
  db: Kysely<Schema>,
  name: string,
  version: number,
  key: string,
  value: string,
): Promise<void> {
  await db
    .insertInto('model_version_tags')
    .values({ name, version, key, value })
    .onConflict((c) => c.columns(['name', 'version', 'key']).doUpdateSet({ value }))
    .execute();
}

export async function deleteVersionTag(db: Kysely<Schema>, name: string, version: number, key: string): Promise<void> {
  await db
    .deleteFrom('model_version_tags')
    .where('name', '=', name)
    .where('version', '=', version)
    .where('key', '=', key)
    .execute();
}

export async function touchVersion(db: Kysely<Schema>, name: string, version: number, now: number): Promise<void> {
  await db
    .updateTable('model_versions')
    .set({ updated_time: now })
    .where('name', '=', name)
    .where('version', '=', version)
    .execute();
}

export async function touchModelTime(db: Kysely<Schema>, name: string, now: number): Promise<void> {
  await db.updateTable('registered_models').set({ updated_time: now }).where('name', '=', name).execute();
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
      manifest_digest: version.manifestDigest ?? NO_PACKAGE_DIGEST,
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

/** The version with its tags, aliases and stages; for other capabilities' transactions (approvals). */
export async function findVersion(
  db: Kysely<Schema>,
  name: string,
  version: number,
): Promise<ModelVersion | undefined> {
  return (await loadVersions(db, name, version))[0];
}

export async function findVersionRow(
  db: Kysely<Schema>,
  name: string,
  version: number,
): Promise<VersionRow | undefined> {
  return db
    .selectFrom('model_versions')
    .selectAll()
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
}

/** What approval needs of a version: its status and author. */
export async function findVersionState(
  db: Kysely<Schema>,
  name: string,
  version: number,
): Promise<{ status: ModelVersionStatus; createdBy: string } | undefined> {
  const row = await db
    .selectFrom('model_versions')
    .select(['status', 'created_by'])
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
  return row === undefined ? undefined : { status: row.status, createdBy: row.created_by };
}

/** Moves a pending version to its decision; 0 when it was no longer pending (a racing decision). */
export async function decideVersionStatus(
  db: Kysely<Schema>,
  name: string,
  version: number,
  decision: 'approved' | 'rejected',
  now: number,
): Promise<number> {
  const result = await db
    .updateTable('model_versions')
    .set({ status: decision, updated_time: now })
    .where('name', '=', name)
    .where('version', '=', version)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
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
  return (
    (await db.selectFrom('registered_models').select('name').where('name', '=', name).executeTakeFirst()) !== undefined
  );
}

export async function aliasVersion(db: Kysely<Schema>, name: string, alias: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('model_aliases')
    .select('version')
    .where('name', '=', name)
    .where('alias', '=', alias)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.version);
}

export async function upsertAlias(
  db: Kysely<Schema>,
  name: string,
  alias: string,
  version: number,
  now: number,
): Promise<void> {
  await db
    .insertInto('model_aliases')
    .values({ name, alias, version, updated_time: now })
    .onConflict((c) => c.columns(['name', 'alias']).doUpdateSet({ version, updated_time: now }))
    .execute();
}

export async function deleteAlias(db: Kysely<Schema>, name: string, alias: string): Promise<number> {
  const result = await db
    .deleteFrom('model_aliases')
    .where('name', '=', name)
    .where('alias', '=', alias)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function upsertStage(
  db: Kysely<Schema>,
  name: string,
  environment: Environment,
  version: number,
  now: number,
): Promise<void> {
  await db
    .insertInto('model_stages')
    .values({ name, environment, version, updated_time: now })
    .onConflict((c) => c.columns(['name', 'environment']).doUpdateSet({ version, updated_time: now }))
    .execute();
}

/** Takes the version out of the environment; 0 when another version (or none) ran there. */
export async function deleteStage(
  db: Kysely<Schema>,
  name: string,
  environment: Environment,
  version: number,
): Promise<number> {
  const result = await db
    .deleteFrom('model_stages')
    .where('name', '=', name)
    .where('environment', '=', environment)
    .where('version', '=', version)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The versions with their tags, aliases and stages, in version order. */
export async function loadVersions(db: Kysely<Schema>, name: string, version?: number): Promise<ModelVersion[]> {
  let query = db.selectFrom('model_versions').selectAll().where('name', '=', name);
  if (version !== undefined) query = query.where('version', '=', version);
  return hydrateVersions(db, await query.orderBy('version').execute());
}

/** Rows → versions with their tags, aliases and stages, in the rows' order. */
async function hydrateVersions(db: Kysely<Schema>, rows: readonly VersionRow[]): Promise<ModelVersion[]> {
  if (rows.length === 0) return [];
  const keys = rows.map((row) => ({ name: row.name, version: Number(row.version) }));
  const tags = await db
    .selectFrom('model_version_tags')
    .select(['name', 'version', 'key', 'value'])
    .where(ofVersions(keys))
    .orderBy('key')
    .execute();
  const aliases = await db
    .selectFrom('model_aliases')
    .select(['name', 'version', 'alias'])
    .where(ofVersions(keys))
    .orderBy('alias')
    .execute();
  const stages = await db
    .selectFrom('model_stages')
    .select(['name', 'version', 'environment'])
    .where(ofVersions(keys))
    .execute();
  return rows.map((row) => {
    const v = Number(row.version);
    const same = (other: { name: string; version: number }) => other.name === row.name && Number(other.version) === v;
    return {
      name: row.name,
      version: v,
      runId: row.run_id,
      source: row.source,
      manifestDigest: row.manifest_digest === NO_PACKAGE_DIGEST ? null : row.manifest_digest,
      flavor: row.flavor,
      signature: JSON.parse(row.signature) as ModelSignature,
      metrics: JSON.parse(row.metrics) as Record<string, number | null>,
      lineage: JSON.parse(row.lineage) as ModelLineage,
      description: row.description,
      status: row.status,
      tags: Object.fromEntries(tags.filter(same).map((t) => [t.key, t.value])),
      aliases: aliases.filter(same).map((a) => a.alias),
      stages: ENV_ORDER.filter((env) => stages.some((s) => same(s) && s.environment === env)),
      createdTime: Number(row.created_time),
      createdBy: row.created_by,
      updatedTime: Number(row.updated_time),
    };
  });
}

/** `(name, version)` is one of the keys; for the tables keyed by a version. */
function ofVersions(keys: readonly { name: string; version: number }[]) {
  return (eb: ExpressionBuilder<Schema, 'model_version_tags' | 'model_aliases' | 'model_stages'>) =>
    eb.or(keys.map((k) => eb.and([eb('name', '=', k.name), eb('version', '=', k.version)])));
}

const ENV_ORDER: Environment[] = ['dev', 'staging', 'prod'];

/** Registered models, by name; `nameLike` is a SQL LIKE pattern matched without regard to case. */
export async function listModels(db: Kysely<Schema>, nameLike?: string): Promise<RegisteredModel[]> {
  let query = db.selectFrom('registered_models').selectAll().orderBy('name');
  if (nameLike !== undefined) query = query.where(sql<boolean>`lower(name) like ${nameLike.toLowerCase()}`);
  return hydrateModels(db, await query.execute());
}

type ModelRow = Selectable<Schema['registered_models']>;

/** Rows → models with their version counts, tags, aliases and stages, in the rows' order. */
async function hydrateModels(db: Kysely<Schema>, models: readonly ModelRow[]): Promise<RegisteredModel[]> {
  if (models.length === 0) return [];
  const names = models.map((m) => m.name);
  const counts = await db
    .selectFrom('model_versions')
    .select((eb) => ['name', eb.fn.max<number>('version').as('latest'), eb.fn.countAll<number>().as('count')])
    .where('name', 'in', names)
    .groupBy('name')
    .execute();
  const tags = await db
    .selectFrom('registered_model_tags')
    .select(['name', 'key', 'value'])
    .where('name', 'in', names)
    .orderBy('key')
    .execute();
  const aliases = await db
    .selectFrom('model_aliases')
    .select(['name', 'alias', 'version'])
    .where('name', 'in', names)
    .orderBy('alias')
    .execute();
  const stages = await db
    .selectFrom('model_stages')
    .select(['name', 'environment', 'version'])
    .where('name', 'in', names)
    .execute();
  return models.map((model) => {
    const count = counts.find((c) => c.name === model.name);
    return {
      name: model.name,
      project: model.project,
      description: model.description,
      tags: Object.fromEntries(tags.filter((t) => t.name === model.name).map((t) => [t.key, t.value])),
      latestVersion: count === undefined ? null : Number(count.latest),
      versionCount: count === undefined ? 0 : Number(count.count),
      aliases: Object.fromEntries(
        aliases.filter((a) => a.name === model.name).map((a) => [a.alias, Number(a.version)]),
      ),
      stages: Object.fromEntries(
        ENV_ORDER.flatMap((env) =>
          stages.filter((s) => s.name === model.name && s.environment === env).map((s) => [env, Number(s.version)]),
        ),
      ),
      createdTime: Number(model.created_time),
      updatedTime: Number(model.updated_time),
    };
  });
}

export async function getModel(db: Kysely<Schema>, name: string): Promise<RegisteredModel | undefined> {
  const row = await modelRow(db, name);
  return row === undefined ? undefined : (await hydrateModels(db, [row]))[0];
}

export interface SearchWindow {
  clauses: readonly FilterClause[];
  order: readonly OrderTerm[];
  offset: number;
  /** Rows to read: a page and one more, which tells whether another page follows. */
  limit: number;
  /** Only models of these projects; absent: every project. */
  projects?: readonly string[] | undefined;
}

/** Models matching every clause, in the requested order with the name as the tie-breaker. */
export async function searchModels(db: Kysely<Schema>, window: SearchWindow): Promise<RegisteredModel[]> {
  const dialect = dialectOf(db);
  let query = db.selectFrom('registered_models').selectAll();
  if (window.projects !== undefined) {
    if (window.projects.length === 0) return [];
    query = query.where('registered_models.project', 'in', window.projects);
  }
  for (const clause of window.clauses) {
    const condition =
      clause.field === 'tag'
        ? sql<SqlBool>`exists (select 1 from registered_model_tags t
            where t.name = registered_models.name and t.key = ${clause.key}
            and ${compare(sql.ref('t.value'), clause, dialect)})`
        : compare(sql.ref('registered_models.name'), clause, dialect);
    query = query.where(condition);
  }
  for (const term of withTieBreakers(window.order, ['name']))
    query = query.orderBy(sql.ref(`registered_models.${term.column}`), term.direction);
  return hydrateModels(db, await query.offset(window.offset).limit(window.limit).execute());
}

/** Versions matching every clause, in the requested order with name and version as tie-breakers. */
export async function searchVersions(db: Kysely<Schema>, window: SearchWindow): Promise<ModelVersion[]> {
  const dialect = dialectOf(db);
  let query = db.selectFrom('model_versions').selectAll();
  if (window.projects !== undefined) {
    if (window.projects.length === 0) return [];
    const projects = window.projects;
    query = query.where('model_versions.name', 'in', (eb) =>
      eb.selectFrom('registered_models').select('name').where('project', 'in', projects),
    );
  }
  for (const clause of window.clauses) {
    const condition =
      clause.field === 'tag'
        ? sql<SqlBool>`exists (select 1 from model_version_tags t
            where t.name = model_versions.name and t.version = model_versions.version and t.key = ${clause.key}
            and ${compare(sql.ref('t.value'), clause, dialect)})`
        : compare(sql.ref(`model_versions.${clause.field}`), clause, dialect);
    query = query.where(condition);
  }
  for (const term of withTieBreakers(window.order, ['name', 'version']))
    query = query.orderBy(sql.ref(`model_versions.${term.column}`), term.direction);
  return hydrateVersions(db, await query.offset(window.offset).limit(window.limit).execute());
}

function withTieBreakers(order: readonly OrderTerm[], keys: readonly OrderTerm['column'][]): OrderTerm[] {
  const terms = [...order];
  for (const column of keys) if (!terms.some((t) => t.column === column)) terms.push({ column, direction: 'asc' });
  return terms;
}

/**
 * One comparison, every value a bound parameter. LIKE is case-sensitive and ILIKE is not, as in
 * MLflow; SQLite's LIKE ignores case, so there LIKE becomes the equivalent GLOB.
 */
function compare(
  column: Expression<unknown>,
  clause: FilterClause,
  dialect: ReturnType<typeof dialectOf>,
): RawBuilder<SqlBool> {
  const [value = ''] = clause.values;
  switch (clause.op) {
    case '=':
      return sql<SqlBool>`${column} = ${value}`;
    case '!=':
      return sql<SqlBool>`${column} <> ${value}`;
    case 'LIKE':
      return dialect === 'sqlite'
        ? sql<SqlBool>`${column} glob ${likeToGlob(value)}`
        : sql<SqlBool>`${column} like ${value} escape '\\'`;
    case 'ILIKE':
      return sql<SqlBool>`lower(${column}) like lower(${value}) escape '\\'`;
    case 'IN':
      return sql<SqlBool>`${column} in (${sql.join(clause.values)})`;
  }
}

/** A LIKE pattern (`%`, `_`, `\` escaping the next character) as the GLOB pattern that matches the same strings. */
export function likeToGlob(pattern: string): string {
  let glob = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '\\' && i + 1 < pattern.length) glob += literalGlob(pattern[++i]!);
    else if (char === '%') glob += '*';
    else if (char === '_') glob += '?';
    else glob += literalGlob(char);
  }
  return glob;
}

function literalGlob(char: string): string {
  return char === '*' || char === '?' || char === '[' ? `[${char}]` : char;
}
