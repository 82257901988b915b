import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { writePackage } from '../registry/support.js';
import { api } from './http.js';

/**
 * Hostile input over HTTP: nesting that would exhaust a recursive parser, bodies over the limit,
 * injection through search filters and names, traversal through artifact and model paths. Each
 * is refused with a 4xx and a stable code, and the server keeps answering. (The authorization
 * matrix, tokens and projects are in authorization.test.ts; artifact path traversal byte by byte
 * in artifacts.test.ts; registry filter parsing in test/registry/search.test.ts.)
 */
describe.each(DIALECTS)('hostile input over HTTP, on %s', (dialect) => {
  let server: TestServer;
  let runId: string;
  let experimentId: string;
  beforeAll(async () => {
    server = await startTestServer(dialect, { maxBodyBytes: 1024 * 1024 });
    const experiment = await server.context.tracking.createExperiment({ name: 'sec' });
    experimentId = experiment.experimentId;
    runId = (await server.context.tracking.createRun({ experimentId })).info.runId;
    await server.context.tracking.logBatch(runId, {
      metrics: [{ key: 'auc', value: 0.9 }],
      params: [{ key: 'model', value: 'gbt' }],
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  async function post(path: string, body: string) {
    const response = await fetch(server.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? undefined : (JSON.parse(text) as { error_code?: string; message?: string; runs?: unknown[] }),
    };
  }

  async function stillAnswers(): Promise<void> {
    expect((await fetch(`${server.url}/api/v1/health`)).status).toBe(200);
  }

  it('refuses deeply nested JSON with a 4xx, not a crash', async () => {
    for (const depth of [1_000, 100_000]) {
      const nested = '['.repeat(depth) + ']'.repeat(depth);
      const answer = await post('/api/2.0/mlflow/runs/log-batch', `{"run_id":"${runId}","metrics":${nested}}`);
      expect(answer.status, `depth ${depth}`).toBeGreaterThanOrEqual(400);
      expect(answer.status, `depth ${depth}`).toBeLessThan(500);
      const objects = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
      const tags = await post(`/api/v1/runs/${runId}/batch`, `{"tags":[{"key":"k","value":${objects}}]}`);
      expect(tags.status, `depth ${depth}`).toBe(400);
    }
    await stillAnswers();
    expect((await server.context.tracking.getRun(runId)).data.tags.k).toBeUndefined();
  });

  it(
    'refuses text the stores cannot keep (lone surrogate, NUL) in any body field, key or query, naming it, ' +
      'and the audit chain stays intact',
    async () => {
      const http = api(server.url);
      expect((await http.post('/api/2.0/mlflow/registered-models/create', { name: 'tagged' })).status).toBe(200);
      const attempts: { path: string; body: unknown; where: string }[] = [
        // The defect: this key was stored as U+FFFD and broke `audit verify` for good.
        {
          path: '/api/2.0/mlflow/registered-models/set-tag',
          body: { name: 'tagged', key: '\ud800', value: 'v' },
          where: 'key',
        },
        {
          path: '/api/2.0/mlflow/registered-models/set-tag',
          body: { name: 'tagged', key: 'k', value: 'a\u0000b' },
          where: 'value',
        },
        {
          path: `/api/v1/runs/${runId}/batch`,
          body: {
            tags: [
              { key: 'ok', value: 'v' },
              { key: 'x\udc00', value: 'v' },
            ],
          },
          where: 'tags[1].key',
        },
        {
          path: `/api/v1/runs/${runId}/batch`,
          body: { params: [{ key: 'p', value: 'v' }], extra: { 'bad\ud83d': 1 } },
          where: 'extra',
        },
      ];
      for (const { path, body, where } of attempts) {
        const answer = await http.post(path, body);
        expect(answer.status, where).toBe(400);
        expect(answer.body, where).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where });
      }
      const query = await http.get('/api/2.0/mlflow/experiments/get-by-name', { experiment_name: 'a\u0000b' });
      expect(query.status).toBe(400);
      expect(query.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'query.experiment_name' });
      expect(
        (await http.get('/api/2.0/mlflow/registered-models/get', { name: 'tagged' })).body.registered_model.tags ?? [],
      ).toEqual([]);
      expect((await http.get('/api/v1/audit/verify')).body).toMatchObject({ ok: true, problems: [] });
    },
  );

  it(
    'refuses control characters in names, keys and values (tab and newline allowed in values), ' + 'naming the field',
    async () => {
      const http = api(server.url);
      const refused: { path: string; body: unknown; where: string }[] = [
        {
          path: '/api/2.0/mlflow/registered-models/set-tag',
          body: { name: 'tagged', key: 'k\u001b[31m', value: 'v' },
          where: 'key',
        },
        {
          path: '/api/2.0/mlflow/registered-models/set-tag',
          body: { name: 'tagged', key: 'k', value: 'red \u001b[31m' },
          where: 'value',
        },
        {
          path: '/api/2.0/mlflow/runs/set-tag',
          body: { run_id: runId, key: 'k', value: 'bell\u0007' },
          where: 'value',
        },
        {
          path: `/api/v1/runs/${runId}/batch`,
          body: { params: [{ key: 'p', value: 'c1 \u0085' }] },
          where: 'params[0].value',
        },
        { path: '/api/2.0/mlflow/experiments/create', body: { name: 'line\nbreak' }, where: 'name' },
      ];
      for (const { path, body, where } of refused) {
        const answer = await http.post(path, body);
        expect(answer.status, where).toBe(400);
        expect(answer.body, where).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
        expect(answer.body.where ?? '', where).toContain(where);
        expect(answer.body.message, where).toMatch(/control character U\+00/);
      }
      const ok = await http.post('/api/2.0/mlflow/registered-models/set-tag', {
        name: 'tagged',
        key: 'note',
        value: 'line one\n\tline two 😀',
      });
      expect(ok.status).toBe(200);
    },
  );

  it('refuses a body over the limit with 413 and writes nothing', async () => {
    const big = JSON.stringify({ run_id: runId, key: 'big', value: 'x'.repeat(2 * 1024 * 1024) });
    const answer = await post('/api/2.0/mlflow/runs/set-tag', big);
    expect(answer.status).toBe(413);
    expect(answer.body?.error_code).toBe('REQUEST_TOO_LARGE');
    expect((await server.context.tracking.getRun(runId)).data.tags.big).toBeUndefined();
    await stillAnswers();
  });

  it('treats SQL in search filters as a filter error or as literal text', async () => {
    const attempts = [
      "params.model = 'gbt' OR 1=1",
      "params.model = 'x' or '1'='1'",
      "params.model = 'gbt'; drop table runs; --",
      'metrics.auc > 0 union select * from users',
      "tags.`x') or 1=1 --` = 'a'",
      "attributes.run_id = '1' OR '1'='1'",
    ];
    for (const filter of attempts) {
      const answer = await post(
        '/api/2.0/mlflow/runs/search',
        JSON.stringify({ experiment_ids: [experimentId], filter }),
      );
      if (answer.status === 200) expect(answer.body?.runs ?? [], filter).toEqual([]);
      else {
        expect(answer.status, filter).toBe(400);
        expect(answer.body?.error_code, filter).toBe('INVALID_PARAMETER_VALUE');
      }
    }
    // A value with quotes and SQL is matched literally.
    const literal = await post(
      '/api/2.0/mlflow/runs/search',
      JSON.stringify({ experiment_ids: [experimentId], filter: `params.model = 'gbt'' or ''1''=''1'` }),
    );
    expect(literal.status === 400 || (literal.body?.runs ?? []).length === 0).toBe(true);
    // The table is still there and the honest filter still finds the run.
    const honest = await post(
      '/api/2.0/mlflow/runs/search',
      JSON.stringify({ experiment_ids: [experimentId], filter: "params.model = 'gbt'" }),
    );
    expect(honest.body?.runs).toHaveLength(1);
  });

  it('keeps names with SQL or path characters as plain names, or refuses them', async () => {
    const name = "x'; drop table experiments; --";
    const created = await post('/api/2.0/mlflow/experiments/create', JSON.stringify({ name }));
    expect(created.status).toBe(200);
    const found = await fetch(
      `${server.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`,
    );
    expect(((await found.json()) as { experiment: { name: string } }).experiment.name).toBe(name);
    // Model names cannot hold separators or traversal.
    for (const bad of ['../etc', 'a/b', "m'; drop table registered_models; --", '']) {
      const answer = await post('/api/2.0/mlflow/registered-models/create', JSON.stringify({ name: bad }));
      expect(answer.status, bad).toBe(400);
      expect(answer.body?.error_code, bad).toBe('INVALID_PARAMETER_VALUE');
    }
    expect((await server.context.tracking.searchExperiments({})).items.length).toBeGreaterThan(1);
  });

  it('refuses model package paths that leave the run’s artifacts', async () => {
    const folder = join(server.context.config.home, 'pkg');
    await writePackage(folder);
    await server.context.tracking.logArtifactDirectory(runId, folder, 'model');
    for (const path of ['../model', 'model/../../x', '/etc', '%2e%2e/model']) {
      const answer = await post('/api/v1/models/safe/versions', JSON.stringify({ run_id: runId, path }));
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
      expect(answer.status, path).toBeLessThan(500);
      const mlflow = await post(
        '/api/2.0/mlflow/model-versions/create',
        JSON.stringify({ name: 'safe', source: `runs:/${runId}/${path}`, run_id: runId }),
      );
      expect(mlflow.status, path).toBeGreaterThanOrEqual(400);
      expect(mlflow.status, path).toBeLessThan(500);
    }
    await expect(server.context.registry.versions('safe')).rejects.toThrow(/no registered model named 'safe'/);
    // The honest path registers.
    const ok = await post('/api/v1/models/safe/versions', JSON.stringify({ run_id: runId, path: 'model' }));
    expect(ok.status).toBe(201);
  });
});

describe.each(DIALECTS)('request depth with auth on, on %s', (dialect) => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer(dialect, { auth: true });
    await server.context.access.createUser('vic');
    await server.context.access.grant('default', 'vic', 'viewer');
    token = (await server.context.access.createToken('vic')).token;
  });
  afterAll(async () => {
    await server.stop();
  });

  it('refuses JSON nested 5,000 deep in experiment_ids with 400 before the access check reads it', async () => {
    const nested = '['.repeat(5000) + '"0"' + ']'.repeat(5000);
    const response = await fetch(`${server.url}/api/2.0/mlflow/runs/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: `{"experiment_ids":${nested}}`,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error_code: 'MALFORMED_REQUEST',
      where: expect.stringMatching(/^experiment_ids\[0\]/),
    });
    const shallow = await api(server.url, { authorization: `Bearer ${token}` }).post('/api/2.0/mlflow/runs/search', {
      experiment_ids: ['0'],
    });
    expect(shallow.status).toBe(200);
  });
});
