import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { api } from './http.js';

interface Schema {
  $ref?: string;
  properties?: Record<string, unknown>;
}
interface Operation {
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}
type Paths = Record<string, Record<string, Operation>>;

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** Fastify's `/runs/:runId/artifacts/*` as OpenAPI writes it: `/runs/{runId}/artifacts/{*}`. */
function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}').replace(/\*/g, '{*}');
}

/**
 * The route table is the one the server collects as routes are added (an onRoute hook installed
 * before any route: the authorization matrix walks it too). Fastify also answers HEAD for every
 * GET; a HEAD is its GET without the body, documented by the GET.
 */
describe('the OpenAPI document covers every route the server answers', () => {
  let server: TestServer;
  let paths: Paths;
  let components: Record<string, Schema>;
  /** A `$ref` to `#/components/schemas/<name>` resolved, anything else as it is. */
  const resolved = (schema: Schema | undefined): Schema | undefined =>
    schema?.$ref === undefined ? schema : components[schema.$ref.replace('#/components/schemas/', '')];
  const operationOf = (method: string, url: string): Operation | undefined =>
    paths[openApiPath(url)]?.[method.toLowerCase()];

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    const document = await api(server.url).get('/api/v1/openapi.json');
    expect(document.status).toBe(200);
    paths = document.body.paths as Paths;
    components = (document.body.components?.schemas ?? {}) as Record<string, Schema>;
  });
  afterAll(async () => server?.stop());

  it('walks a route table that holds the native, MLflow and proxied-artifact routes', () => {
    const urls = server.routes.map((route) => route.url);
    expect(urls).toEqual(
      expect.arrayContaining([
        '/api/v1/health',
        '/api/v1/openapi.json',
        '/api/2.0/mlflow/runs/log-batch',
        '/ajax-api/2.0/mlflow/model-versions/create',
      ]),
    );
    expect(urls).toEqual(
      expect.arrayContaining(['/api/2.0/mlflow-artifacts/artifacts/*', '/ajax-api/2.0/mlflow-artifacts/artifacts']),
    );
    expect(server.routes.length).toBeGreaterThan(150);
  });

  it('lists every route with its method', () => {
    const missing = server.routes
      .filter((route) => operationOf(route.method, route.url) === undefined)
      .map((route) => `${route.method} ${route.url}`);
    expect(missing).toEqual([]);
  });

  it('gives every route that takes a body (POST, PUT, PATCH) a request schema', () => {
    const missing = server.routes
      .filter((route) => METHODS_WITH_BODY.has(route.method))
      .filter((route) => Object.keys(operationOf(route.method, route.url)?.requestBody?.content ?? {}).length === 0)
      .map((route) => `${route.method} ${route.url}`);
    expect(missing).toEqual([]);
  });

  it('gives every route a schema for its success answer (none for a 204)', () => {
    const missing = server.routes
      .filter((route) => {
        const responses = operationOf(route.method, route.url)?.responses ?? {};
        const successes = Object.entries(responses).filter(([status]) => /^2\d\d$/.test(status));
        return !successes.some(([status, answer]) => status === '204' || Object.keys(answer.content ?? {}).length > 0);
      })
      .map((route) => `${route.method} ${route.url}`);
    expect(missing).toEqual([]);
  });

  it('gives every route the error shape for 4xx and 5xx', () => {
    const missing = server.routes
      .filter((route) => {
        const responses = operationOf(route.method, route.url)?.responses ?? {};
        const errorShape = (range: string) =>
          resolved(responses[range]?.content?.['application/json']?.schema)?.properties;
        return ['4XX', '5XX'].some(
          (range) => errorShape(range)?.error_code === undefined || errorShape(range)?.message === undefined,
        );
      })
      .map((route) => `${route.method} ${route.url}`);
    expect(missing).toEqual([]);
  });

  it('describes raw bytes as application/octet-stream, in and out', () => {
    const upload = operationOf('PUT', '/api/2.0/mlflow-artifacts/artifacts/*');
    expect(Object.keys(upload?.requestBody?.content ?? {})).toEqual(['application/octet-stream']);
    const download = operationOf('GET', '/api/v1/runs/:runId/artifacts/*');
    expect(Object.keys(download?.responses?.['200']?.content ?? {})).toEqual(['application/octet-stream']);
  });
});
