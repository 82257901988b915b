import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { useTestServer } from './http.js';

const MLFLOW = '/api/2.0/mlflow';
const RUN_INFO_KEYS = [
  'artifact_uri',
  'end_time',
  'experiment_id',
  'lifecycle_stage',
  'run_id',
  'run_name',
  'run_uuid',
  'start_time',
  'status',
  'user_id',
];

/** What an MLflow client does over a training run, asserted against MLflow's JSON shapes. */
describe.each(DIALECTS)('MLflow REST API, client flow (%s)', (dialect) => {
  const suite = useTestServer(dialect);

  it('creates an experiment, logs a run, reads it back, searches and finishes it', async () => {
    const created = await suite.http.post(`${MLFLOW}/experiments/create`, {
      name: 'churn',
      tags: [{ key: 'team', value: 'risk' }],
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ experiment_id: expect.stringMatching(/^\d+$/) });
    const experimentId: string = created.body.experiment_id;

    const fetched = await suite.http.get(`${MLFLOW}/experiments/get`, { experiment_id: experimentId });
    expect(fetched.body).toEqual({
      experiment: {
        experiment_id: experimentId,
        name: 'churn',
        artifact_location: `mlflow-artifacts:/${experimentId}`,
        lifecycle_stage: 'active',
        last_update_time: expect.any(Number),
        creation_time: expect.any(Number),
        tags: [{ key: 'team', value: 'risk' }],
      },
    });
    const byName = await suite.http.get(`${MLFLOW}/experiments/get-by-name`, { experiment_name: 'churn' });
    expect(byName.body).toEqual(fetched.body);

    // MLflow's protobuf JSON may send int64 fields as strings.
    const startTime = 1_700_000_000_000;
    const run = await suite.http.post(`${MLFLOW}/runs/create`, {
      experiment_id: experimentId,
      user_id: 'ana',
      run_name: 'gbt-1',
      start_time: String(startTime),
      tags: [{ key: 'mlflow.source.name', value: 'train.py' }],
    });
    expect(run.status).toBe(200);
    const runId: string = run.body.run.info.run_id;
    expect(run.body).toEqual({
      run: {
        info: {
          run_id: runId,
          run_uuid: runId,
          run_name: 'gbt-1',
          experiment_id: experimentId,
          user_id: 'ana',
          status: 'RUNNING',
          start_time: startTime,
          artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
          lifecycle_stage: 'active',
        },
        data: {
          metrics: [],
          params: [],
          tags: expect.arrayContaining([
            { key: 'mlflow.source.name', value: 'train.py' },
            { key: 'mlflow.runName', value: 'gbt-1' },
            { key: 'mlflow.user', value: 'ana' },
          ]),
        },
        inputs: { dataset_inputs: [] },
      },
    });

    const metrics = Array.from({ length: 1000 }, (_, step) => ({
      key: 'loss',
      value: 1 / (step + 1),
      timestamp: step % 2 === 0 ? startTime + step : String(startTime + step),
      step,
    }));
    expect(
      await suite.http.post(`${MLFLOW}/runs/log-batch`, { run_id: runId, metrics, params: [], tags: [] }),
    ).toMatchObject({ status: 200, body: {} });
    expect(
      await suite.http.post(`${MLFLOW}/runs/log-parameter`, { run_id: runId, key: 'lr', value: '0.01' }),
    ).toMatchObject({ status: 200, body: {} });
    expect(
      await suite.http.post(`${MLFLOW}/runs/set-tag`, { run_uuid: runId, key: 'team', value: 'risk' }),
    ).toMatchObject({ status: 200, body: {} });

    const got = await suite.http.get(`${MLFLOW}/runs/get`, { run_id: runId });
    expect(got.status).toBe(200);
    expect(Object.keys(got.body.run.info).sort()).toEqual(RUN_INFO_KEYS.filter((key) => key !== 'end_time'));
    expect(got.body.run.data.metrics).toEqual([
      { key: 'loss', value: 1 / 1000, timestamp: startTime + 999, step: 999 },
    ]);
    expect(got.body.run.data.params).toEqual([{ key: 'lr', value: '0.01' }]);
    expect(got.body.run.data.tags).toContainEqual({ key: 'team', value: 'risk' });
    expect((await suite.http.get(`${MLFLOW}/runs/get`, { run_uuid: runId })).body).toEqual(got.body);

    const history: unknown[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const page = await suite.http.get(`${MLFLOW}/metrics/get-history`, {
        run_id: runId,
        metric_key: 'loss',
        max_results: 400,
        ...(pageToken ? { page_token: pageToken } : {}),
      });
      expect(page.status).toBe(200);
      expect(page.body.metrics.length).toBeLessThanOrEqual(400);
      history.push(...page.body.metrics);
      pageToken = page.body.next_page_token;
      pages += 1;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(history).toEqual(metrics.map((m) => ({ ...m, timestamp: Number(m.timestamp) })));

    const other = await suite.http.post(`${MLFLOW}/runs/create`, {
      experiment_id: experimentId,
      run_name: 'gbt-2',
      start_time: startTime + 1,
    });
    const otherId: string = other.body.run.info.run_id;
    await suite.http.post(`${MLFLOW}/runs/log-batch`, {
      run_id: otherId,
      metrics: [{ key: 'loss', value: 0.5, timestamp: startTime, step: 0 }],
      params: [{ key: 'lr', value: '0.1' }],
    });

    const byParam = await suite.http.post(`${MLFLOW}/runs/search`, {
      experiment_ids: [experimentId],
      filter: "params.lr = '0.01'",
    });
    expect(byParam.status).toBe(200);
    expect(byParam.body.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([runId]);
    expect(byParam.body.runs[0]).toEqual(got.body.run);

    const ordered = await suite.http.post(`${MLFLOW}/runs/search`, {
      experiment_ids: [experimentId],
      filter: 'metrics.loss < 1',
      order_by: ['metrics.loss DESC'],
      run_view_type: 'ACTIVE_ONLY',
      max_results: 1,
    });
    expect(ordered.body.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([otherId]);
    expect(ordered.body.next_page_token).toEqual(expect.any(String));
    const second = await suite.http.post(`${MLFLOW}/runs/search`, {
      experiment_ids: [experimentId],
      filter: 'metrics.loss < 1',
      order_by: ['metrics.loss DESC'],
      max_results: 1,
      page_token: ordered.body.next_page_token,
    });
    expect(second.body.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([runId]);

    const endTime = startTime + 60_000;
    const finished = await suite.http.post(`${MLFLOW}/runs/update`, {
      run_id: runId,
      status: 'FINISHED',
      end_time: String(endTime),
    });
    expect(finished.status).toBe(200);
    expect(finished.body).toEqual({ run_info: { ...got.body.run.info, status: 'FINISHED', end_time: endTime } });
    expect(Object.keys(finished.body.run_info).sort()).toEqual(RUN_INFO_KEYS);
  });

  it('round-trips NaN, Infinity and -Infinity through log-metric, log-batch, get and get-history', async () => {
    const run = await suite.http.post(`${MLFLOW}/runs/create`, { experiment_id: '0', start_time: 1 });
    const runId: string = run.body.run.info.run_id;
    for (const [key, value] of [
      ['nan', 'NaN'],
      ['inf', 'Infinity'],
      ['neg_inf', '-Infinity'],
    ]) {
      const logged = await suite.http.post(`${MLFLOW}/runs/log-metric`, {
        run_id: runId,
        key,
        value,
        timestamp: 10,
        step: 1,
      });
      expect(logged).toMatchObject({ status: 200, body: {} });
    }
    await suite.http.post(`${MLFLOW}/runs/log-batch`, {
      run_id: runId,
      metrics: [
        { key: 'nan', value: 'NaN', timestamp: 11, step: 2 },
        { key: 'mixed', value: 'Infinity', timestamp: 11, step: 0 },
        { key: 'mixed', value: 2.5, timestamp: 12, step: 1 },
      ],
    });

    const got = await suite.http.get(`${MLFLOW}/runs/get`, { run_id: runId });
    expect(got.body.run.data.metrics).toEqual([
      { key: 'inf', value: 'Infinity', timestamp: 10, step: 1 },
      { key: 'mixed', value: 2.5, timestamp: 12, step: 1 },
      { key: 'nan', value: 'NaN', timestamp: 11, step: 2 },
      { key: 'neg_inf', value: '-Infinity', timestamp: 10, step: 1 },
    ]);
    const nan = await suite.http.get(`${MLFLOW}/metrics/get-history`, { run_id: runId, metric_key: 'nan' });
    expect(nan.body).toEqual({
      metrics: [
        { key: 'nan', value: 'NaN', timestamp: 10, step: 1 },
        { key: 'nan', value: 'NaN', timestamp: 11, step: 2 },
      ],
    });
    const mixed = await suite.http.get(`${MLFLOW}/metrics/get-history`, { run_id: runId, metric_key: 'mixed' });
    expect(mixed.body.metrics.map((m: { value: unknown }) => m.value)).toEqual(['Infinity', 2.5]);
  });

  it('records dataset inputs with their context as MLflow shapes them', async () => {
    const run = await suite.http.post(`${MLFLOW}/runs/create`, { experiment_id: '0' });
    const runId: string = run.body.run.info.run_id;
    const dataset = {
      name: 'customers',
      digest: 'abc123',
      source_type: 'local',
      source: '{"uri": "data/customers.csv"}',
      schema: '{}',
      profile: '{"num_rows": 10}',
    };
    const logged = await suite.http.post(`${MLFLOW}/runs/log-inputs`, {
      run_id: runId,
      datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset }],
    });
    expect(logged).toMatchObject({ status: 200, body: {} });
    const got = await suite.http.get(`${MLFLOW}/runs/get`, { run_id: runId });
    expect(got.body.run.inputs).toEqual({
      dataset_inputs: [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset }],
    });
  });

  it('searches, renames, tags, deletes and restores experiments', async () => {
    const { body } = await suite.http.post(`${MLFLOW}/experiments/create`, { name: 'to-rename' });
    const experimentId: string = body.experiment_id;
    expect(
      await suite.http.post(`${MLFLOW}/experiments/update`, { experiment_id: experimentId, new_name: 'renamed' }),
    ).toMatchObject({ status: 200, body: {} });
    expect(
      await suite.http.post(`${MLFLOW}/experiments/set-experiment-tag`, {
        experiment_id: experimentId,
        key: 'k',
        value: 'v',
      }),
    ).toMatchObject({ status: 200, body: {} });
    const fetched = await suite.http.get(`${MLFLOW}/experiments/get`, { experiment_id: experimentId });
    expect(fetched.body.experiment).toMatchObject({ name: 'renamed', tags: [{ key: 'k', value: 'v' }] });

    const viaPost = await suite.http.post(`${MLFLOW}/experiments/search`, {
      filter: "name = 'renamed'",
      max_results: 10,
    });
    expect(viaPost.body.experiments).toEqual([fetched.body.experiment]);
    const viaGet = await suite.http.get(`${MLFLOW}/experiments/search`, {
      filter: "name = 'renamed'",
      max_results: 10,
      view_type: 'ALL',
    });
    expect(viaGet.body).toEqual(viaPost.body);

    expect(await suite.http.post(`${MLFLOW}/experiments/delete`, { experiment_id: experimentId })).toMatchObject({
      status: 200,
      body: {},
    });
    const active = await suite.http.post(`${MLFLOW}/experiments/search`, { filter: "name = 'renamed'" });
    expect(active.body.experiments).toEqual([]);
    const deleted = await suite.http.post(`${MLFLOW}/experiments/search`, {
      filter: "name = 'renamed'",
      view_type: 'DELETED_ONLY',
    });
    expect(deleted.body.experiments.map((e: { lifecycle_stage: string }) => e.lifecycle_stage)).toEqual(['deleted']);
    expect(await suite.http.post(`${MLFLOW}/experiments/restore`, { experiment_id: experimentId })).toMatchObject({
      status: 200,
      body: {},
    });
    expect(
      (await suite.http.get(`${MLFLOW}/experiments/get`, { experiment_id: experimentId })).body.experiment
        .lifecycle_stage,
    ).toBe('active');
  });

  it('deletes and restores runs and tags, and answers the ajax-api prefix too', async () => {
    const run = await suite.http.post(`${MLFLOW}/runs/create`, {
      experiment_id: '0',
      tags: [{ key: 'scratch', value: '1' }],
    });
    const runId: string = run.body.run.info.run_id;
    expect(await suite.http.post(`${MLFLOW}/runs/delete-tag`, { run_id: runId, key: 'scratch' })).toMatchObject({
      status: 200,
      body: {},
    });
    expect(await suite.http.post(`${MLFLOW}/runs/delete`, { run_id: runId })).toMatchObject({ status: 200, body: {} });
    const ajax = await suite.http.get('/ajax-api/2.0/mlflow/runs/get', { run_id: runId });
    expect(ajax.body.run.info.lifecycle_stage).toBe('deleted');
    expect(ajax.body.run.data.tags).not.toContainEqual({ key: 'scratch', value: '1' });
    expect(await suite.http.post(`${MLFLOW}/runs/restore`, { run_id: runId })).toMatchObject({ status: 200, body: {} });
    expect((await suite.http.get(`${MLFLOW}/runs/get`, { run_id: runId })).body.run.info.lifecycle_stage).toBe(
      'active',
    );
  });
});
