import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PermissionDeniedError } from '../../common/errors.js';
import type { AuditLog, AuditRecord, AuditVerification } from '../audit/index.js';
import { NoContent, pageReply } from '../../http/index.js';
import {
  ACTIONS,
  DEFAULT_PROJECT,
  ROLES,
  access,
  authorizedId,
  requestField,
  type RouteAccess,
} from './route-access.js';
import type { AccessControl, Principal, TokenInfo } from './service.js';

const TokenRecord = z.object({
  id: z.string(),
  user: z.string(),
  scopes: z.array(z.enum(ACTIONS)),
  description: z.string().nullable(),
  created_time: z.number(),
  expires_time: z.number().nullable(),
  revoked_time: z.number().nullable(),
  last_used_time: z.number().nullable(),
});
const UserRecord = z.object({
  name: z.string(),
  created_time: z.number(),
  disabled: z.boolean(),
  roles: z.array(z.object({ project: z.string(), role: z.enum(ROLES) })),
});
const ProjectRecord = z.object({ name: z.string(), description: z.string().nullable(), created_time: z.number() });
const MemberRecord = z.object({ user: z.string(), role: z.enum(ROLES), granted_time: z.number() });

const CreateTokenBody = z.strictObject({
  /** Another user's token: admins only. Default: the caller. */
  user: z.string().optional(),
  scopes: z.array(z.enum(ACTIONS)).min(1).optional(),
  expires_in_days: z.number().positive().max(3650).optional(),
  description: z.string().max(500).optional(),
});

const AuditQuery = z.object({
  target_type: z.string().optional(),
  target_id: z.string().optional(),
  actor: z.string().optional(),
  action: z.string().optional(),
  after: z.coerce.number().int().nonnegative().optional(),
  page_token: z.string().regex(/^\d+$/, "must be a previous answer's next_page_token").optional(),
  max_results: z.coerce.number().int().min(1).max(10_000).default(100),
});

const AuditEntryRecord = z.object({
  seq: z.number(),
  time: z.number(),
  actor: z.string(),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string() }),
  before_digest: z.string().nullable(),
  after_digest: z.string().nullable(),
  request_id: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
  prev_hash: z.string(),
  hash: z.string(),
});
const AuditProblemRecord = z.object({ seq: z.number(), reason: z.string(), message: z.string() });
const AuditVerificationRecord = z.object({
  ok: z.boolean(),
  checked: z.number(),
  head: z.object({ seq: z.number(), hash: z.string() }),
  keys: z.object({ status: z.enum(['checked', 'no key', 'unkeyed']), keyed_from: z.number().nullable() }),
  problems: z.array(AuditProblemRecord),
  problem_count: z.number(),
  first_bad: AuditProblemRecord.optional(),
});

/**
 * Users, tokens, projects and roles, who-am-I and the audit log over REST (docs/rest-api.md).
 * Users, projects and the audit log are the server's (a role on `*`); members are the project's
 * admins'; a caller's own tokens are its own.
 */
