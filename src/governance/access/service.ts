import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  AlreadyExistsError,
  InvalidInputError,
  InvalidStateError,
  NotFoundError,
  PermissionDeniedError,
  UnauthenticatedError,
} from '../../common/errors.js';
import { parseInput } from '../../common/validation.js';
import type { Schema } from '../../store/index.js';
import { auditRefusals, digestOf, type AuditLog } from '../audit/index.js';
import {
  ACTIONS,
  DEFAULT_PROJECT,
  ProjectNameSchema,
  ROLES,
  type Action,
  type ResourceRef,
  type Role,
} from './route-access.js';
import * as store from './store.js';
import { hashTokenSecret, looksLikeTokenSecret, newTokenSecret } from './tokens.js';

/** Project `*` in a role grant: every project, and the server itself (users, tokens, audit). */
export const EVERY_PROJECT = '*';

const NameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/,
    'must be letters, digits, ".", "_", "@" or "-" (starting with a letter or digit), at most 100 characters',
  );
const RoleSchema = z.enum(ROLES);
const ScopesSchema = z.array(z.enum(ACTIONS)).min(1, 'must name at least one of read, write, approve, admin');

const CreateTokenSchema = z.strictObject({
  scopes: ScopesSchema.default([...ACTIONS]),
  /** Lifetime in days; absent → never expires. */
  expiresInDays: z.number().positive().max(3650).optional(),
  description: z.string().max(500).optional(),
});
export type CreateTokenOptions = z.input<typeof CreateTokenSchema>;

/** Who is calling, once their token checked out. */
export interface Principal {
  user: string;
  /** The token used; null for callers the server trusts without one (auth off, the embedded CLI). */
  tokenId: string | null;
  /** Actions the token may perform at most; the roles decide within them. */
  scopes: readonly Action[];
  /** Every project, within the scopes (auth off; the server's own token for the steps it starts). */
  unrestricted: boolean;
  /** When the token used expires (ms since the epoch); absent when it never does. Tokens it creates expire no later. */
  expiresTime?: number;
}

/**
 * A token held only in memory by a server with authentication on, for the steps of the runs it
 * starts (their CICLO_TOKEN): they log runs, artifacts and datasets anywhere, and approve or
 * administer nothing. It dies with the server.
 */
export function stepPrincipal(): { secret: string; principal: Principal } {
  const { secret } = newTokenSecret();
  return {
    secret,
    principal: { user: 'pipelines', tokenId: 'server-steps', scopes: ['read', 'write'], unrestricted: true },
  };
}

export interface TokenInfo {
  id: string;
  user: string;
  scopes: Action[];
  description: string | null;
  createdTime: number;
  expiresTime: number | null;
  revokedTime: number | null;
  lastUsedTime: number | null;
}

export interface CreatedToken extends TokenInfo {
  /** The secret, shown once: only its hash is kept. */
  token: string;
}

export interface UserInfo {
  name: string;
  createdTime: number;
  disabled: boolean;
  roles: { project: string; role: Role }[];
}

/** Role order: a role allows every action up to its own rank. */
const ROLE_ALLOWS: Record<Role, readonly Action[]> = {
  viewer: ['read'],
  editor: ['read', 'write'],
  approver: ['read', 'write', 'approve'],
  admin: ['read', 'write', 'approve', 'admin'],
};

// A token's last use is written at most this often: not one write per request.
const TOUCH_INTERVAL_MS = 60_000;
const DAY_MS = 86_400_000;

/** A project as ciclo.yaml declares it: its description and each member's role. */
export interface ProjectWithMembers {
  name: string;
  description: string | null;
  members: Record<string, Role>;
}

/** What `ciclo apply` does to one project (`applyProjectChanges`), in this order. */
export interface ProjectChange {
  project: string;
  /** The project is new: it is created with this description. */
  create?: { description: string | null };
  /** The description of an existing project changes to this. */
  description?: string | null;
  /** Roles given (a user's role replaced when it had one). */
  grants: readonly { user: string; role: Role }[];
  /** Users whose role in the project is taken away. */
  revokes: readonly string[];
}

