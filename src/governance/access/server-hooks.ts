import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PermissionDeniedError, UnauthenticatedError } from '../../common/errors.js';
import { withActor } from '../actor.js';
import { recordRefusal, type AuditLog } from '../audit/index.js';
import { FailedAuthLimiter, type FailedAuthLimits } from './failed-auth-limiter.js';
import type { RouteAccess } from './route-access.js';
import { ACTIONS, DEFAULT_PROJECT, type Action, type ResourceRef } from './route-access.js';
import type { AccessControl, Principal } from './service.js';

export interface AccessHookOptions {
  control: AccessControl;
  /** Off: every caller may do everything (a token, when sent, still names the actor). */
  enabled: boolean;
  limits?: FailedAuthLimits;
  /** Extra principals by secret, held only in memory (the server's token for the steps it starts). */
  ephemeral?: ReadonlyMap<string, Principal>;
  /** Where refused attempts at governed actions (approve, admin) are recorded. */
  audit?: AuditLog;
}

/** One row of the route table: what the authorization matrix test walks. */
export interface RouteEntry {
  method: string;
  url: string;
  access: RouteAccess | undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The handler reads no actor (it appends no audit entry, records no `created_by`): it runs without the
     * actor scope, whose promise hooks every request would otherwise pay for. Only for routes that change nothing.
     */
    actorless?: true;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** Set by authorization: who the handler acts as. */
    actorName: string | null;
    /** What list routes filter by: the projects the caller may read, or 'all'. */
    readableProjects(): Promise<string[] | 'all'>;
  }
}

const ANONYMOUS: Principal = { user: 'anonymous', tokenId: null, scopes: ACTIONS, unrestricted: true };

/**
 * Authentication (onRequest: the bearer token → a principal; failures rate limited per address),
 * authorization (preValidation: the route's declared action on its resource's project, found from
 * the raw params, query and body; a route that declares nothing is refused) and the actor scope the
 * handler runs in (the audit log's actor and request id). Must be installed
 * before any route so that every route is recorded in the returned table.
 */
export function installAccessControl(app: FastifyInstance, options: AccessHookOptions): RouteEntry[] {
  const table: RouteEntry[] = [];
  const limiter = new FailedAuthLimiter(options.limits);
  app.decorateRequest('principal', null);
  app.decorateRequest('actorName', null);
  app.decorateRequest('judged', null);
  app.decorateRequest('readableProjects', function (this: FastifyRequest) {
    return options.control.readableProjects(this.principal ?? ANONYMOUS);
  });

  app.addHook('onRoute', (route) => {
    requireReadOnlyIfActorless(route.url, route.config?.access, route.config?.actorless);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD' && methods.length === 1 && route.exposeHeadRoute === undefined) continue;
      table.push({ method, url: route.url, access: route.config?.access });
    }
  });

  // A callback hook: most requests (public routes, no token on a server without auth) decide without waiting,
  // and an async hook would cost each of them a promise.
  app.addHook('onRequest', (request, _reply, done) => {
    const access = request.routeOptions.config?.access;
    if (access !== undefined && 'public' in access) return done();
    if (request.headers.authorization === undefined) {
      if (!options.enabled) {
        request.principal = ANONYMOUS;
        return done();
      }
      return done(
        new UnauthenticatedError('this server needs an API token', {
          hint:
            'Send `Authorization: Bearer <token>` (the CLI and SDK send CICLO_TOKEN); ' +
            'an admin creates tokens with `ciclo tokens create --user NAME`.',
        }),
      );
    }
    authenticate(request, request.headers.authorization).then(() => done(), done);
  });

  async function authenticate(request: FastifyRequest, authorization: string): Promise<void> {
    const address = request.ip;
    limiter.check(address);
    try {
      const secret = bearerToken(authorization);
      request.principal = options.ephemeral?.get(secret) ?? (await options.control.authenticate(secret));
    } catch (error) {
      if (error instanceof UnauthenticatedError) limiter.fail(address);
      throw error;
    }
  }

  // Before validation: a caller without access learns nothing about what a valid request looks like,
  // and the matrix test can reach every route's decision with any body.
  app.addHook('preValidation', async (request) => {
    request.actorName = await authorize(request, options.control, options.audit);
  });

  // The handler runs in the caller's actor scope: what the audit log records as actor and request id. Entering
  // one turns on Node's promise hooks for the rest of the process (every promise then pays to carry the scope),
  // so a route whose handler never reads the actor (scoring, probes, metrics), and the not-found answer, skip it.
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.is404 || request.routeOptions.config?.actorless === true) return done();
    withActor({ actor: request.actorName ?? 'anonymous', requestId: request.id }, () => done());
  });

  return table;
}

