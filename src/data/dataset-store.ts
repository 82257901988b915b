import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DatasetVersionsTable, Schema } from '../store/index.js';
import type { DataFormat } from './duckdb.js';
import type { DatasetFile, DatasetProfile, DatasetSummary, DatasetVersionDetail, DatasetVersionInfo } from './records.js';

/** The data capability's queries; rules live in service.ts. */

type Db = Kysely<Schema> | Transaction<Schema>;
type VersionRow = Selectable<DatasetVersionsTable>;

export interface StoredColumn {
  name: string;
  type: string;
  nullable: boolean;
}

export interface NewVersion {
  name: string;
  digest: string;
  format: DataFormat;
  files: DatasetFile[];
  schema: StoredColumn[];
  sensitive: string[];
  rowCount: number;
  profile: DatasetProfile;
}

export async function findVersionByDigest(db: Db, name: string, digest: string): Promise<VersionRow | undefined> {
  return db.selectFrom('dataset_versions').selectAll().where('name', '=', name).where('digest', '=', digest).executeTakeFirst();
}

export async function findVersion(db: Db, name: string, version: number): Promise<VersionRow | undefined> {
  return db.selectFrom('dataset_versions').selectAll().where('name', '=', name).where('version', '=', version).executeTakeFirst();
}

export async function findLatestVersion(db: Db, name: string): Promise<VersionRow | undefined> {
  return db.selectFrom('dataset_versions').selectAll().where('name', '=', name).orderBy('version', 'desc').limit(1).executeTakeFirst();
}

export async function listVersions(db: Db, name: string): Promise<VersionRow[]> {
  return db.selectFrom('dataset_versions').selectAll().where('name', '=', name).orderBy('version').execute();
}

export async function datasetExists(db: Db, name: string): Promise<boolean> {
  return (await db.selectFrom('datasets').select('name').where('name', '=', name).executeTakeFirst()) !== undefined;
}

/** Every dataset with its latest version, by name. */
export async function listDatasets(db: Db): Promise<DatasetSummary[]> {
  const datasets = await db.selectFrom('datasets').selectAll().orderBy('name').execute();
  const latest = await db
    .selectFrom('dataset_versions as v')
    .select(['v.name', 'v.version', 'v.digest', 'v.row_count'])
    .where(({ eb, selectFrom }) =>
      eb('v.version', '=', selectFrom('dataset_versions as w').select(({ fn }) => fn.max('w.version').as('m')).whereRef('w.name', '=', 'v.name')),
    )
    .execute();
  const counts = await db
    .selectFrom('dataset_versions')
    .select(({ fn }) => ['name', fn.countAll<number>().as('n')])
    .groupBy('name')
    .execute();
  const latestByName = new Map(latest.map((row) => [row.name, row]));
  const countByName = new Map(counts.map((row) => [row.name, Number(row.n)]));
  return datasets.map((row) => {
    const newest = latestByName.get(row.name);
    return {
      name: row.name,
      description: row.description,
      createdTime: Number(row.created_time),
      updatedTime: Number(row.updated_time),
      latestVersion: newest === undefined ? null : newest.version,
      latestDigest: newest?.digest ?? null,
      rowCount: newest === undefined ? null : Number(newest.row_count),
      versionCount: countByName.get(row.name) ?? 0,
    };
  });
}

/** Creates the dataset row when missing; a given description replaces the stored one. */
export async function upsertDataset(db: Db, name: string, description: string | undefined, now: number): Promise<void> {
  await db
    .insertInto('datasets')
    .values({ name, description: description ?? null, created_time: now, updated_time: now })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({ updated_time: now, ...(description === undefined ? {} : { description }) }),
    )
    .execute();
}

/** Inserts the next version number of the dataset; the caller holds a transaction. */
export async function insertNextVersion(db: Db, version: NewVersion, now: number): Promise<VersionRow> {
  const latest = await db
    .selectFrom('dataset_versions')
    .select(({ fn }) => fn.max('version').as('latest'))
    .where('name', '=', version.name)
    .executeTakeFirst();
  const row: VersionRow = {
    name: version.name,
    version: Number(latest?.latest ?? 0) + 1,
    digest: version.digest,
    format: version.format,
    files: JSON.stringify(Object.fromEntries(version.files.map((f) => [f.path, { digest: f.digest, sizeBytes: f.sizeBytes }]))),
    schema: JSON.stringify(version.schema),
    sensitive: JSON.stringify(version.sensitive),
    row_count: version.rowCount,
    profile: JSON.stringify(version.profile),
    created_time: now,
  };
  await db.insertInto('dataset_versions').values(row).execute();
  return row;
}

export function versionInfo(row: VersionRow): DatasetVersionInfo {
  const sensitive = new Set(JSON.parse(row.sensitive) as string[]);
  const files = JSON.parse(row.files) as Record<string, { digest: string; sizeBytes: number }>;
  return {
    name: row.name,
    version: Number(row.version),
    digest: row.digest,
    format: row.format,
    files: Object.entries(files)
      .map(([path, file]) => ({ path, digest: file.digest, sizeBytes: file.sizeBytes }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    schema: (JSON.parse(row.schema) as StoredColumn[]).map((column) => ({ ...column, sensitive: sensitive.has(column.name) })),
    rowCount: Number(row.row_count),
    createdTime: Number(row.created_time),
  };
}

export function versionDetail(row: VersionRow): DatasetVersionDetail {
  return { ...versionInfo(row), profile: row.profile === null ? null : (JSON.parse(row.profile) as DatasetProfile) };
}