/**
 * Where access control learns the project a resource is in: from the capability that owns the resource (tracking,
 * the registry, datasets), each answering undefined for one that does not exist. The composition root hands them in
 * (`projectLookups` in src/app), so access control reads no other capability's tables.
 */
export interface ProjectLookups {
  experiment(id: string): Promise<string | undefined>;
  experimentNamed(name: string): Promise<string | undefined>;
  run(runId: string): Promise<string | undefined>;
  model(name: string): Promise<string | undefined>;
  dataset(name: string): Promise<string | undefined>;
  deployment(name: string): Promise<string | undefined>;
  /** A monitor is in the project of the deployment it watches, recorded when it is applied. */
  monitor(name: string): Promise<string | undefined>;
}

export interface AccessControlDeps {
  db: Kysely<Schema>;
  projects: ProjectLookups;
  audit?: AuditLog;
  now?: () => number;
  /** No token lives longer than this many days (CICLO_TOKEN_MAX_DAYS); absent: no cap. */
  maxTokenDays?: number;
}

/**
 * Users, API tokens and roles per project, and the one decision every route goes through:
 * `authorize(principal, action, resource)`. Tokens are 256-bit secrets kept as sha256 hashes,
 * with scopes, optional expiry and revocation. Every change is appended to the audit log.
 */
export class AccessControl {
  readonly #db: Kysely<Schema>;
  readonly #projects: ProjectLookups;
  readonly #audit: AuditLog | undefined;
  readonly #now: () => number;
  readonly #maxTokenDays: number | undefined;

  constructor(deps: AccessControlDeps) {
    this.#db = deps.db;
    this.#projects = deps.projects;
    this.#audit = deps.audit;
    this.#now = deps.now ?? Date.now;
    this.#maxTokenDays = deps.maxTokenDays;
  }

  // ── users ────────────────────────────────────────────────────────────────────

