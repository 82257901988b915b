import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DatasetVersionsTable, Schema } from '../store/index.js';
import type { DataFormat } from './duckdb.js';
import type {
  DatasetFile,
  DatasetProfile,
  DatasetSummary,
  DatasetVersionDetail,
  DatasetVersionInfo,
} from './records.js';

/** The data capability's queries; rules live in service.ts. */

type Db = Kysely<Schema> | Transaction<Schema>;
/** A version with its dataset's project: versions have no project of their own. */
type VersionRow = Selectable<DatasetVersionsTable> & { project: string };

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

function selectVersions(db: Db) {
  return db
    .selectFrom('dataset_versions')
    .innerJoin('datasets', 'datasets.name', 'dataset_versions.name')
    .selectAll('dataset_versions')
    .select('datasets.project');
}

export async function findVersionByDigest(db: Db, name: string, digest: string): Promise<VersionRow | undefined> {
  return selectVersions(db)
    .where('dataset_versions.name', '=', name)
    .where('dataset_versions.digest', '=', digest)
    .executeTakeFirst();
}

export async function findVersion(db: Db, name: string, version: number): Promise<VersionRow | undefined> {
  return selectVersions(db)
    .where('dataset_versions.name', '=', name)
    .where('dataset_versions.version', '=', version)
    .executeTakeFirst();
}

export async function findLatestVersion(db: Db, name: string): Promise<VersionRow | undefined> {
  return selectVersions(db)
    .where('dataset_versions.name', '=', name)
    .orderBy('dataset_versions.version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function listVersions(db: Db, name: string): Promise<VersionRow[]> {
  return selectVersions(db).where('dataset_versions.name', '=', name).orderBy('dataset_versions.version').execute();
}

/** A registered version as the `dataset` trigger watches it. */
export interface RegisteredDatasetVersion {
  digest: string;
  version: number;
  registeredTime: number;
}

/** The dataset's registered versions, oldest first; none for a dataset never registered. */
export async function registeredDatasetVersions(db: Db, name: string): Promise<RegisteredDatasetVersion[]> {
  const rows = await db
    .selectFrom('dataset_versions')
    .select(['digest', 'version', 'created_time'])
    .where('name', '=', name)
    .orderBy('version')
    .execute();
  return rows.map((row) => ({ digest: row.digest, version: row.version, registeredTime: Number(row.created_time) }));
}

export async function datasetExists(db: Db, name: string): Promise<boolean> {
  return (await datasetProject(db, name)) !== undefined;
}

/** The dataset's project; undefined when there is no such dataset. */
export async function datasetProject(db: Db, name: string): Promise<string | undefined> {
  return (await db.selectFrom('datasets').select('project').where('name', '=', name).executeTakeFirst())?.project;
}

export interface DatasetFilter {
  /** Only datasets of these projects (the ones the caller may read); absent: every project. */
  projects?: readonly string[];
  /** Only the dataset of this name. */
  name?: string;
}

/** Every dataset (of the filter) with its latest version, by name. */
export async function listDatasets(db: Db, filter: DatasetFilter = {}): Promise<DatasetSummary[]> {
  if (filter.projects !== undefined && filter.projects.length === 0) return [];
  let query = db.selectFrom('datasets').selectAll().orderBy('name');
  if (filter.projects !== undefined) query = query.where('project', 'in', filter.projects);
  if (filter.name !== undefined) query = query.where('name', '=', filter.name);
  const datasets = await query.execute();
  if (datasets.length === 0) return [];
  const latest = await db
    .selectFrom('dataset_versions as v')
    .select(['v.name', 'v.version', 'v.digest', 'v.row_count'])
    .where(({ eb, selectFrom }) =>
      eb(
        'v.version',
        '=',
        selectFrom('dataset_versions as w')
          .select(({ fn }) => fn.max('w.version').as('m'))
          .whereRef('w.name', '=', 'v.name'),
      ),
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
      project: row.project,
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

/**
 * Creates the dataset row (in `project`) when missing; a given description replaces the stored one. The project of an
 * existing one stays.
 */
export async function upsertDataset(
  db: Db,
  name: string,
  project: string,
  description: string | undefined,
  now: number,
): Promise<void> {
  await db
    .insertInto('datasets')
    .values({ name, project, description: description ?? null, created_time: now, updated_time: now })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({ updated_time: now, ...(description === undefined ? {} : { description }) }),
    )
    .execute();
}

export async function moveDataset(db: Db, name: string, project: string, now: number): Promise<void> {
  await db.updateTable('datasets').set({ project, updated_time: now }).where('name', '=', name).execute();
}

/** Inserts the next version number of the dataset (which is in `project`); the caller holds a transaction. */
export async function insertNextVersion(
  db: Db,
  version: NewVersion,
  project: string,
  now: number,
): Promise<VersionRow> {
  const latest = await db
    .selectFrom('dataset_versions')
    .select(({ fn }) => fn.max('version').as('latest'))
    .where('name', '=', version.name)
    .executeTakeFirst();
  const row: Selectable<DatasetVersionsTable> = {
    name: version.name,
    version: Number(latest?.latest ?? 0) + 1,
    digest: version.digest,
    format: version.format,
    files: JSON.stringify(
      Object.fromEntries(version.files.map((f) => [f.path, { digest: f.digest, sizeBytes: f.sizeBytes }])),
    ),
    schema: JSON.stringify(version.schema),
    sensitive: JSON.stringify(version.sensitive),
    row_count: version.rowCount,
    profile: JSON.stringify(version.profile),
    created_time: now,
  };
  await db.insertInto('dataset_versions').values(row).execute();
  return { ...row, project };
}

export function versionInfo(row: VersionRow): DatasetVersionInfo {
  const sensitive = new Set(JSON.parse(row.sensitive) as string[]);
  const files = JSON.parse(row.files) as Record<string, { digest: string; sizeBytes: number }>;
  return {
    name: row.name,
    project: row.project,
    version: Number(row.version),
    digest: row.digest,
    format: row.format,
    files: Object.entries(files)
      .map(([path, file]) => ({ path, digest: file.digest, sizeBytes: file.sizeBytes }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    schema: (JSON.parse(row.schema) as StoredColumn[]).map((column) => ({
      ...column,
      sensitive: sensitive.has(column.name),
    })),
    rowCount: Number(row.row_count),
    createdTime: Number(row.created_time),
  };
}

export function versionDetail(row: VersionRow): DatasetVersionDetail {
  return { ...versionInfo(row), profile: row.profile === null ? null : (JSON.parse(row.profile) as DatasetProfile) };
}
