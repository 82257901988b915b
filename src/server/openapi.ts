import fastifySwagger, { type SwaggerTransform } from '@fastify/swagger';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../governance/index.js';
import { CICLO_VERSION } from './version.js';

export const OPENAPI_PATH = '/api/v1/openapi.json';

/** The one error shape (errors.ts), whatever the route and the status: one component, referred to by every route. */
const ErrorReply = z
  .object({ error_code: z.string(), message: z.string(), where: z.string().optional(), hint: z.string().optional() })
  .meta({
    id: 'Error',
    description: 'An error: a stable code, a message, the field at fault (where) and what to do (hint)',
  });

const OpenApiDocument = z.record(z.string(), z.unknown()).describe('This OpenAPI document');

const OCTET_STREAM = 'application/octet-stream';

/**
 * Call on the root instance, before any route: swagger collects routes through an onRoute hook,
 * which sees only routes registered after it. Every route is described, MLflow's too (MLflow's
 * clients and generated clients read the same document), with the error shape for 4xx and 5xx.
 */
export function registerOpenApi(app: FastifyInstance): void {
  documentErrors(app);
  void app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Ciclo REST API',
        version: CICLO_VERSION,
        description:
          'Native Ciclo routes under /api/v1 (docs/rest-api.md), and the subset of MLflow REST API 2.0 that MLflow ' +
          'clients use, under /api/2.0/mlflow, /api/2.0/mlflow-artifacts and their /ajax-api twins.',
      },
    },
    transform: describeRoute,
    transformObject: jsonSchemaTransformObject,
  });
  // In a plugin of its own, loaded after swagger's: so swagger's onRoute hook sees this route too.
  void app.register(async (documentRoute) => {
    documentRoute.get(
      OPENAPI_PATH,
      {
        schema: { tags: ['server'], response: { 200: OpenApiDocument } },
        config: { access: access.public('the API description') },
      },
      async () => app.swagger(),
    );
  });
}

/**
 * Adds the error shape to every route's answers. Only the document reads it: errors are answered as
 * text already serialized (errors.ts), which no response schema touches.
 */
function documentErrors(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    route.schema = {
      ...route.schema,
      response: { '4xx': ErrorReply, '5xx': ErrorReply, ...responsesOf(route.schema) },
    };
  });
}

function responsesOf(schema: FastifySchema | undefined): Record<string, unknown> {
  return typeof schema?.response === 'object' && schema.response !== null
    ? (schema.response as Record<string, unknown>)
    : {};
}

const ERROR_DESCRIPTIONS: Record<string, string> = {
  '4xx': 'The request was refused',
  '5xx': 'The server could not answer',
};

/**
 * zod → JSON Schema; then a body or answer declared as raw bytes (raw-body.ts `RawBytes`) becomes
 * application/octet-stream, and the error ranges say what they are (a `$ref` carries no description).
 */
const describeRoute: SwaggerTransform = (input) => {
  const { schema, url } = jsonSchemaTransform(input);
  const described = schema as Record<string, unknown>;
  const response = Object.entries(responsesOf(schema)).map(([status, answer]) => {
    if (isRawBytes(answer)) return [status, asOctetStream(answer)];
    const description = ERROR_DESCRIPTIONS[status];
    return [status, description === undefined ? answer : { ...(answer as object), description }];
  });
  return {
    url,
    schema: {
      ...described,
      ...(isRawBytes(described.body) ? { body: asOctetStream(described.body) } : {}),
      ...(schema.response === undefined ? {} : { response: Object.fromEntries(response) }),
    },
  };
};

function isRawBytes(schema: unknown): schema is { description?: string } {
  return typeof schema === 'object' && schema !== null && (schema as { format?: unknown }).format === 'binary';
}

function asOctetStream(schema: { description?: string }) {
  return {
    ...(schema.description === undefined ? {} : { description: schema.description }),
    content: { [OCTET_STREAM]: { schema: { type: 'string', format: 'binary' } } },
  };
}
