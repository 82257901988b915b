import { z } from 'zod';
import { ColumnSchemaSchema, type ColumnProfile, type DatasetVersionDetail } from './records.js';

/** What changed between two versions of a dataset: its columns, then each shared column's statistics. */

const ChangeSchema = z.object({
  before: z.number().nullable(),
  after: z.number().nullable(),
  delta: z.number().nullable(),
});
export type Change = z.infer<typeof ChangeSchema>;

const VersionRefSchema = z.object({ version: z.number(), digest: z.string(), rowCount: z.number() });

export const DatasetDiffSchema = z.object({
  name: z.string(),
  from: VersionRefSchema,
  to: VersionRefSchema,
  rowCount: ChangeSchema,
  schema: z.object({
    added: z.array(ColumnSchemaSchema),
    removed: z.array(ColumnSchemaSchema),
    typeChanged: z.array(z.object({ name: z.string(), before: z.string(), after: z.string() })),
    /** Nullability or the sensitive tag changed. */
    flagsChanged: z.array(
      z.object({ name: z.string(), field: z.enum(['nullable', 'sensitive']), before: z.boolean(), after: z.boolean() }),
    ),
  }),
  /** Columns in both versions, in the newer version's order. */
  columns: z.array(z.object({ name: z.string(), nulls: ChangeSchema, distinct: ChangeSchema, mean: ChangeSchema })),
});
export type DatasetDiff = z.infer<typeof DatasetDiffSchema>;

export function computeDiff(before: DatasetVersionDetail, after: DatasetVersionDetail): DatasetDiff {
  const beforeColumns = new Map(before.schema.map((column) => [column.name, column]));
  const afterNames = new Set(after.schema.map((column) => column.name));
  const typeChanged: DatasetDiff['schema']['typeChanged'] = [];
  const flagsChanged: DatasetDiff['schema']['flagsChanged'] = [];
  for (const column of after.schema) {
    const old = beforeColumns.get(column.name);
    if (!old) continue;
    if (old.type !== column.type) typeChanged.push({ name: column.name, before: old.type, after: column.type });
    for (const field of ['nullable', 'sensitive'] as const) {
      if (old[field] !== column[field])
        flagsChanged.push({ name: column.name, field, before: old[field], after: column[field] });
    }
  }
  const beforeProfiles = profilesByName(before);
  const afterProfiles = profilesByName(after);
  return {
    name: after.name,
    from: { version: before.version, digest: before.digest, rowCount: before.rowCount },
    to: { version: after.version, digest: after.digest, rowCount: after.rowCount },
    rowCount: change(before.rowCount, after.rowCount),
    schema: {
      added: after.schema.filter((column) => !beforeColumns.has(column.name)),
      removed: before.schema.filter((column) => !afterNames.has(column.name)),
      typeChanged,
      flagsChanged,
    },
    columns: after.schema
      .filter((column) => beforeColumns.has(column.name))
      .map((column) => {
        const old = beforeProfiles.get(column.name);
        const now = afterProfiles.get(column.name);
        return {
          name: column.name,
          nulls: change(old?.nulls, now?.nulls),
          distinct: change(old?.distinct, now?.distinct),
          mean: change(old?.mean, now?.mean),
        };
      }),
  };
}

function profilesByName(version: DatasetVersionDetail): Map<string, ColumnProfile> {
  return new Map((version.profile?.columns ?? []).map((column) => [column.name, column]));
}

function change(before: number | null | undefined, after: number | null | undefined): Change {
  const b = before ?? null;
  const a = after ?? null;
  return { before: b, after: a, delta: a === null || b === null ? null : a - b };
}
