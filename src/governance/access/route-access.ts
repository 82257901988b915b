import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InvalidInputError } from '../../common/errors.js';

/** Roles in a project, each allowing what the ones before it allow. */
export const ROLES = ['viewer', 'editor', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a route does. A role allows the actions up to its own (viewer: read; editor: + write;
 * approver: + approve; admin: + admin); a token's scopes narrow that further.
 */
export const ACTIONS = ['read', 'write', 'approve', 'admin'] as const;
export type Action = (typeof ACTIONS)[number];

/** The project everything belongs to until it is created elsewhere. */
export const DEFAULT_PROJECT = 'default';

/** A project's name, wherever one is written (`ciclo projects create`, a pipeline's or feature view's `project:`). */
export const ProjectNameSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'must be lowercase letters, digits, "_" or "-" (starting with a letter or digit), at most 63 characters',
  );

/**
 * What a request touches, so that access control can find its project. Experiments (with their
 * runs and artifacts) and registered models (with their versions) belong to a project; `project`
 * names one directly (for creating things, or for resources that have no project of their own,
 * which live in `default`); `server` is the server itself (users, tokens, the audit log), which
 * only a role granted on every project (`*`) reaches; `self` is the caller's own account (who am I,
 * my tokens), which any authenticated caller reaches within its token's scopes. A resource that does
 * not exist is checked against `orElse` when given (registering the first version of a model: the
 * run's project), else against `default`.
 */
export type ResourceRef = (
  | { kind: 'project'; project: string }
  | { kind: 'experiment'; id: string; orElse?: ResourceRef }
  | { kind: 'experiment-name'; name: string; orElse?: ResourceRef }
  | { kind: 'run'; id: string; orElse?: ResourceRef }
  | { kind: 'model'; name: string; orElse?: ResourceRef }
  | { kind: 'dataset'; name: string; orElse?: ResourceRef }
  | { kind: 'deployment'; name: string; orElse?: ResourceRef }
  | { kind: 'monitor'; name: string; orElse?: ResourceRef }
  | { kind: 'server' }
  | { kind: 'self' }
) & {
  /** What this resource needs instead of the route's action (registering from a run only reads the run). */
  action?: Action;
};

/**
 * The access every route declares in its `config.access`. A route without one is refused with 403
 * (default deny), and the authorization matrix test walks every declared route.
 *  - `{ public: '…why…' }`: anyone, authenticated or not (health, the OpenAPI document, HMAC-signed webhooks).
 *  - `{ action, resource }`: the caller's role in the resource's project must allow `action`;
 *    `resource` runs BEFORE validation (a caller without access learns nothing of the schema), so it
 *    reads raw params, query and body, through `requestField`, which checks types; several resources
 *    must all allow it (a search over several experiments). Without it the resource is the `default`
 *    project. Routes that list across projects declare `self` and filter by `readableProjects`.
 */
export type RouteAccess =
  | { public: string }
  | {
      action: Action;
      resource?: (request: FastifyRequest) => ResourceRef | ResourceRef[] | Promise<ResourceRef | ResourceRef[]>;
    };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /**
     * The resources access control judged for this request (set before validation, whether or not
     * authentication is on). Handlers take the ids they act on from here, through `authorizedId`,
     * never from the request again: the check and the handler cannot disagree about which run,
     * experiment, model or dataset a request means.
     */
    judged: readonly ResourceRef[] | null;
  }
}

type RequestPart = 'params' | 'query' | 'body';

/** Resource kinds that a handler acts on by id or name. */
type IdentifiedKind =
  'experiment' | 'experiment-name' | 'run' | 'model' | 'dataset' | 'deployment' | 'monitor' | 'project';

/**
 * The id (or name) of the one `kind` resource access control judged for this request: what the
 * handler must act on. A route whose rule judged none, or several, is a server bug.
 */
export function authorizedId(request: FastifyRequest, kind: IdentifiedKind): string {
  const ids = authorizedIds(request, kind);
  if (ids.length !== 1) {
    throw new Error(
      `${request.method} ${request.routeOptions.url ?? request.url} acts on a ${kind} ` +
        `that its access rule judged ${ids.length} times`,
    );
  }
  return ids[0]!;
}

/**
 * Every `kind` resource judged for this request, in the order the rule listed them (a search over several experiments).
 */
export function authorizedIds(request: FastifyRequest, kind: IdentifiedKind): string[] {
  if (request.judged === null)
    throw new Error(`${request.method} ${request.routeOptions.url ?? request.url} ran without access control`);
  return request.judged.flatMap((resource) => {
    if (resource.kind !== kind) return [];
    switch (resource.kind) {
      case 'project':
        return [resource.project];
      case 'experiment-name':
      case 'model':
      case 'dataset':
      case 'deployment':
      case 'monitor':
        return [resource.name];
      case 'experiment':
      case 'run':
        return [resource.id];
      default:
        return [];
    }
  });
}