/** Actions whose refusals are evidence a reviewer wants: someone tried to approve or administer. */
const GOVERNED_ACTIONS: readonly Action[] = ['approve', 'admin'];

async function authorize(
  request: FastifyRequest,
  control: AccessControl,
  audit: AuditLog | undefined,
): Promise<string> {
  const access = request.routeOptions.config?.access;
  // No route matched: the not-found handler answers, and it reveals nothing.
  if (request.is404) {
    request.judged = [];
    return request.principal?.user ?? 'anonymous';
  }
  if (access === undefined) {
    // Default deny: a route must say what it needs.
    throw new PermissionDeniedError(
      `${request.method} ${request.routeOptions.url ?? request.url} declares no access rule, so nobody may call it`,
      {
        hint: 'This is a server bug: every route declares `config.access`.',
      },
    );
  }
  if ('public' in access) {
    request.judged = [];
    return request.principal?.user ?? 'anonymous';
  }
  const principal = request.principal;
  if (principal === null) throw new UnauthenticatedError('not authenticated');
  const resolved = access.resource
    ? await access.resource(request)
    : { kind: 'project' as const, project: DEFAULT_PROJECT };
  const resources = Array.isArray(resolved) ? resolved : [resolved];
  for (const resource of resources) {
    const action = resource.action ?? access.action;
    try {
      await control.authorize(principal, action, resource);
    } catch (error) {
      if (audit !== undefined && error instanceof PermissionDeniedError && GOVERNED_ACTIONS.includes(action)) {
        await recordRefusal(
          audit,
          { action: `access.${action}`, target: auditTarget(resource), actor: principal.user, requestId: request.id },
          error,
        );
      }
      throw error;
    }
  }
  // Resolved once: the handler acts on exactly these (route-access.ts, authorizedId).
  request.judged = resources;
  return principal.user;
}

/** The resource of a refused attempt as the audit log names targets. */
function auditTarget(resource: ResourceRef): { type: string; id: string } {
  switch (resource.kind) {
    case 'project':
      return { type: 'project', id: resource.project };
    case 'server':
      return { type: 'server', id: '*' };
    case 'self':
      return { type: 'user', id: 'self' };
    case 'experiment':
    case 'run':
      return { type: resource.kind, id: resource.id };
    case 'experiment-name':
      return { type: 'experiment', id: resource.name };
    case 'model':
    case 'dataset':
    case 'deployment':
    case 'monitor':
      return { type: resource.kind, id: resource.name };
  }
}

function bearerToken(header: string): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) {
    throw new UnauthenticatedError('the Authorization header is not `Bearer <token>`', {
      hint: 'Send `Authorization: Bearer ciclo_…`.',
    });
  }
  return match[1]!;
}

/**
 * A handler outside the actor scope would record the process's own user as whoever acted, so only a route that
 * changes nothing (public, or `read`) may declare itself actorless; any other is refused when it is registered.
 */
function requireReadOnlyIfActorless(url: string, access: RouteAccess | undefined, actorless: true | undefined): void {
  if (actorless !== true || access === undefined || 'public' in access || access.action === 'read') return;
  throw new Error(`route ${url} declares actorless but needs '${access.action}': only read routes may skip the scope`);
}
