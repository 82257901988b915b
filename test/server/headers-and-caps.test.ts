import { beforeAll, describe, expect, it } from 'vitest';
import { attachmentDisposition } from '../../src/http/index.js';
import { DIALECTS } from '../support/databases.js';
import { useTestServer } from './http.js';

const MEGABYTE = 'x'.repeat(1024 * 1024);

describe.each(DIALECTS)('response headers and field caps (%s)', (dialect) => {
  const suite = useTestServer(dialect);
  let runId: string;
  let experimentId: string;
  beforeAll(async () => {
    experimentId = (await suite.http.post('/api/v1/experiments', { name: 'headers' })).body.experiment_id;
    runId = (await suite.http.post('/api/v1/runs', { experiment_id: experimentId })).body.info.run_id;
  });

  it('answers X-Content-Type-Options: nosniff on successes, client errors and unknown routes', async () => {
    const answers = [
      await suite.http.get('/api/v1/health'),
      await suite.http.get(`/api/v1/runs/${runId}`),
      await suite.http.get('/api/v1/runs/no-such-run'),
      await suite.http.post('/api/v1/runs', { experiment_id: 'not a number' }),
      await suite.http.get('/api/v1/no-such-route'),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 404, 400, 404]);
    for (const answer of answers) expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves artifacts as attachments, natively and through the MLflow proxy', async () => {
    const html = '<script>alert(document.cookie)</script>';
    const put = await fetch(`${suite.server.url}/api/v1/runs/${runId}/artifacts/report/index.html`, {
      method: 'PUT',
      headers: { 'content-type': 'text/html' },
      body: html,
    });
    expect(put.status).toBe(200);
    for (const path of [
      `/api/v1/runs/${runId}/artifacts/report/index.html`,
      `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/report/index.html`,
    ]) {
      const fetched = await fetch(suite.server.url + path);
      expect(fetched.status).toBe(200);
      expect(fetched.headers.get('content-disposition')).toBe(
        `attachment; filename="index.html"; filename*=UTF-8''index.html`,
      );
      expect(fetched.headers.get('content-type')).toBe('application/octet-stream');
      expect(fetched.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await fetched.text()).toBe(html);
    }
  });

  it('refuses a 1 MiB run input schema or profile, naming the field, natively and over MLflow', async () => {
    const native = await suite.http.post(`/api/v1/runs/${runId}/inputs`, {
      datasets: [{ name: 'd', digest: 'sha256:1', schema: MEGABYTE }],
    });
    expect(native.status).toBe(400);
    expect(native.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'datasets[0].schema' });

    const mlflow = await suite.http.post('/api/2.0/mlflow/runs/log-inputs', {
      run_id: runId,
      datasets: [{ dataset: { name: 'd', digest: '1', profile: MEGABYTE } }],
    });
    expect(mlflow.status).toBe(400);
    expect(mlflow.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'datasets[0].dataset.profile' });

    expect((await suite.http.get(`/api/v1/runs/${runId}`)).body.inputs).toEqual([]);
  });

  it('refuses a 1 MiB run_link on model-versions/create, naming the field', async () => {
    await suite.http.post('/api/2.0/mlflow/registered-models/create', { name: 'capped' });
    const answer = await suite.http.post('/api/2.0/mlflow/model-versions/create', {
      name: 'capped',
      source: `runs:/${runId}/model`,
      run_id: runId,
      run_link: MEGABYTE,
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'run_link' });
  });
});

describe('attachmentDisposition', () => {
  it('names the file by its last path segment, quoting only safe ASCII and giving the exact name in filename*', () => {
    expect(attachmentDisposition('plots/roc.png')).toBe(`attachment; filename="roc.png"; filename*=UTF-8''roc.png`);
    expect(attachmentDisposition('a/"évil"\\(1).txt')).toBe(
      `attachment; filename="__vil__(1).txt"; filename*=UTF-8''%22%C3%A9vil%22%5C%281%29.txt`,
    );
  });
});