/**
 * A string field of the raw request (`params.name`, `body.run_id`, …); undefined when absent. A
 * field that is there but is not a string or a number (an array from a repeated query key, an
 * object, a nested list) is refused: judging some other resource in its place is how access checks
 * and handlers come to disagree.
 */
export function requestField(request: FastifyRequest, part: RequestPart, field: string): string | undefined {
  const container = request[part];
  if (container === null || typeof container !== 'object') return undefined;
  const value = (container as Record<string, unknown>)[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new InvalidInputError(`${field} must be a single string`, {
    where: `${part === 'query' ? 'query.' : ''}${field}`,
    hint: `Send ${field} once, as a string.`,
  });
}

/**
 * The run of an MLflow request: `run_id`, or `run_uuid` from older clients. An empty `run_id` is
 * absent (protobuf's default), and two different non-empty ones are refused rather than guessed at.
 */
export function mlflowRunId(request: FastifyRequest, part: RequestPart): string | undefined {
  const runId = requestField(request, part, 'run_id') || undefined;
  const runUuid = requestField(request, part, 'run_uuid') || undefined;
  if (runId !== undefined && runUuid !== undefined && runId !== runUuid) {
    throw new InvalidInputError('run_id and run_uuid name different runs', {
      where: 'run_uuid',
      hint: 'Send the run once, as run_id.',
    });
  }
  return runId ?? runUuid;
}

/** The project named by the `X-Ciclo-Project` header, else `default`: where a create puts a new resource. */
export function requestedProject(request: FastifyRequest): string {
  const header = request.headers['x-ciclo-project'];
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && value.trim() !== '' ? value.trim() : DEFAULT_PROJECT;
}

/** The `projects` filter of a search from `request.readableProjects()`: nothing when every project may be read. */
export function projectFilter(readable: string[] | 'all'): { projects?: string[] } {
  return readable === 'all' ? {} : { projects: readable };
}

/** Shorthands for the usual declarations. */
export const access = {
  public: (why: string): RouteAccess => ({ public: why }),
  /** Creating a resource in the project the `X-Ciclo-Project` header names (else `default`). */
  create: (action: Action = 'write'): RouteAccess => ({
    action,
    resource: (r) => ({ kind: 'project', project: requestedProject(r) }),
  }),
  server: (action: Action = 'admin'): RouteAccess => ({ action, resource: () => ({ kind: 'server' }) }),
  self: (action: Action): RouteAccess => ({ action, resource: () => ({ kind: 'self' }) }),
  model: (action: Action, part: RequestPart, field = 'name'): RouteAccess => ({
    action,
    resource: (r) => {
      const name = requestField(r, part, field);
      return name === undefined ? { kind: 'project', project: requestedProject(r) } : { kind: 'model', name };
    },
  }),
  run: (action: Action, part: RequestPart, field = 'run_id'): RouteAccess => ({
    action,
    resource: (r) => {
      const id = field === 'run_id' ? mlflowRunId(r, part) : requestField(r, part, field);
      return id === undefined ? { kind: 'project', project: requestedProject(r) } : { kind: 'run', id };
    },
  }),
  experiment: (action: Action, part: RequestPart, field = 'experiment_id'): RouteAccess => ({
    action,
    resource: (r) => {
      const id = requestField(r, part, field);
      return id === undefined ? { kind: 'project', project: requestedProject(r) } : { kind: 'experiment', id };
    },
  }),
  /** Every experiment a search names (an empty list searches nothing). */
  experiments: (action: Action, part: RequestPart, field: string): RouteAccess => ({
    action,
    resource: (r) => {
      const container = r[part];
      const ids =
        container !== null && typeof container === 'object' ? (container as Record<string, unknown>)[field] : undefined;
      if (ids === undefined || ids === null) return [];
      // A single id from a query string arrives as a string; anything but ids is refused, not judged.
      const list: unknown[] = Array.isArray(ids) ? ids : [ids];
      return list.map((id, i) => {
        if (typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id)))
          return { kind: 'experiment' as const, id: String(id) };
        throw new InvalidInputError(`${field}[${i}] must be an experiment id`, {
          where: `${field}[${i}]`,
          hint: 'Send experiment ids as strings.',
        });
      });
    },
  }),
  /**
   * Moving a resource to another project (`PUT …/project`, body `{project}`): admin where it is now
   * and admin in the destination. Without a destination only the source is judged; validation then refuses the body.
   */
  move: (source: (request: FastifyRequest) => ResourceRef): RouteAccess => ({
    action: 'admin',
    resource: (r) => {
      const destination = requestField(r, 'body', 'project');
      return destination === undefined
        ? [source(r)]
        : [source(r), { kind: 'project', project: destination, action: 'admin' }];
    },
  }),
  experimentNamed: (action: Action, part: RequestPart, field: string): RouteAccess => ({
    action,
    resource: (r) => ({
      kind: 'experiment-name',
      name: requestField(r, part, field) ?? '',
      orElse: { kind: 'project', project: requestedProject(r) },
    }),
  }),
};
