import type { Kysely, Selectable } from 'kysely';
import type { ApiTokensTable, Schema } from '../../store/index.js';
import type { Action, Role } from './route-access.js';

/** Access control's queries; the rules are in service.ts. */

type Db = Kysely<Schema>;
export type TokenRow = Selectable<ApiTokensTable>;

export async function findUser(db: Db, name: string) {
  return db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function listUsers(db: Db) {
  return db.selectFrom('users').selectAll().orderBy('name').execute();
}

export async function insertUser(db: Db, name: string, now: number): Promise<void> {
  await db.insertInto('users').values({ name, created_time: now, disabled_time: null }).execute();
}

export async function setUserDisabled(db: Db, name: string, disabledTime: number | null): Promise<void> {
  await db.updateTable('users').set({ disabled_time: disabledTime }).where('name', '=', name).execute();
}

export async function insertToken(
  db: Db,
  token: {
    id: string;
    user: string;
    hash: string;
    scopes: Action[];
    description: string | null;
    now: number;
    expiresTime: number | null;
  },
): Promise<void> {
  await db
    .insertInto('api_tokens')
    .values({
      id: token.id,
      user_name: token.user,
      secret_hash: token.hash,
      scopes: JSON.stringify(token.scopes),
      description: token.description,
      created_time: token.now,
      expires_time: token.expiresTime,
      revoked_time: null,
      last_used_time: null,
    })
    .execute();
}

/** The token with its user's disabled time, in one round trip: this runs on every authenticated request. */
export async function findTokenByHash(
  db: Db,
  hash: string,
): Promise<(TokenRow & { user_disabled_time: number | null }) | undefined> {
  return db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.name', 'api_tokens.user_name')
    .selectAll('api_tokens')
    .select('users.disabled_time as user_disabled_time')
    .where('api_tokens.secret_hash', '=', hash)
    .executeTakeFirst();
}

export async function findToken(db: Db, id: string): Promise<TokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listTokens(db: Db, user?: string): Promise<TokenRow[]> {
  let query = db.selectFrom('api_tokens').selectAll().orderBy('created_time').orderBy('id');
  if (user !== undefined) query = query.where('user_name', '=', user);
  return query.execute();
}

export async function revokeToken(db: Db, id: string, now: number): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ revoked_time: now })
    .where('id', '=', id)
    .where('revoked_time', 'is', null)
    .execute();
}

export async function touchToken(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_time: now }).where('id', '=', id).execute();
}

export async function rolesOf(db: Db, user: string): Promise<{ project: string; role: Role }[]> {
  return db
    .selectFrom('project_roles')
    .select(['project', 'role'])
    .where('user_name', '=', user)
    .orderBy('project')
    .execute();
}

export async function roleIn(db: Db, project: string, user: string): Promise<Role | undefined> {
  const row = await db
    .selectFrom('project_roles')
    .select('role')
    .where('project', '=', project)
    .where('user_name', '=', user)
    .executeTakeFirst();
  return row?.role;
}

export async function members(db: Db, project: string) {
  return db.selectFrom('project_roles').selectAll().where('project', '=', project).orderBy('user_name').execute();
}

export async function upsertRole(db: Db, project: string, user: string, role: Role, now: number): Promise<void> {
  await db
    .insertInto('project_roles')
    .values({ project, user_name: user, role, granted_time: now })
    .onConflict((c) => c.columns(['project', 'user_name']).doUpdateSet({ role, granted_time: now }))
    .execute();
}

export async function deleteRole(db: Db, project: string, user: string): Promise<number> {
  const result = await db
    .deleteFrom('project_roles')
    .where('project', '=', project)
    .where('user_name', '=', user)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function findProject(db: Db, name: string) {
  return db.selectFrom('projects').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function listProjects(db: Db) {
  return db.selectFrom('projects').selectAll().orderBy('name').execute();
}

export async function insertProject(db: Db, name: string, description: string | null, now: number): Promise<void> {
  await db.insertInto('projects').values({ name, description, created_time: now }).execute();
}

export async function setProjectDescription(db: Db, name: string, description: string | null): Promise<void> {
  await db.updateTable('projects').set({ description }).where('name', '=', name).execute();
}
