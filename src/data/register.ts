import { createReadStream } from 'node:fs';
import { sha256DigestOfFile, type BlobStore } from '../artifacts/index.js';
import { InvalidInputError, InvalidStateError } from '../common/errors.js';
import { folderDigest } from '../pipelines/index.js';
import { checkCsvFile } from './csv-check.js';
import type { StoredColumn } from './dataset-store.js';
import { dataReadError, readFilesSql, sqlIdentifier, type DataEngine, type DataFormat } from './duckdb.js';
import { computeProfile } from './profile.js';
import type { DatasetFile, DatasetProfile } from './records.js';
import { checkDeclaredSchema, checkSensitive, inferSchema } from './schema.js';
import type { Source, SourceFile } from './sources.js';

/**
 * The steps of registering a version, in the order the service runs them: hash (enough to find an
 * identical version, which ends the registration), inspect (well-formed, schema, sensitive tags,
 * profile; every check before anything is stored), then copy into the blob store.
 */

export interface HashedFile extends SourceFile {
  digest: string;
}

export interface HashedSource {
  format: DataFormat;
  files: HashedFile[];
  /** `folderDigest` over (relative path, file digest): the version's address. */
  digest: string;
}

export interface Inspection {
  schema: StoredColumn[];
  sensitive: string[];
  rowCount: number;
  profile: DatasetProfile;
}

export async function hashSource(source: Source): Promise<HashedSource> {
  const files: HashedFile[] = [];
  for (const file of source.files) files.push({ ...file, digest: await sha256DigestOfFile(file.file) });
  return { format: source.format, files, digest: folderDigest(files) };
}

export async function inspectSource(
  engine: DataEngine,
  source: HashedSource,
  options: {
    declared?: StoredColumn[] | undefined;
    /** Given by the user: each must be a column. */
    sensitive?: readonly string[] | undefined;
    /** The previous version's tags: kept for the columns still there. */
    inheritedSensitive?: readonly string[] | undefined;
    where: string;
  },
): Promise<Inspection> {
  try {
    if (source.format === 'csv') {
      for (const file of source.files) {
        await checkCsvFile(engine, file.file, file.shownAs ?? file.file, file.lineOffset ?? 0);
      }
    }
    const read = readFilesSql(
      source.files.map((file) => file.file),
      source.format,
    );
    const inferred = await inferSchema(engine, read);
    const { declared } = options;
    if (declared !== undefined) await checkDeclaredSchema(engine, read, inferred, declared, options.where);
    const columns = declared ?? inferred;
    const names = new Set(columns.map((column) => column.name));
    const sensitive =
      options.sensitive === undefined
        ? (options.inheritedSensitive ?? []).filter((name) => names.has(name))
        : checkSensitive(columns, options.sensitive);
    // Profiled as declared, so the profile's types are the version's types.
    const casts = declared?.map((c) => `CAST(${sqlIdentifier(c.name)} AS ${c.type}) AS ${sqlIdentifier(c.name)}`);
    const relation = casts === undefined ? read : `(SELECT ${casts.join(', ')} FROM ${read})`;
    const profile = await computeProfile(
      engine,
      relation,
      columns.map((column) => ({ name: column.name, type: column.type, sensitive: sensitive.includes(column.name) })),
    );
    const nulls = new Map(profile.columns.map((column) => [column.name, column.nulls]));
    const schema = declared ?? inferred.map((column) => ({ ...column, nullable: (nulls.get(column.name) ?? 0) > 0 }));
    if (profile.rowCount === 0) {
      throw new InvalidInputError(`${options.where} has no rows`, {
        where: options.where,
        hint: 'a dataset version needs at least one row',
      });
    }
    return { schema, sensitive, rowCount: profile.rowCount, profile };
  } catch (error) {
    throw dataReadError(error, options.where);
  }
}

/** Copies the files into the blob store; a file that changed since it was hashed fails the registration. */
export async function storeFiles(blobs: BlobStore, files: readonly HashedFile[]): Promise<DatasetFile[]> {
  const stored: DatasetFile[] = [];
  for (const file of files) {
    const blob = await blobs.put(createReadStream(file.file));
    if (blob.digest !== file.digest) {
      throw new InvalidStateError(`${file.file} changed while it was being registered`, {
        where: file.file,
        hint: 'register again once nothing writes to the files',
      });
    }
    stored.push({ path: file.path, digest: blob.digest, sizeBytes: blob.sizeBytes });
  }
  return stored;
}
