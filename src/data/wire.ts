import { z } from 'zod';
import {
  ColumnProfileSchema,
  ColumnSchemaSchema,
  DATA_FORMATS,
  type ColumnProfile,
  type DatasetFile,
  type DatasetProfile,
  type DatasetSummary,
  type DatasetVersionDetail,
  type DatasetVersionInfo,
} from './records.js';

/**
 * The dataset routes' answers (docs/rest-api.md): the records of records.ts with snake_case field
 * names, translated here and nowhere else. Column names, quantile labels and top values are data and
 * keep their spelling.
 */

const FileReply = z.object({ path: z.string(), digest: z.string(), size_bytes: z.number() });

const ColumnProfileReply = ColumnProfileSchema.omit({ topValues: true }).extend({
  top_values: ColumnProfileSchema.shape.topValues,
});

const ProfileReply = z.object({ row_count: z.number(), columns: z.array(ColumnProfileReply) });

export const DatasetVersionReply = z.object({
  name: z.string(),
  project: z.string(),
  version: z.number(),
  digest: z.string(),
  format: z.enum(DATA_FORMATS),
  files: z.array(FileReply),
  schema: z.array(ColumnSchemaSchema),
  row_count: z.number(),
  created_time: z.number(),
});

export const DatasetVersionDetailReply = DatasetVersionReply.extend({ profile: ProfileReply.nullable() });

export const DatasetSummaryReply = z.object({
  name: z.string(),
  project: z.string(),
  description: z.string().nullable(),
  created_time: z.number(),
  updated_time: z.number(),
  latest_version: z.number().nullable(),
  latest_digest: z.string().nullable(),
  row_count: z.number().nullable(),
  version_count: z.number(),
});

function fileToWire(file: DatasetFile): z.input<typeof FileReply> {
  return { path: file.path, digest: file.digest, size_bytes: file.sizeBytes };
}

function columnProfileToWire(column: ColumnProfile): z.input<typeof ColumnProfileReply> {
  const { topValues, ...profiled } = column;
  return topValues === undefined ? profiled : { ...profiled, top_values: topValues };
}

function profileToWire(profile: DatasetProfile): z.input<typeof ProfileReply> {
  return { row_count: profile.rowCount, columns: profile.columns.map(columnProfileToWire) };
}

export function versionToWire(version: DatasetVersionInfo): z.input<typeof DatasetVersionReply> {
  return {
    name: version.name,
    project: version.project,
    version: version.version,
    digest: version.digest,
    format: version.format,
    files: version.files.map(fileToWire),
    schema: version.schema,
    row_count: version.rowCount,
    created_time: version.createdTime,
  };
}

export function versionDetailToWire(version: DatasetVersionDetail): z.input<typeof DatasetVersionDetailReply> {
  return { ...versionToWire(version), profile: version.profile === null ? null : profileToWire(version.profile) };
}

export function summaryToWire(summary: DatasetSummary): z.input<typeof DatasetSummaryReply> {
  return {
    name: summary.name,
    project: summary.project,
    description: summary.description,
    created_time: summary.createdTime,
    updated_time: summary.updatedTime,
    latest_version: summary.latestVersion,
    latest_digest: summary.latestDigest,
    row_count: summary.rowCount,
    version_count: summary.versionCount,
  };
}
