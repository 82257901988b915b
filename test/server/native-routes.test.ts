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
      experiment_id: expect.stringMatching(/^\d+$/),
      name: 'native',
      project: 'default',
      artifact_location: `mlflow-artifacts:/${experiment.experiment_id}`,
      lifecycle_stage: 'active',
      creation_time: expect.any(Number),
      last_update_time: expect.any(Number),
      tags: { team: 'risk' },
    });
    const id: string = experiment.experiment_id;
    expect((await suite.http.get(`/api/v1/experiments/${id}`)).body).toEqual(experiment);
    expect((await suite.http.get('/api/v1/experiments/by-name/native')).body).toEqual(experiment);
    expect((await suite.http.put('/api/v1/experiments/by-name/native')).body).toEqual(experiment);

    const made = await suite.http.put('/api/v1/experiments/by-name/made%20on%20demand');
    expect(made.status).toBe(200);
    expect(made.body.name).toBe('made on demand');

    expect((await suite.http.patch(`/api/v1/experiments/${id}`, { name: 'native-renamed' })).body.name).toBe(
      'native-renamed',
    );
    expect((await suite.http.put(`/api/v1/experiments/${id}/tags/owner`, { value: 'ana' })).status).toBe(204);
    expect((await suite.http.get(`/api/v1/experiments/${id}`)).body.tags).toEqual({ team: 'risk', owner: 'ana' });

    type Listing = { body: { items: { experiment_id: string }[] } };
    const ids = (answer: Listing) => answer.body.items.map((e) => e.experiment_id);
    const renamed = { filter: "name = 'native-renamed'" };
    const page = await suite.http.get('/api/v1/experiments', { ...renamed, max_results: 5, order_by: ['name ASC'] });
    expect(page.status).toBe(200);
    expect(ids(page)).toEqual([id]);
    const firstPage = await suite.http.get('/api/v1/experiments', { max_results: 1, order_by: 'name' });
    expect(firstPage.body.items).toHaveLength(1);
    expect(firstPage.body.next_page_token).toEqual(expect.any(String));
    const page_token: string = firstPage.body.next_page_token;
    const secondPage = await suite.http.get('/api/v1/experiments', { max_results: 1, order_by: 'name', page_token });
    expect(secondPage.body.items).toHaveLength(1);
    expect(secondPage.body.items[0].name > firstPage.body.items[0].name).toBe(true);

    const deleted = await suite.http.delete(`/api/v1/experiments/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect((await suite.http.get(`/api/v1/experiments/${id}`)).body.lifecycle_stage).toBe('deleted');
    expect(ids(await suite.http.get('/api/v1/experiments', renamed))).toEqual([]);
    expect(ids(await suite.http.get('/api/v1/experiments', { ...renamed, view_type: 'DELETED_ONLY' }))).toEqual([id]);
    expect((await suite.http.post(`/api/v1/experiments/${id}/restore`)).status).toBe(204);
    expect((await suite.http.get(`/api/v1/experiments/${id}`)).body.lifecycle_stage).toBe('active');
  });

  it('creates a run, logs a batch, tags and inputs, pages history, updates and searches', async () => {
    const experiment = await suite.http.post('/api/v1/experiments', { name: 'native-runs' });
    const experimentId: string = experiment.body.experiment_id;
    const created = await suite.http.post('/api/v1/runs', {
      experiment_id: experimentId,
      run_name: 'r1',
      user_id: 'ana',
      start_time: 1000,
      tags: { stage: 'dev', camelCase: 'kept' },
    });
    expect(created.status).toBe(201);
    const runId: string = created.body.info.run_id;
    expect(created.body.info).toEqual({
      run_id: runId,
      run_name: 'r1',
      experiment_id: experimentId,
      user_id: 'ana',
      status: 'RUNNING',
      start_time: 1000,
      end_time: null,
      lifecycle_stage: 'active',
      artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
      parent_run_id: null,
    });

    const metrics = Array.from({ length: 5 }, (_, step) => ({
      key: 'acc',
      value: step / 10,
      timestamp: 2000 + step,
      step,
    }));
    const batch = await suite.http.post(`/api/v1/runs/${runId}/batch`, {
      metrics: [...metrics, { key: 'odd', value: '-Infinity', timestamp: 1, step: 0 }],
      params: [
        { key: 'depth', value: '3' },
        { key: 'learningRate', value: '0.1' },
      ],
      tags: [{ key: 'note', value: 'first' }],
    });
    expect(batch.status).toBe(204);
    expect(
      (await suite.http.put(`/api/v1/runs/${runId}/tags/${encodeURIComponent('team/sub')}`, { value: 'x' })).status,
    ).toBe(204);
    expect((await suite.http.delete(`/api/v1/runs/${runId}/tags/note`)).status).toBe(204);
    const datasets = [{ name: 'customers', digest: 'd1', context: 'eval', source_type: 's3', source: 's3://b/c' }];
    const inputs = await suite.http.post(`/api/v1/runs/${runId}/inputs`, { datasets });
    expect(inputs.status).toBe(204);

    const run = (await suite.http.get(`/api/v1/runs/${runId}`)).body;
    expect(run.data.metrics).toEqual([
      { key: 'acc', value: 0.4, timestamp: 2004, step: 4 },
      { key: 'odd', value: '-Infinity', timestamp: 1, step: 0 },
    ]);
    // Keys of params and tags are data: they keep their case.
    expect(run.data.params).toEqual({ depth: '3', learningRate: '0.1' });
    expect(run.data.tags).toMatchObject({ stage: 'dev', camelCase: 'kept', 'team/sub': 'x' });
    expect(run.data.tags).toMatchObject({ 'mlflow.runName': 'r1', 'mlflow.user': 'ana' });
    expect(run.data.tags).not.toHaveProperty('note');
    expect(run.inputs).toEqual(datasets);

    const history = `/api/v1/runs/${runId}/metrics/acc/history`;
    const first = await suite.http.get(history, { max_results: 3 });
    expect(first.body.items).toEqual(metrics.slice(0, 3));
    expect(first.body.next_page_token).toEqual(expect.any(String));
    const rest = await suite.http.get(history, { max_results: 3, page_token: first.body.next_page_token });
    expect(rest.body).toEqual({ items: metrics.slice(3) });

    const info = await suite.http.patch(`/api/v1/runs/${runId}`, { status: 'FINISHED', end_time: 9000 });
    expect(info.body).toEqual({ ...created.body.info, status: 'FINISHED', end_time: 9000 });

    const child = await suite.http.post('/api/v1/runs', { experiment_id: experimentId, parent_run_id: runId });
    expect(child.body.info.parent_run_id).toBe(runId);
    const search = { experiment_ids: [experimentId], filter: "params.depth = '3'" };
    const found = await suite.http.post('/api/v1/runs/search', { ...search, order_by: ['start_time DESC'] });
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ items: [{ ...run, info: info.body }] });

    expect((await suite.http.delete(`/api/v1/runs/${runId}`)).status).toBe(204);
    expect((await suite.http.post('/api/v1/runs/search', search)).body.items).toEqual([]);
    const deleted = await suite.http.post('/api/v1/runs/search', { ...search, run_view_type: 'DELETED_ONLY' });
    expect(deleted.body.items.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([runId]);
    expect((await suite.http.post(`/api/v1/runs/${runId}/restore`)).status).toBe(204);
    expect((await suite.http.get(`/api/v1/runs/${runId}`)).body.info.lifecycle_stage).toBe('active');
  });

  it('accepts a body-less call that still says application/json', async () => {
    const experiment = await suite.http.post('/api/v1/experiments', { name: 'empty-body' });
    const experimentId: string = experiment.body.experiment_id;
    const response = await fetch(`${suite.server.url}/api/v1/experiments/${experimentId}`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(204);
  });

  it('refuses unknown body fields and query parameters, naming them, where MLflow routes drop them', async () => {
    // The camelCase names of before snake_case became the one convention are unknown fields now.
    const experimentId: string = (await suite.http.post('/api/v1/experiments', { name: 'strict' })).body.experiment_id;
    const runId: string = (await suite.http.post('/api/v1/runs', { experiment_id: experimentId })).body.info.run_id;
    const { http } = suite;
    const refused = [
      ['runs/search', await http.post('/api/v1/runs/search', { experimentIds: ['0'] }), 'experimentIds'],
      [
        'experiments create',
        await http.post('/api/v1/experiments', { name: 'camel', artifactLocation: 'a' }),
        'artifactLocation',
      ],
      ['runs create', await http.post('/api/v1/runs', { experiment_id: '0', runName: 'camel' }), 'runName'],
      ['runs update', await http.patch(`/api/v1/runs/${runId}`, { endTime: 1 }), 'endTime'],
      ['experiments list', await http.get('/api/v1/experiments', { maxResults: 5 }), 'maxResults'],
      ['metric history', await http.get(`/api/v1/runs/${runId}/metrics/m/history`, { pageToken: 'x' }), 'pageToken'],
      ['runs restore', await http.post(`/api/v1/runs/${runId}/restore`, { run_id: runId }), 'run_id'],
      ['get or create', await http.put('/api/v1/experiments/by-name/camel', { project: 'default' }), 'project'],
    ] as const;
    for (const [route, answer, field] of refused) {
      expect({ route, status: answer.status }).toEqual({ route, status: 400 });
      expect(answer.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
      expect(answer.body.message).toContain(field);
    }
    const camelDataset = { name: 'd', digest: 'd1', sourceType: 's3' };
    const nested = await http.post(`/api/v1/runs/${runId}/inputs`, { datasets: [camelDataset] });
    expect(nested.status).toBe(400);
    expect(nested.body).toMatchObject({ where: 'datasets[0]', message: expect.stringContaining('sourceType') });
    expect((await suite.http.get(`/api/v1/runs/${runId}`)).body.inputs).toEqual([]);
    expect((await suite.http.get('/api/v1/experiments/by-name/camel')).status).toBe(404);
    // Known fields still work, and MLflow's routes keep ignoring what newer MLflow clients add.
    expect((await suite.http.post('/api/v1/runs/search', { experiment_ids: ['0'] })).status).toBe(200);
    expect(
      (await suite.http.post('/api/2.0/mlflow/runs/search', { experiment_ids: ['0'], newer_field: true })).status,
    ).toBe(200);
  });

  it('names a refused field as it was sent', async () => {
    const answer = await suite.http.post('/api/v1/runs/search', { experiment_ids: ['not a number'] });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'experiment_ids[0]' });
  });
});