export const accessRoutes: FastifyPluginAsyncZod<{ control: AccessControl; audit: AuditLog }> = async (
  app,
  { control, audit },
) => {
  app.get(
    '/auth/whoami',
    {
      schema: {
        tags: ['access'],
        response: {
          200: z.object({
            user: z.string(),
            token_id: z.string().nullable(),
            scopes: z.array(z.string()),
            roles: UserRecord.shape.roles,
            authenticated: z.boolean(),
          }),
        },
      },
      config: { access: access.self('read') },
    },
    async (request) => {
      const principal = caller(request.principal);
      const roles = principal.unrestricted ? [] : (await control.getUser(principal.user)).roles;
      return {
        user: principal.user,
        token_id: principal.tokenId,
        scopes: [...principal.scopes],
        roles,
        authenticated: !principal.unrestricted,
      };
    },
  );

  app.get(
    '/users',
    {
      schema: { tags: ['access'], response: { 200: pageReply(UserRecord) } },
      config: { access: access.server('admin') },
    },
    async () => ({ items: (await control.listUsers()).map(userRecord) }),
  );

  app.post(
    '/users',
    {
      schema: { tags: ['access'], body: z.strictObject({ name: z.string() }), response: { 201: UserRecord } },
      config: { access: access.server('admin') },
    },
    async (request, reply) => reply.code(201).send(userRecord(await control.createUser(request.body.name))),
  );

  app.patch(
    '/users/:name',
    {
      schema: {
        tags: ['access'],
        params: z.object({ name: z.string() }),
        body: z.strictObject({ disabled: z.boolean() }),
        response: { 200: UserRecord },
      },
      config: { access: access.server('admin') },
    },
    async (request) => userRecord(await control.setUserDisabled(request.params.name, request.body.disabled)),
  );

  app.get(
    '/tokens',
    {
      schema: {
        tags: ['access'],
        querystring: z.object({ user: z.string().optional() }),
        response: { 200: pageReply(TokenRecord) },
      },
      config: { access: access.self('read') },
    },
    async (request) => {
      const principal = caller(request.principal);
      const user = request.query.user ?? principal.user;
      if (user !== principal.user) await control.authorize(principal, 'admin', { kind: 'server' });
      return { items: (await control.listTokens(user)).map(tokenRecord) };
    },
  );

  app.post(
    '/tokens',
    {
      schema: { tags: ['access'], body: CreateTokenBody, response: { 201: TokenRecord.extend({ token: z.string() }) } },
      config: { access: access.self('write') },
    },
    async (request, reply) => {
      const principal = caller(request.principal);
      const user = request.body.user ?? principal.user;
      if (user !== principal.user) await control.authorize(principal, 'admin', { kind: 'server' });
      // A token never widens its maker's reach: its scopes are at most the caller's.
      const scopes = request.body.scopes ?? [...principal.scopes];
      const wider = scopes.filter((scope) => !principal.scopes.includes(scope));
      if (wider.length > 0) {
        throw new PermissionDeniedError(
          `a token scoped ${principal.scopes.join(', ')} cannot create one scoped ${wider.join(', ')}`,
          { where: 'scopes' },
        );
      }
      // Nor outlives it: the new token expires no later than the caller's.
      const created = await control.createToken(
        user,
        {
          scopes,
          ...(request.body.expires_in_days === undefined ? {} : { expiresInDays: request.body.expires_in_days }),
          ...(request.body.description === undefined ? {} : { description: request.body.description }),
        },
        principal.expiresTime === undefined ? {} : { notAfter: principal.expiresTime },
      );
      // The answer holds the secret: no cache (browser, proxy) may keep it.
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...tokenRecord(created), token: created.token });
    },
  );

  app.delete(
    '/tokens/:id',
    {
      schema: { tags: ['access'], params: z.object({ id: z.string() }), response: { 200: TokenRecord } },
      config: { access: access.self('write') },
    },
    async (request) => {
      const principal = caller(request.principal);
      const token = await control.getToken(request.params.id);
      if (token.user !== principal.user) await control.authorize(principal, 'admin', { kind: 'server' });
      return tokenRecord(await control.revokeToken(request.params.id));
    },
  );

  app.get(
    '/projects',
    {
      schema: { tags: ['access'], response: { 200: pageReply(ProjectRecord) } },
      config: { access: access.self('read') },
    },
    async (request) => {
      const principal = caller(request.principal);
      const projects = await control.listProjects();
      if (principal.unrestricted) return { items: projects.map(projectRecord) };
      // Callers see the projects they hold a role in (all of them with a role on `*`).
      const roles = (await control.getUser(principal.user)).roles;
      const visible = roles.some((r) => r.project === '*')
        ? projects
        : projects.filter((p) => roles.some((r) => r.project === p.name));
      return { items: visible.map(projectRecord) };
    },
  );

  app.post(
    '/projects',
    {
      schema: {
        tags: ['access'],
        body: z.strictObject({ name: z.string(), description: z.string().max(2000).optional() }),
        response: { 201: ProjectRecord },
      },
      config: { access: access.server('admin') },
    },
    async (request, reply) =>
      reply.code(201).send(projectRecord(await control.createProject(request.body.name, request.body.description))),
  );

  const MemberParams = z.object({ project: z.string(), user: z.string() });
  const projectAccess = (action: 'read' | 'admin'): RouteAccess => ({
    action,
    resource: (r) => ({ kind: 'project', project: requestField(r, 'params', 'project') ?? DEFAULT_PROJECT }),
  });

  app.get(
    '/projects/:project/members',
    {
      schema: {
        tags: ['access'],
        params: z.object({ project: z.string() }),
        response: { 200: pageReply(MemberRecord) },
      },
      config: { access: projectAccess('read') },
    },
    async (request) => {
      const members = await control.members(authorizedId(request, 'project'));
      return { items: members.map((m) => ({ user: m.user, role: m.role, granted_time: m.grantedTime })) };
    },
  );

  app.put(
    '/projects/:project/members/:user',
    {
      schema: {
        tags: ['access'],
        params: MemberParams,
        body: z.strictObject({ role: z.enum(ROLES) }),
        response: { 204: NoContent },
      },
      config: { access: projectAccess('admin') },
    },
    async (request, reply) => {
      await control.grant(authorizedId(request, 'project'), request.params.user, request.body.role);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/projects/:project/members/:user',
    {
      schema: { tags: ['access'], params: MemberParams, response: { 204: NoContent } },
      config: { access: projectAccess('admin') },
    },
    async (request, reply) => {
      await control.revoke(authorizedId(request, 'project'), request.params.user);
      return reply.code(204).send();
    },
  );

  app.get(
    '/audit',
    {
      schema: { tags: ['audit'], querystring: AuditQuery, response: { 200: pageReply(AuditEntryRecord) } },
      config: { access: access.server('admin') },
    },
    async (request) => {
      const q = request.query;
      // The token is the last seq of the page before; `after` filters as well, so the later of the two wins.
      const after = Math.max(q.after ?? -1, q.page_token === undefined ? -1 : Number(q.page_token));
      const entries = await audit.list({
        limit: q.max_results,
        order: 'asc',
        ...(after < 0 ? {} : { after }),
        ...(q.target_type === undefined
          ? {}
          : { target: { type: q.target_type, ...(q.target_id === undefined ? {} : { id: q.target_id }) } }),
        ...(q.actor === undefined ? {} : { actor: q.actor }),
        ...(q.action === undefined ? {} : { action: q.action }),
      });
      const items = entries.map(auditRecord);
      const last = entries.at(-1);
      // A full page may have a next one: its token is this page's last seq.
      if (entries.length < q.max_results || last === undefined) return { items };
      return { items, next_page_token: String(last.seq) };
    },
  );

  app.get(
    '/audit/verify',
    {
      schema: { tags: ['audit'], response: { 200: AuditVerificationRecord } },
      config: { access: access.server('admin') },
    },
    async () => verificationRecord(await audit.verify()),
  );
};

