import fastifySwagger, { type SwaggerTransform } from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { access } from '../governance/access/route-access.js';
import { CICLO_VERSION } from './version.js';

export const OPENAPI_PATH = '/api/v1/openapi.json';

/**
 * The OpenAPI document describes the native API only. The MLflow-compatible routes are MLflow's
 * contract, documented by MLflow, and listing them twice (`api` and `ajax-api`) would bury ours.
 */
const nativeOnly: SwaggerTransform = (input) =>
  input.url.startsWith('/api/v1/') ? jsonSchemaTransform(input) : { schema: { hide: true }, url: input.url };

/**
 * Call on the root instance, before the capabilities' routes: swagger collects routes through an
 * onRoute hook, which sees only routes registered after it, in its own context or below.
 */
export function registerOpenApi(app: FastifyInstance): void {
  void app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Ciclo REST API', version: CICLO_VERSION, description: 'Native Ciclo routes under /api/v1.' },
    },
    transform: nativeOnly,
  });
  app.get(OPENAPI_PATH, { schema: { hide: true }, config: { access: access.public('the API description') } }, async () => app.swagger());
}
