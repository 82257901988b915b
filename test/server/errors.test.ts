import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { useTestServer } from './http.js';

const MLFLOW = '/api/2.0/mlflow';
const BODY_LIMIT = 64 * 1024;

describe.each(DIALECTS)('bad input over HTTP (%s)', (dialect) => {
  const suite = useTestServer(dialect, { maxBodyBytes: BODY_LIMIT });
  let runId: string;
  afterEach(() => vi.restoreAllMocks());

  async function newRun(): Promise<string> {
    const { body } = await suite.http.post(`${MLFLOW}/runs/create`, { experiment_id: '0' });
    return body.run.info.run_id as string;
  }

  beforeAll(async () => {
    runId = await newRun();
  });

  it('answers malformed JSON with 400 MALFORMED_REQUEST', async () => {
    for (const path of [`${MLFLOW}/experiments/create`, '/api/v1/experiments']) {
      const response = await fetch(suite.server.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name": ',
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        error_code: 'MALFORMED_REQUEST',
        message: expect.stringContaining('JSON'),
      });
    }
  });

  it('answers a field of the wrong type with 400 INVALID_PARAMETER_VALUE naming the field', async () => {
    const cases: [
      Promise<{ status: number; body: { error_code: string; where?: string; message: string } }>,
      string,
    ][] = [
      [suite.http.post(`${MLFLOW}/experiments/create`, { name: 42 }), 'name'],
      [
        suite.http.post(`${MLFLOW}/runs/log-batch`, {
          run_id: runId,
          metrics: [
            { key: 'a', value: 1, timestamp: 1 },
            { key: 'b', value: true, timestamp: 1 },
          ],
        }),
        'metrics[1].value',
      ],
      [suite.http.post(`${MLFLOW}/runs/log-metric`, { run_id: runId, key: 'a', value: 'abc', timestamp: 1 }), 'value'],
      [suite.http.post(`${MLFLOW}/runs/log-metric`, { key: 'a', value: 1, timestamp: 1 }), 'run_id'],
      [suite.http.post(`${MLFLOW}/runs/log-parameter`, { run_id: runId, key: 'lr', value: 0.1 }), 'value'],
      [
        suite.http.get(`${MLFLOW}/metrics/get-history`, { run_id: runId, metric_key: 'a', max_results: 'lots' }),
        'max_results',
      ],
      [suite.http.post(`${MLFLOW}/runs/update`, { run_id: runId, status: 'DONE' }), 'status'],
      [suite.http.post('/api/v1/runs', { experiment_id: 0 }), 'experiment_id'],
      [suite.http.post(`/api/v1/runs/${runId}/batch`, { metrics: [{ key: 'a', value: 'abc' }] }), 'metrics[0].value'],
      [suite.http.post(`/api/v1/runs/${runId}/batch`, { tags: [{ key: 'bad key!', value: 'v' }] }), 'tags[0].key'],
    ];
    for (const [answer, field] of cases) {
      const { status, body } = await answer;
      expect({ status, code: body.error_code, where: body.where }).toEqual({
        status: 400,
        code: 'INVALID_PARAMETER_VALUE',
        where: field,
      });
      expect(body.message).toContain(field);
    }
  });

  it('answers unknown runs and experiments with 404 RESOURCE_DOES_NOT_EXIST', async () => {
    const answers = await Promise.all([
      suite.http.get(`${MLFLOW}/runs/get`, { run_id: 'f'.repeat(32) }),
      suite.http.get(`${MLFLOW}/experiments/get`, { experiment_id: '987654' }),
      suite.http.get(`${MLFLOW}/experiments/get-by-name`, { experiment_name: 'no such experiment' }),
      suite.http.post(`${MLFLOW}/runs/log-metric`, { run_id: 'missing', key: 'a', value: 1, timestamp: 1 }),
      suite.http.post(`${MLFLOW}/runs/create`, { experiment_id: '987654' }),
      suite.http.get('/api/v1/runs/missing'),
      suite.http.get('/api/v1/experiments/987654'),
      suite.http.get('/api/v1/experiments/not-a-number'),
      suite.http.get('/api/v1/runs/missing/metrics/loss/history'),
    ]);
    for (const { status, body } of answers) {
      expect({ status, code: body.error_code }).toEqual({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
      expect(body.message).toEqual(expect.any(String));
    }
  });

  it('answers a duplicate experiment name with 400 RESOURCE_ALREADY_EXISTS', async () => {
    expect((await suite.http.post(`${MLFLOW}/experiments/create`, { name: 'twice' })).status).toBe(200);
    const mlflow = await suite.http.post(`${MLFLOW}/experiments/create`, { name: 'twice' });
    const native = await suite.http.post('/api/v1/experiments', { name: 'twice' });
    for (const { status, body } of [mlflow, native]) {
      expect(status).toBe(400);
      expect(body).toMatchObject({ error_code: 'RESOURCE_ALREADY_EXISTS', message: expect.stringContaining('twice') });
    }
  });

  it('answers a body over the limit with 413 REQUEST_TOO_LARGE and writes nothing', async () => {
    const metrics = Array.from({ length: 1000 }, (_, step) => ({
      key: `padded_metric_key_${step}`,
      value: step,
      timestamp: 1,
      step,
    }));
    expect(JSON.stringify(metrics).length).toBeGreaterThan(BODY_LIMIT);
    const { status, body } = await suite.http.post(`${MLFLOW}/runs/log-batch`, { run_id: runId, metrics });
    expect(status).toBe(413);
    expect(body.error_code).toBe('REQUEST_TOO_LARGE');
    expect((await suite.http.get(`${MLFLOW}/runs/get`, { run_id: runId })).body.run.data.metrics).toEqual([]);
  });

  it('refuses a param that changes value and writes nothing from that batch', async () => {
    const id = await newRun();
    await suite.http.post(`${MLFLOW}/runs/log-parameter`, { run_id: id, key: 'lr', value: '0.01' });
    const same = await suite.http.post(`${MLFLOW}/runs/log-parameter`, { run_id: id, key: 'lr', value: '0.01' });
    expect(same.status).toBe(200);

    const { status, body } = await suite.http.post(`${MLFLOW}/runs/log-batch`, {
      run_id: id,
      metrics: [{ key: 'auc', value: 0.9, timestamp: 1, step: 0 }],
      params: [
        { key: 'depth', value: '3' },
        { key: 'lr', value: '0.02' },
      ],
      tags: [{ key: 'note', value: 'should not appear' }],
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('lr') });

    const run = (await suite.http.get(`${MLFLOW}/runs/get`, { run_id: id })).body.run;
    expect(run.data.params).toEqual([{ key: 'lr', value: '0.01' }]);
    expect(run.data.metrics).toEqual([]);
    expect(run.data.tags).not.toContainEqual({ key: 'note', value: 'should not appear' });
    expect(
      (await suite.http.get(`${MLFLOW}/metrics/get-history`, { run_id: id, metric_key: 'auc' })).body.metrics,
    ).toEqual([]);
  });

  it('refuses writes to a deleted run with 400', async () => {
    const id = await newRun();
    await suite.http.post(`${MLFLOW}/runs/delete`, { run_id: id });
    const writes = await Promise.all([
      suite.http.post(`${MLFLOW}/runs/log-metric`, { run_id: id, key: 'a', value: 1, timestamp: 1 }),
      suite.http.post(`${MLFLOW}/runs/log-parameter`, { run_id: id, key: 'a', value: '1' }),
      suite.http.post(`${MLFLOW}/runs/set-tag`, { run_id: id, key: 'a', value: '1' }),
      suite.http.post(`/api/v1/runs/${id}/batch`, { metrics: [{ key: 'a', value: 1 }] }),
    ]);
    for (const { status, body } of writes) {
      expect(status).toBe(400);
      expect(body).toMatchObject({
        error_code: 'INVALID_PARAMETER_VALUE',
        where: 'run_id',
        message: expect.stringContaining('deleted'),
      });
    }
    const run = (await suite.http.get(`${MLFLOW}/runs/get`, { run_id: id })).body.run;
    expect(run.data).toMatchObject({ metrics: [], params: [] });
  });

  it('answers a filter syntax error with 400 naming the column of the mistake', async () => {
    const { status, body } = await suite.http.post(`${MLFLOW}/runs/search`, {
      experiment_ids: ['0'],
      filter: 'metrics.auc >> 0.9',
    });
    expect(status).toBe(400);
    expect(body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(body.message).toMatch(/column \d+/i);
    expect(body.where).toMatch(/^filter column \d+$/);
    const filter = 'metrics.auc >> 0.9';
    const native = await suite.http.post('/api/v1/runs/search', { experiment_ids: ['0'], filter });
    expect(native.status).toBe(400);
    expect(native.body.message).toBe(body.message);
  });

  it('hides the cause of an internal error behind a request id', async () => {
    vi.spyOn(suite.server.context.tracking, 'getRun').mockRejectedValue(
      new Error('connection to /var/secret/db failed\n    at Socket.x'),
    );
    const { status, body } = await suite.http.get(`${MLFLOW}/runs/get`, { run_id: runId });
    expect(status).toBe(500);
    expect(body).toEqual({
      error_code: 'INTERNAL_ERROR',
      message: expect.stringMatching(/^internal server error \(request .+\)$/),
    });
  });
});
