import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Access control: users, API tokens (only a sha256 of the secret is kept), projects and the role
 * each user holds in each project (`*` for every project). Experiments and registered models
 * belong to a project; rows that existed before belong to `default`.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const clustered = dialect === 'sqlite' ? sql`without rowid` : sql``;

  await db.schema
    .createTable('users')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('created_time', 'bigint', (c) => c.notNull())
    .addColumn('disabled_time', 'bigint')
    .modifyEnd(clustered)
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_name', 'text', (c) => c.notNull().references('users.name').onDelete('cascade'))
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('created_time', 'bigint', (c) => c.notNull())
    .addColumn('expires_time', 'bigint')
    .addColumn('revoked_time', 'bigint')
    .addColumn('last_used_time', 'bigint')
    .modifyEnd(clustered)
    .execute();
  await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_name').execute();

  await db.schema
    .createTable('projects')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text')
    .addColumn('created_time', 'bigint', (c) => c.notNull())
    .modifyEnd(clustered)
    .execute();
  await sql`insert into projects (name, description, created_time)
    values ('default', 'where everything starts', ${Date.now()})`.execute(db);

  await db.schema
    .createTable('project_roles')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('user_name', 'text', (c) => c.notNull().references('users.name').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('granted_time', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_roles_pk', ['project', 'user_name'])
    .modifyEnd(clustered)
    .execute();
  await db.schema.createIndex('project_roles_user').on('project_roles').column('user_name').execute();

  await db.schema
    .alterTable('experiments')
    .addColumn('project', 'text', (c) => c.notNull().defaultTo('default'))
    .execute();
  await db.schema.createIndex('experiments_project').on('experiments').column('project').execute();
  await db.schema
    .alterTable('registered_models')
    .addColumn('project', 'text', (c) => c.notNull().defaultTo('default'))
    .execute();
  await db.schema.createIndex('registered_models_project').on('registered_models').column('project').execute();
}