  async createUser(name: string): Promise<UserInfo> {
    const user = parseInput(NameSchema, name, 'name');
    await this.#db.transaction().execute(async (trx) => {
      if (await store.findUser(trx, user))
        throw new AlreadyExistsError(`user '${user}' already exists`, { where: 'name' });
      await store.insertUser(trx, user, this.#now());
      await this.#record(trx, 'user.create', { type: 'user', id: user }, null, { name: user });
    });
    return this.getUser(user);
  }

  async getUser(name: string): Promise<UserInfo> {
    const row = await store.findUser(this.#db, name);
    if (row === undefined) throw unknownUser(name);
    return {
      name: row.name,
      createdTime: Number(row.created_time),
      disabled: row.disabled_time !== null,
      roles: await store.rolesOf(this.#db, name),
    };
  }

  async listUsers(): Promise<UserInfo[]> {
    const rows = await store.listUsers(this.#db);
    return Promise.all(rows.map((row) => this.getUser(row.name)));
  }

  /** A disabled user's tokens stop working at once; enabling again restores them (unless revoked or expired). */
  async setUserDisabled(name: string, disabled: boolean): Promise<UserInfo> {
    await this.#db.transaction().execute(async (trx) => {
      const row = await store.findUser(trx, name);
      if (row === undefined) throw unknownUser(name);
      await store.setUserDisabled(trx, name, disabled ? this.#now() : null);
      await this.#record(
        trx,
        disabled ? 'user.disable' : 'user.enable',
        { type: 'user', id: name },
        { disabled: row.disabled_time !== null },
        { disabled },
      );
    });
    return this.getUser(name);
  }

  // ── tokens ───────────────────────────────────────────────────────────────────

  /** `limits.notAfter`: the expiry of the token the request came with, which the new one may not outlive. */
  async createToken(
    user: string,
    options: CreateTokenOptions = {},
    limits: { notAfter?: number } = {},
  ): Promise<CreatedToken> {
    const request = parseInput(CreateTokenSchema, options);
    const now = this.#now();
    const secret = newTokenSecret();
    const expiresTime = this.#expiryOf(request.expiresInDays, now, limits.notAfter);
    const scopes = ACTIONS.filter((action) => request.scopes.includes(action));
    // A refusal (a disabled user) is audited; the transaction's own rows roll back.
    await auditRefusals(this.#audit, { action: 'token.create', target: { type: 'user', id: user } }, () =>
      this.#db.transaction().execute(async (trx) => {
        const row = await store.findUser(trx, user);
        if (row === undefined) throw unknownUser(user);
        if (row.disabled_time !== null)
          throw new InvalidStateError(`user '${user}' is disabled`, {
            where: 'user',
            hint: `Enable it first with \`ciclo users enable ${user}\`.`,
          });
        await store.insertToken(trx, {
          id: secret.id,
          user,
          hash: secret.hash,
          scopes,
          description: request.description ?? null,
          now,
          expiresTime,
        });
        // The hash never goes into the chain: the digest covers the token's public fields only.
        await this.#record(trx, 'token.create', { type: 'token', id: secret.id }, null, {
          id: secret.id,
          user,
          scopes,
          expiresTime,
        });
      }),
    );
    return { ...(await this.getToken(secret.id)), token: secret.secret };
  }

  /**
   * A new token's expiry: what was asked, never later than the server's cap (CICLO_TOKEN_MAX_DAYS)
   * nor than the token it is made with, so an expiring token cannot mint a lasting one. Asking for
   * longer is refused (the caller learns the limit); asking for nothing gets the latest allowed.
   */
  #expiryOf(days: number | undefined, now: number, notAfter: number | undefined): number | null {
    const capped = this.#maxTokenDays === undefined ? undefined : now + Math.round(this.#maxTokenDays * DAY_MS);
    const latest = capped === undefined ? notAfter : notAfter === undefined ? capped : Math.min(capped, notAfter);
    if (days === undefined) return latest ?? null;
    const asked = now + Math.round(days * DAY_MS);
    if (latest === undefined || asked <= latest) return asked;
    const why =
      latest === notAfter
        ? `the token this request came with expires at ${new Date(latest).toISOString()}, ` +
          'and a token it creates may not outlive it'
        : `tokens on this server live at most ${this.#maxTokenDays} days (CICLO_TOKEN_MAX_DAYS)`;
    const allowedDays = Math.floor(((latest - now) / DAY_MS) * 1000) / 1000;
    throw new InvalidInputError(`a token expiring in ${days} days is refused: ${why}`, {
      where: 'expires_in_days',
      hint: `Ask for at most ${allowedDays} days, or leave the lifetime out to get the longest allowed.`,
    });
  }

  async getToken(id: string): Promise<TokenInfo> {
    const row = await store.findToken(this.#db, id);
    if (row === undefined)
      throw new NotFoundError(`no token with id '${id}'`, {
        where: 'id',
        hint: 'List tokens with `ciclo tokens list`.',
      });
    return tokenInfo(row);
  }

  async listTokens(user?: string): Promise<TokenInfo[]> {
    return (await store.listTokens(this.#db, user)).map(tokenInfo);
  }

  async revokeToken(id: string): Promise<TokenInfo> {
    await this.#db.transaction().execute(async (trx) => {
      const row = await store.findToken(trx, id);
      if (row === undefined)
        throw new NotFoundError(`no token with id '${id}'`, {
          where: 'id',
          hint: 'List tokens with `ciclo tokens list`.',
        });
      if (row.revoked_time !== null) return;
      await store.revokeToken(trx, id, this.#now());
      await this.#record(trx, 'token.revoke', { type: 'token', id }, { revoked: false }, { revoked: true });
    });
    return this.getToken(id);
  }

  /**
   * The principal a token stands for. Every way a token can be wrong (malformed, unknown, tampered,
   * revoked, expired, its user disabled) is UNAUTHENTICATED; the message says which, since the
   * caller already holds the token it is asking about.
   */
  async authenticate(secret: string): Promise<Principal> {
    if (!looksLikeTokenSecret(secret)) {
      throw new UnauthenticatedError('the token is malformed', {
        hint: 'Send `Authorization: Bearer ciclo_…` with a token from `ciclo tokens create`.',
      });
    }
    const row = await store.findTokenByHash(this.#db, hashTokenSecret(secret));
    if (row === undefined)
      throw new UnauthenticatedError('the token is not known to this server', {
        hint: 'Create one with `ciclo tokens create --user NAME`.',
      });
    const now = this.#now();
    if (row.revoked_time !== null)
      throw new UnauthenticatedError(`token ${row.id} was revoked`, { hint: 'Create a new token.' });
    if (row.expires_time !== null && Number(row.expires_time) <= now) {
      throw new UnauthenticatedError(`token ${row.id} expired at ${new Date(Number(row.expires_time)).toISOString()}`, {
        hint: 'Create a new token.',
      });
    }
    if (row.user_disabled_time !== null) throw new UnauthenticatedError(`user '${row.user_name}' is disabled`);
    if (row.last_used_time === null || now - Number(row.last_used_time) > TOUCH_INTERVAL_MS)
      await store.touchToken(this.#db, row.id, now);
    return {
      user: row.user_name,
      tokenId: row.id,
      scopes: tokenInfo(row).scopes,
      unrestricted: false,
      ...(row.expires_time === null ? {} : { expiresTime: Number(row.expires_time) }),
    };
  }

  // ── projects and roles ──────────────────────────────────────────────────────

  async createProject(
    name: string,
    description?: string,
  ): Promise<{ name: string; description: string | null; createdTime: number }> {
    const project = parseInput(ProjectNameSchema, name, 'name');
    await this.#db.transaction().execute(async (trx) => {
      if (await store.findProject(trx, project))
        throw new AlreadyExistsError(`project '${project}' already exists`, { where: 'name' });
      await store.insertProject(trx, project, description ?? null, this.#now());
      await this.#record(trx, 'project.create', { type: 'project', id: project }, null, {
        name: project,
        description: description ?? null,
      });
    });
    return this.getProject(project);
  }

  async getProject(name: string): Promise<{ name: string; description: string | null; createdTime: number }> {
    const row = await store.findProject(this.#db, name);
    if (row === undefined) throw unknownProject(name);
    return { name: row.name, description: row.description, createdTime: Number(row.created_time) };
  }

  async listProjects(): Promise<{ name: string; description: string | null; createdTime: number }[]> {
    return (await store.listProjects(this.#db)).map((row) => ({
      name: row.name,
      description: row.description,
      createdTime: Number(row.created_time),
    }));
  }

  /** Gives the user the role in the project (`*`: every project and the server), replacing the one it had. */
  async grant(project: string, user: string, role: string): Promise<void> {
    const checkedRole = parseInput(RoleSchema, role, 'role');
    await auditRefusals(
      this.#audit,
      { action: 'role.grant', target: { type: 'project_role', id: `${project}:${user}` } },
      () =>
        this.#db.transaction().execute(async (trx) => {
          await this.#requireProject(trx, project);
          if (!(await store.findUser(trx, user))) throw unknownUser(user);
          const before = await store.roleIn(trx, project, user);
          await store.upsertRole(trx, project, user, checkedRole, this.#now());
          await this.#record(
            trx,
            'role.grant',
            { type: 'project_role', id: `${project}:${user}` },
            before ?? null,
            checkedRole,
          );
        }),
    );
  }

  async revoke(project: string, user: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const before = await store.roleIn(trx, project, user);
      if (before === undefined || (await store.deleteRole(trx, project, user)) === 0) {
        throw new NotFoundError(`user '${user}' has no role in project '${project}'`, { where: `${project}:${user}` });
      }
      await this.#record(trx, 'role.revoke', { type: 'project_role', id: `${project}:${user}` }, before, null);
    });
  }

  async members(project: string): Promise<{ user: string; role: Role; grantedTime: number }[]> {
    await this.#requireProject(this.#db, project);
    return (await store.members(this.#db, project)).map((row) => ({
      user: row.user_name,
      role: row.role,
      grantedTime: Number(row.granted_time),
    }));
  }

  /** Every project with its members' roles: what `ciclo plan` compares a ciclo.yaml's projects with. */
  async projectsWithMembers(): Promise<ProjectWithMembers[]> {
    const projects = await store.listProjects(this.#db);
    return Promise.all(
      projects.map(async (row) => ({
        name: row.name,
        description: row.description,
        members: Object.fromEntries(
          (await store.members(this.#db, row.name)).map((member) => [member.user_name, member.role]),
        ),
      })),
    );
  }

  /**
   * `ciclo apply`'s changes to projects, in one transaction: all of them land or none does. Each change is
   * recorded in the audit chain as its own command would record it (`project.create`, `project.update`,
   * `role.grant`, `role.revoke`); an unknown user or a missing project fails the whole set.
   */
  async applyProjectChanges(changes: readonly ProjectChange[]): Promise<void> {
    for (const change of changes) parseInput(ProjectNameSchema, change.project, 'name');
    await this.#db.transaction().execute(async (trx) => {
      for (const change of changes) {
        const target = { type: 'project', id: change.project };
        if (change.create) {
          await store.insertProject(trx, change.project, change.create.description, this.#now());
          await this.#record(trx, 'project.create', target, null, change.create);
        } else {
          await this.#requireProject(trx, change.project);
        }
        if (change.description !== undefined) {
          const before = (await store.findProject(trx, change.project))?.description ?? null;
          await store.setProjectDescription(trx, change.project, change.description);
          await this.#record(
            trx,
            'project.update',
            target,
            { description: before },
            { description: change.description },
          );
        }
        for (const { user, role } of change.grants) {
          if (!(await store.findUser(trx, user))) throw unknownUser(user);
          const roleTarget = { type: 'project_role', id: `${change.project}:${user}` };
          const before = await store.roleIn(trx, change.project, user);
          await store.upsertRole(trx, change.project, user, role, this.#now());
          await this.#record(trx, 'role.grant', roleTarget, before ?? null, role);
        }
        for (const user of change.revokes) {
          const before = await store.roleIn(trx, change.project, user);
          if (before === undefined) continue;
          await store.deleteRole(trx, change.project, user);
          await this.#record(
            trx,
            'role.revoke',
            { type: 'project_role', id: `${change.project}:${user}` },
            before,
            null,
          );
        }
      }
    });
  }

  // ── the decision ────────────────────────────────────────────────────────────

  /**
   * The project a resource belongs to (`*` stands for the server itself); missing resources fall back as
   * route-access.ts says.
   */
  async projectOf(resource: ResourceRef): Promise<string | undefined> {
    switch (resource.kind) {
      case 'project':
        return resource.project;
      case 'server':
        return EVERY_PROJECT;
      case 'self':
        return undefined;
      case 'experiment':
        return (await this.#projects.experiment(resource.id)) ?? this.#orElse(resource.orElse);
      case 'experiment-name':
        return (await this.#projects.experimentNamed(resource.name)) ?? this.#orElse(resource.orElse);
      case 'run':
        return (await this.#projects.run(resource.id)) ?? this.#orElse(resource.orElse);
      case 'model':
        return (await this.#projects.model(resource.name)) ?? this.#orElse(resource.orElse);
      case 'dataset':
        return (await this.#projects.dataset(resource.name)) ?? this.#orElse(resource.orElse);
      case 'deployment':
        return (await this.#projects.deployment(resource.name)) ?? this.#orElse(resource.orElse);
      case 'monitor':
        return (await this.#projects.monitor(resource.name)) ?? this.#orElse(resource.orElse);
    }
  }

  async #orElse(fallback: ResourceRef | undefined): Promise<string> {
    return fallback === undefined ? DEFAULT_PROJECT : ((await this.projectOf(fallback)) ?? DEFAULT_PROJECT);
  }

  /** Throws PERMISSION_DENIED unless the principal may perform the action on the resource. */
  async authorize(principal: Principal, action: Action, resource: ResourceRef): Promise<void> {
    if (!principal.scopes.includes(action)) {
      throw new PermissionDeniedError(
        `token ${principal.tokenId ?? '(none)'} is not scoped for '${action}' ` +
          `(its scopes: ${principal.scopes.join(', ')})`,
        {
          hint: `Use a token created with --scopes including ${action}.`,
        },
      );
    }
    if (principal.unrestricted) return;
    // Two independent lookups: on PostgreSQL they go out on two pooled connections at once.
    const [project, roles] = await Promise.all([this.projectOf(resource), store.rolesOf(this.#db, principal.user)]);
    if (project === undefined) return; // the caller's own account: scopes alone decide
    const granted = roles.filter((r) => r.project === project || r.project === EVERY_PROJECT).map((r) => r.role);
    if (granted.some((role) => ROLE_ALLOWS[role].includes(action))) return;
    const where = project === EVERY_PROJECT ? 'this server (a role on every project, `*`)' : `project '${project}'`;
    const has = granted.length === 0 ? 'no role there' : `role ${granted.join(', ')}`;
    const allowingRoles = ROLES.filter((r) => ROLE_ALLOWS[r].includes(action)).join(', ');
    throw new PermissionDeniedError(`user '${principal.user}' may not ${action} in ${where}: ${has}`, {
      hint:
        `An admin can grant a role that allows '${action}' (${allowingRoles}) ` +
        `with \`ciclo projects grant ${project} ${principal.user} ROLE\`.`,
    });
  }

  /** The roles a user holds where the resource lives (its project's and `*`'s). */
  async rolesOn(user: string, resource: ResourceRef): Promise<Role[]> {
    const project = await this.projectOf(resource);
    const roles = await store.rolesOf(this.#db, user);
    return roles.filter((r) => r.project === EVERY_PROJECT || r.project === project).map((r) => r.role);
  }

  /**
   * The projects whose resources the principal may read: what list routes filter by ('all' when nothing is checked).
   */
  async readableProjects(principal: Principal): Promise<string[] | 'all'> {
    if (principal.unrestricted) return 'all';
    if (!principal.scopes.includes('read')) return [];
    const roles = await store.rolesOf(this.#db, principal.user);
    if (roles.some((r) => r.project === EVERY_PROJECT)) return 'all';
    return roles.map((r) => r.project);
  }

  async #requireProject(db: Kysely<Schema>, project: string): Promise<void> {
    if (project === EVERY_PROJECT) return;
    if (!(await store.findProject(db, project))) throw unknownProject(project);
  }

  async #record(
    trx: Kysely<Schema>,
    action: string,
    target: { type: string; id: string },
    before: unknown,
    after: unknown,
  ): Promise<void> {
    if (!this.#audit) return;
    await this.#audit.append({ action, target, beforeDigest: digestOf(before), afterDigest: digestOf(after) }, trx);
  }
}

function tokenInfo(row: store.TokenRow): TokenInfo {
  const parsed: unknown = JSON.parse(row.scopes);
  const scopes = Array.isArray(parsed) ? ACTIONS.filter((action) => parsed.includes(action)) : [];
  return {
    id: row.id,
    user: row.user_name,
    scopes,
    description: row.description,
    createdTime: Number(row.created_time),
    expiresTime: row.expires_time === null ? null : Number(row.expires_time),
    revokedTime: row.revoked_time === null ? null : Number(row.revoked_time),
    lastUsedTime: row.last_used_time === null ? null : Number(row.last_used_time),
  };
}

function unknownUser(name: string): NotFoundError {
  return new NotFoundError(`no user named '${name}'`, {
    where: name,
    hint: 'List users with `ciclo users list`; create one with `ciclo users create NAME`.',
  });
}

function unknownProject(name: string): NotFoundError {
  return new NotFoundError(`no project named '${name}'`, {
    where: name,
    hint: 'List projects with `ciclo projects list`; create one with `ciclo projects create NAME`.',
  });
}

/** Parses `30d`, `12h` or a number of days into days. */
export function parseLifetimeDays(value: string): number {
  const match = /^(\d+(?:\.\d+)?)([dh]?)$/.exec(value.trim());
  if (match === null)
    throw new InvalidInputError(`'${value}' is not a lifetime`, {
      where: '--expires',
      hint: 'Write days (30d or 30) or hours (12h).',
    });
  const amount = Number(match[1]);
  return match[2] === 'h' ? amount / 24 : amount;
}
