import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { useTestServer } from './http.js';

/** The native table of docs/rest-api.md, which the SDK's remote client is written against. */
describe.each(DIALECTS)('native REST routes (%s)', (dialect) => {
  const suite = useTestServer(dialect);

  it('creates, finds, renames, tags, deletes and restores experiments', async () => {
    const created = await suite.http.post('/api/v1/experiments', { name: 'native', tags: { team: 'risk' } });
    expect(created.status).toBe(201);
    const experiment = created.body;
    expect(experiment).toEqual({
      experimentId: expect.stringMatching(/^\d+$/),
      name: 'native',
      project: 'default',
      artifactLocation: `mlflow-artifacts:/${experiment.experimentId}`,
      lifecycleStage: 'active',
      creationTime: expect.any(Number),
      lastUpdateTime: expect.any(Number),
      tags: { team: 'risk' },
    });
    const id: string = experiment.experimentId;
    expect((await suite.http.get(`/api/v1/experiments/${id}`)).body).toEqual(experiment);
    expect((await suite.http.get('/api/v1/experiments/by-name/native')).body).toEqual(experiment);
    expect((await suite.http.put('/api/v1/experiments/by-name/native')).body).toEqual(experiment);

    const made = await suite.http.put('/api/v1/experiments/by-name/made%20on%20demand');
    expect(made.status).toBe(200);
    expect(made.body.name).toBe('made on demand');

    expect((await suite.http.patch(`/api/v1/experiments/${id}`, { name: 'native-renamed' })).body.name).toBe('native-renamed');
    expect((await suite.http.put(`/api/v1/experiments/${id}/tags/owner`, { value: 'ana' })).status).toBe(204);
    expect((await suite.http.get(`/api/v1/experiments/${id}`)).body.tags).toEqual({ team: 'risk', owner: 'ana' });

    const page = await suite.http.get('/api/v1/experiments', { filter: "name = 'native-renamed'", maxResults: 5, orderBy: ['name ASC'] });
    expect(page.status).toBe(200);
    expect(page.body.items.map((e: { experimentId: string }) => e.experimentId)).toEqual([id]);
    const firstPage = await suite.http.get('/api/v1/experiments', { maxResults: 1, orderBy: 'name' });
    expect(firstPage.body.items).toHaveLength(1);
    expect(firstPage.body.nextPageToken).toEqual(expect.any(String));

    const deleted = await suite.http.delete(`/api/v1/experiments/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect((await suite.http.get(`/api/v1/experiments/${id}`)).body.lifecycleStage).toBe('deleted');
    expect((await suite.http.post(`/api/v1/experiments/${id}/restore`)).status).toBe(204);
    expect((await suite.http.get(`/api/v1/experiments/${id}`)).body.lifecycleStage).toBe('active');
  });

  it('creates a run, logs a batch, tags and inputs, pages history, updates and searches', async () => {
    const experimentId: string = (await suite.http.post('/api/v1/experiments', { name: 'native-runs' })).body.experimentId;
    const created = await suite.http.post('/api/v1/runs', { experimentId, runName: 'r1', userId: 'ana', startTime: 1000, tags: { stage: 'dev' } });
    expect(created.status).toBe(201);
    const runId: string = created.body.info.runId;
    expect(created.body.info).toEqual({
      runId,
      runName: 'r1',
      experimentId,
      userId: 'ana',
      status: 'RUNNING',
      startTime: 1000,
      endTime: null,
      lifecycleStage: 'active',
      artifactUri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
      parentRunId: null,
    });

    const metrics = Array.from({ length: 5 }, (_, step) => ({ key: 'acc', value: step / 10, timestamp: 2000 + step, step }));
    const batch = await suite.http.post(`/api/v1/runs/${runId}/batch`, {
      metrics: [...metrics, { key: 'odd', value: '-Infinity', timestamp: 1, step: 0 }],
      params: [{ key: 'depth', value: '3' }],
      tags: [{ key: 'note', value: 'first' }],
    });
    expect(batch.status).toBe(204);
    expect((await suite.http.put(`/api/v1/runs/${runId}/tags/${encodeURIComponent('team/sub')}`, { value: 'x' })).status).toBe(204);
    expect((await suite.http.delete(`/api/v1/runs/${runId}/tags/note`)).status).toBe(204);
    const inputs = await suite.http.post(`/api/v1/runs/${runId}/inputs`, { datasets: [{ name: 'customers', digest: 'd1', context: 'eval' }] });
    expect(inputs.status).toBe(204);

    const run = (await suite.http.get(`/api/v1/runs/${runId}`)).body;
    expect(run.data.metrics).toEqual([
      { key: 'acc', value: 0.4, timestamp: 2004, step: 4 },
      { key: 'odd', value: '-Infinity', timestamp: 1, step: 0 },
    ]);
    expect(run.data.params).toEqual({ depth: '3' });
    expect(run.data.tags).toMatchObject({ stage: 'dev', 'team/sub': 'x', 'mlflow.runName': 'r1', 'mlflow.user': 'ana' });
    expect(run.data.tags).not.toHaveProperty('note');
    expect(run.inputs).toEqual([{ name: 'customers', digest: 'd1', context: 'eval', sourceType: 'local', source: '' }]);

    const first = await suite.http.get(`/api/v1/runs/${runId}/metrics/acc/history`, { maxResults: 3 });
    expect(first.body.items).toEqual(metrics.slice(0, 3));
    const rest = await suite.http.get(`/api/v1/runs/${runId}/metrics/acc/history`, { maxResults: 3, pageToken: first.body.nextPageToken });
    expect(rest.body).toEqual({ items: metrics.slice(3) });

    const info = await suite.http.patch(`/api/v1/runs/${runId}`, { status: 'FINISHED', endTime: 9000 });
    expect(info.body).toEqual({ ...created.body.info, status: 'FINISHED', endTime: 9000 });

    const child = await suite.http.post('/api/v1/runs', { experimentId, parentRunId: runId });
    expect(child.body.info.parentRunId).toBe(runId);
    const found = await suite.http.post('/api/v1/runs/search', { experimentIds: [experimentId], filter: "params.depth = '3'", orderBy: ['start_time DESC'] });
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ items: [{ ...run, info: info.body }] });

    expect((await suite.http.delete(`/api/v1/runs/${runId}`)).status).toBe(204);
    expect((await suite.http.post('/api/v1/runs/search', { experimentIds: [experimentId], filter: "params.depth = '3'" })).body.items).toEqual([]);
    expect((await suite.http.post(`/api/v1/runs/${runId}/restore`)).status).toBe(204);
    expect((await suite.http.get(`/api/v1/runs/${runId}`)).body.info.lifecycleStage).toBe('active');
  });

  it('accepts a body-less call that still says application/json', async () => {
    const experimentId: string = (await suite.http.post('/api/v1/experiments', { name: 'empty-body' })).body.experimentId;
    const response = await fetch(`${suite.server.url}/api/v1/experiments/${experimentId}`, { method: 'DELETE', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(204);
  });

  it('refuses body fields and query parameters it does not know, naming them, where MLflow routes drop them', async () => {
    const search = await suite.http.post('/api/v1/runs/search', { experiment_ids: ['0'] });
    expect(search.status).toBe(400);
    expect(search.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('experiment_ids') });
    const listing = await suite.http.get('/api/v1/experiments', { max_results: 5 });
    expect(listing.status).toBe(400);
    expect(listing.body.message).toContain('max_results');
    // Known fields still work, and MLflow's routes keep ignoring what newer MLflow clients add.
    expect((await suite.http.post('/api/v1/runs/search', { experimentIds: ['0'] })).status).toBe(200);
    expect((await suite.http.post('/api/2.0/mlflow/runs/search', { experiment_ids: ['0'], newer_field: true })).status).toBe(200);
  });
});
