import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { useTestServer } from './http.js';

const packageVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe.each(DIALECTS)('server basics (%s)', (dialect) => {
  const suite = useTestServer(dialect);

  it('reports its health, version and database', async () => {
    const { status, body } = await suite.http.get('/api/v1/health');
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ok', version: packageVersion, database: dialect });
  });

  it('serves an OpenAPI document that lists every native route, and the MLflow routes beside them', async () => {
    const { status, body, headers } = await suite.http.get('/api/v1/openapi.json');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/application\/json/);
    expect(body.openapi).toMatch(/^3\./);
    const operations = Object.entries(body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        'GET /api/v1/health',
        'POST /api/v1/experiments',
        'GET /api/v1/experiments',
        'GET /api/v1/experiments/{experimentId}',
        'GET /api/v1/experiments/by-name/{name}',
        'PUT /api/v1/experiments/by-name/{name}',
        'PATCH /api/v1/experiments/{experimentId}',
        'PUT /api/v1/experiments/{experimentId}/tags/{key}',
        'DELETE /api/v1/experiments/{experimentId}',
        'POST /api/v1/experiments/{experimentId}/restore',
        'POST /api/v1/runs',
        'GET /api/v1/runs/{runId}',
        'PATCH /api/v1/runs/{runId}',
        'DELETE /api/v1/runs/{runId}',
        'POST /api/v1/runs/{runId}/restore',
        'POST /api/v1/runs/search',
        'POST /api/v1/runs/{runId}/batch',
        'PUT /api/v1/runs/{runId}/tags/{key}',
        'DELETE /api/v1/runs/{runId}/tags/{key}',
        'POST /api/v1/runs/{runId}/inputs',
        'GET /api/v1/runs/{runId}/metrics/{key}/history',
        'GET /api/v1/runs/{runId}/artifacts',
      ]),
    );
    expect(operations.some((op) => /artifacts\/\{?\*/.test(op) && op.startsWith('PUT'))).toBe(true);
    // MLflow's routes are described too (test/server/openapi-coverage.test.ts walks every route).
    expect(operations).toEqual(
      expect.arrayContaining(['POST /api/2.0/mlflow/runs/log-batch', 'POST /ajax-api/2.0/mlflow/runs/log-batch']),
    );
  });

  it('describes request bodies from the route schemas', async () => {
    const { body } = await suite.http.get('/api/v1/openapi.json');
    const createRun = body.paths['/api/v1/runs'].post;
    const schema = createRun.requestBody.content['application/json'].schema;
    expect(schema.required).toContain('experiment_id');
    const fields = ['experiment_id', 'run_name', 'tags', 'start_time'];
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(fields));
  });

  it('answers an unknown endpoint with 404 ENDPOINT_NOT_FOUND', async () => {
    const { status, body } = await suite.http.get('/api/v1/nothing-here');
    expect(status).toBe(404);
    expect(body).toMatchObject({
      error_code: 'ENDPOINT_NOT_FOUND',
      message: expect.stringContaining('/api/v1/nothing-here'),
    });
  });
});
