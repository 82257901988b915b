import type { DataFormat } from './duckdb.js';

/**
 * The shapes the data capability shares with its neighbours (profiles, expectations, transforms,
 * the feature store, pipelines): what a dataset version is once resolved.
 */

export interface ColumnSchema {
  name: string;
  /** DuckDB's type name, e.g. BIGINT, DOUBLE, VARCHAR, DATE, TIMESTAMP. */
  type: string;
  nullable: boolean;
  /** Tagged sensitive: masked in reports and sample rows. */
  sensitive: boolean;
}

/** One immutable version of a named dataset, readable by the data engine. */
export interface DatasetVersion {
  name: string;
  /** 1, 2, 3 … in registration order within the dataset. */
  version: number;
  /** `sha256:` over the version's files (relative paths and content digests), as `folderDigest` computes. */
  digest: string;
  format: DataFormat;
  /** Local paths of the version's files, in a stable order: what `readFilesSql(files, format)` reads. */
  files: string[];
  schema: ColumnSchema[];
  rowCount: number;
  createdTime: number;
}

/**
 * Finds a dataset version by reference: `NAME` (the latest version), `NAME@3`, or `NAME@sha256:…`.
 * Throws NotFoundError for an unknown name or version.
 */
export interface DatasetResolver {
  resolve(reference: string): Promise<DatasetVersion>;
}
