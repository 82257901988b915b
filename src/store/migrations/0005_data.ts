import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Named datasets and their immutable versions. A version's files live in the blob store; the row
 * keeps the relative path → blob mapping, the schema and the profile computed once at registration,
 * so listing and showing versions never reads the data again.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const clustered = dialect === 'sqlite' ? sql`without rowid` : sql``;

  await db.schema
    .createTable('datasets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text')
    .addColumn('created_time', 'bigint', (c) => c.notNull())
    .addColumn('updated_time', 'bigint', (c) => c.notNull())
    .modifyEnd(clustered)
    .execute();

  await db.schema
    .createTable('dataset_versions')
    .addColumn('name', 'text', (c) => c.notNull().references('datasets.name').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('files', 'text', (c) => c.notNull())
    .addColumn('schema', 'text', (c) => c.notNull())
    .addColumn('sensitive', 'text', (c) => c.notNull())
    .addColumn('row_count', 'bigint', (c) => c.notNull())
    .addColumn('profile', 'text')
    .addColumn('created_time', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('dataset_versions_pk', ['name', 'version'])
    // Registering identical content again must find the version, and two racing registrations of it cannot both insert.
    .addUniqueConstraint('dataset_versions_name_digest', ['name', 'digest'])
    .modifyEnd(clustered)
    .execute();
  // `NAME@sha256:…` and lineage look versions up by digest alone.
  await db.schema.createIndex('dataset_versions_digest').on('dataset_versions').column('digest').execute();
}
