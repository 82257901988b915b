import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { parseInput } from '../../common/validation.js';
import { requestedProject, requestField, type Action, type RouteAccess } from '../../governance/index.js';

/**
 * MLflow's DELETE endpoints: its Python client sends a JSON body, other clients (and MLflow's
 * own server, which reads DELETE like GET) put the fields in the query string. Both are accepted.
 */
export function bodyOrQuery<S extends z.ZodType>(schema: S, request: FastifyRequest): z.output<S> {
  return parseInput(schema, request[fieldsPart(request)]);
}

/** A body with any field is the request's fields; otherwise the query string is. */
function fieldsPart(request: FastifyRequest): 'body' | 'query' {
  const { body } = request;
  return typeof body === 'object' && body !== null && Object.keys(body).length > 0 ? 'body' : 'query';
}

/** The model named by `name` where `bodyOrQuery` reads the request's fields. */
export function modelInBodyOrQuery(action: Action): RouteAccess {
  return {
    action,
    resource: (request) => {
      const name = requestField(request, fieldsPart(request), 'name');
      return name === undefined ? { kind: 'project', project: requestedProject(request) } : { kind: 'model', name };
    },
  };
}