function caller(principal: Principal | null): Principal {
  // The hooks set a principal before any non-public handler runs.
  if (principal === null) throw new PermissionDeniedError('not authenticated');
  return principal;
}

function tokenRecord(token: TokenInfo) {
  return {
    id: token.id,
    user: token.user,
    scopes: token.scopes,
    description: token.description,
    created_time: token.createdTime,
    expires_time: token.expiresTime,
    revoked_time: token.revokedTime,
    last_used_time: token.lastUsedTime,
  };
}

function userRecord(user: {
  name: string;
  createdTime: number;
  disabled: boolean;
  roles: { project: string; role: (typeof ROLES)[number] }[];
}) {
  return { name: user.name, created_time: user.createdTime, disabled: user.disabled, roles: user.roles };
}

function projectRecord(project: { name: string; description: string | null; createdTime: number }) {
  return { name: project.name, description: project.description, created_time: project.createdTime };
}

function auditRecord(record: AuditRecord): z.input<typeof AuditEntryRecord> {
  return {
    seq: record.seq,
    time: record.time,
    actor: record.actor,
    action: record.action,
    target: record.target,
    before_digest: record.beforeDigest,
    after_digest: record.afterDigest,
    request_id: record.requestId,
    details: record.details,
    prev_hash: record.prevHash,
    hash: record.hash,
  };
}

function verificationRecord(verification: AuditVerification): z.input<typeof AuditVerificationRecord> {
  const { keys, problemCount, firstBad, ...checked } = verification;
  return {
    ...checked,
    keys: { status: keys.status, keyed_from: keys.keyedFrom },
    problem_count: problemCount,
    ...(firstBad === undefined ? {} : { first_bad: firstBad }),
  };
}
