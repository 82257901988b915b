import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { parseInput } from '../../common/validation.js';
import { requestedProject, requestField, type Action, type RouteAccess } from '../../governance/access/route-access.js';

/**
 * MLflow's DELETE endpoints: its Python client sends a JSON body, other clients (and MLflow's
 * own server, which reads DELETE like GET) put the fields in the query string. Both are accepted.
 */
export function bodyOrQuery<S extends z.ZodType>(schema: S, request: FastifyRequest): z.output<S> {
  const { body } = request;
  const hasBody = typeof body === 'object' && body !== null && Object.keys(body).length > 0;
  return parseInput(schema, hasBody ? body : request.query);
}

/** The model named by `name` in the body or, failing that, the query string. */
export function modelInBodyOrQuery(action: Action): RouteAccess {
  return {
    action,
    resource: (request) => {
      const name = requestField(request, 'body', 'name') ?? requestField(request, 'query', 'name');
      return name === undefined ? { kind: 'project', project: requestedProject(request) } : { kind: 'model', name };
    },
  };
}
