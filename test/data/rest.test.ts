import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/temp.js';
import { csv, writeFile } from './support.js';

describe.each(DIALECTS)('dataset REST routes on %s', (dialect) => {
  let server: TestServer;
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(async () => {
    server = await startTestServer(dialect);
    temp = makeTempDir('ciclo-data-rest-');
    const datasets = server.context.datasets;
    await datasets.register(
      'd',
      writeFile(
        join(temp.dir, 'a.csv'),
        csv('x,y', [
          [1, 'p'],
          [2, 'q'],
        ]),
      ),
      { description: 'demo' },
    );
    await datasets.register(
      'd',
      writeFile(
        join(temp.dir, 'a.csv'),
        csv('x,y', [
          [1, 'p'],
          [2, 'q'],
          [3, 'r'],
        ]),
      ),
    );
  });
  afterEach(async () => {
    await server.stop();
    temp.remove();
  });
  const get = async (path: string) => {
    const response = await fetch(`${server.url}/api/v1${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('lists datasets, their versions, and a version with its profile', async () => {
    expect(await get('/datasets')).toMatchObject({
      status: 200,
      body: {
        items: [
          {
            name: 'd',
            description: 'demo',
            latest_version: 2,
            version_count: 2,
            row_count: 3,
            created_time: expect.any(Number),
          },
        ],
      },
    });
    const latest = await get('/datasets/d');
    expect(latest).toMatchObject({
      status: 200,
      body: { name: 'd', version: 2, row_count: 3, format: 'csv', created_time: expect.any(Number) },
    });
    expect(latest.body.files).toEqual([
      { path: 'a.csv', digest: expect.stringMatching(/^sha256:/), size_bytes: expect.any(Number) },
    ]);
    const versions = await get('/datasets/d/versions');
    expect((versions.body.items as Array<{ version: number }>).map((v) => v.version)).toEqual([1, 2]);
    expect(versions.body).not.toHaveProperty('next_page_token');
    const first = await get('/datasets/d/versions/1');
    expect(first.body).toMatchObject({
      version: 1,
      row_count: 2,
      profile: { row_count: 2, columns: [{ name: 'x', min: 1, max: 2 }, { name: 'y' }] },
    });
    const y = (first.body.profile as { columns: Array<Record<string, unknown>> }).columns[1]!;
    expect(y.top_values).toEqual([
      { value: 'p', count: 1 },
      { value: 'q', count: 1 },
    ]);
    expect(y).not.toHaveProperty('topValues');
    const byDigest = await get(`/datasets/d/versions/${String(first.body.digest)}`);
    expect(byDigest.body.version).toBe(1);
  });

  it('answers 404 for an unknown dataset or version, 400 for a malformed one', async () => {
    expect(await get('/datasets/nope')).toMatchObject({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST' } });
    expect(await get('/datasets/d/versions/9')).toMatchObject({ status: 404 });
    expect(await get('/datasets/nope/versions')).toMatchObject({ status: 404 });
    expect(await get('/datasets/d/versions/latest')).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE' },
    });
  });

  it('refuses a body field it does not know, naming it', async () => {
    const response = await fetch(`${server.url}/api/v1/datasets/d/project`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ project: 'default', projectName: 'default' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('projectName'),
    });
  });
});
