import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderLineage } from '../../src/cli/lineage.js';
import { CicloError } from '../../src/common/errors.js';
import type { LineageGraph } from '../../src/lineage/index.js';
import type { AlertEvent } from '../../src/monitoring/index.js';
import type { LoadedPipeline } from '../../src/pipelines/index.js';
import { ParquetCaptureSink, type EncodedRequest } from '../../src/serving/index.js';
import { TriggerRuntime } from '../../src/triggers/index.js';
import { edgeList, nodeIds } from '../lineage/support.js';
import { api } from '../server/http.js';
import { writeServingPackage } from '../serving/support.js';
import { DIALECTS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { loaded, triggerOf, waitFor } from '../triggers/support.js';

const SIGNATURE = { inputs: [{ name: 'amount', type: 'double' }], outputs: [{ name: 'score', type: 'double' }] };
const MONITOR = 'scorer-watch';

/**
 * The closed loop through lineage, over a real store, capture Parquet, DuckDB and the trigger runtime. The `ops`
 * project serves `scorer` as `scorer-prod` and watches it (`scorer-watch`: PSI of `amount`, this window against the
 * one before); the `ml` project's `churn-retrain` pipeline has an alert trigger on that monitor, and `churn/2` is
 * registered from its `train` step. `mia` reads `ml` only; `olga` reads both.
 */
describe.each(DIALECTS)('monitoring lineage (%s)', (dialect) => {
  let server: TestServer;
  let fired: AlertEvent;
  let resultId: number;
  let pipelineRunId: string;
  let trainRunId: string;
  let retrain: LoadedPipeline;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    server = await startTestServer(dialect, { auth: true });
    const { context } = server;
    const { access, tracking, registry, deployments, monitors } = context;
    const home = context.config.home;
    for (const project of ['ops', 'ml']) await access.createProject(project);
    for (const [user, projects] of [
      ['mia', ['ml']],
      ['olga', ['ml', 'ops']],
    ] as const) {
      await access.createUser(user);
      for (const project of projects) await access.grant(project, user, 'viewer');
      tokens[user] = (await access.createToken(user)).token;
    }

    const pkg = join(home, 'pkg');
    await writeServingPackage(
      pkg,
      { 'model.mjs': 'export const load = () => 0; export const predict = (s, rows) => rows.map((r) => r.amount);' },
      { flavor: 'js', entry: 'model.mjs', signature: SIGNATURE },
    );
    const logged = async (experimentName: string, project: string) => {
      const experiment = await tracking.getOrCreateExperiment(experimentName, project);
      const run = await tracking.createRun({ experimentId: experiment.experimentId });
      await tracking.logArtifactDirectory(run.info.runId, pkg, 'model');
      return run.info.runId;
    };
    await registry.register('scorer', { runId: await logged('ops-serving', 'ops'), path: 'model' });
    await registry.register('churn', { runId: await logged('churn-dev', 'ml'), path: 'model' });
    await deployments.create({ name: 'scorer-prod', model: 'scorer/1', environment: 'prod' });
    await deployments.startUpdate('scorer-prod', 1);
    await deployments.markServing('scorer-prod', 1);

    // 600 requests: the newest 300 (the monitor's window) moved `amount` up by 50 from the 300 before them.
    const now = Date.now();
    const requests: EncodedRequest[] = [];
    for (let i = 0; i < 600; i++) {
      const amount = (i < 300 ? 0 : 50) + ((i * 37) % 100);
      const row = {
        request_id: `req-${i}`,
        row: 0,
        time: now - 60_000 + i,
        model: 'scorer',
        version: 1,
        protocol: 'mlflow',
        latency_ms: 1,
        inputs: JSON.stringify({ amount }),
        outputs: JSON.stringify({ score: [amount] }),
      };
      requests.push({ requestId: row.request_id, time: row.time, rows: 1, lines: JSON.stringify(row) });
    }
    const sink = new ParquetCaptureSink(context.captures);
    await sink.write('scorer-prod', requests);
    await sink.close();
    await monitors.apply(
      [
        `name: ${MONITOR}`,
        'deployment: scorer-prod',
        'window: { rows: 300 }',
        'reference: previous_window',
        'features: [amount]',
        'alerts: [{ name: amount-drift, metric: drift.psi, feature: amount, above: 0.2, severity: critical }]',
      ].join('\n'),
      'watch.yaml',
    );

    const workDir = join(server.context.config.home, 'work');
    await mkdir(workDir, { recursive: true });
    retrain = loaded(
      {
        name: 'churn-retrain',
        project: 'ml',
        steps: [
          {
            name: 'train',
            kind: 'command',
            command: ['sh', '-c', `cp -R '${pkg}' "$CICLO_OUTPUT_DIR/model"`],
            outputs: { model: { type: 'folder' } },
          },
        ],
        triggers: [{ name: 'on_drift', type: 'alert', monitor: MONITOR, interval: '20ms' }],
      },
      workDir,
    );
    const runtime = new TriggerRuntime({
      pipelines: context.pipelines,
      db: context.database.db,
      config: context.config,
      waitPollMs: 25,
    });
    runtime.add(retrain);
    await runtime.start();
    try {
      await waitFor('the cursor', async () => (await runtime.counters('churn-retrain', 'on_drift')).cursor);
      const run = await monitors.run(MONITOR);
      expect(run).toMatchObject({ status: 'ok', rows: 300 });
      expect(run.alerts).toHaveLength(1);
      fired = run.alerts[0]!;
      resultId = run.id;
      const started = await waitFor('a triggered run', async () => (await context.pipelines.listRuns())[0]);
      pipelineRunId = started.id;
      const done = await waitFor('the run to end', async () => {
        const { run: row, steps } = await context.pipelines.getRun(pipelineRunId);
        return row.status === 'RUNNING' || row.status === 'PENDING' ? undefined : { row, steps };
      });
      expect(done.row.status).toBe('SUCCEEDED');
      expect(triggerOf(done.row)?.payload).toMatchObject({ alert_id: fired.id, monitor: MONITOR });
      trainRunId = done.steps.find((step) => step.step_name === 'train')!.run_id!;
    } finally {
      await runtime.stop();
    }
    const version = await registry.register('churn', { runId: trainRunId, path: 'outputs/model' });
    expect(version.version).toBe(2);
  });
  afterAll(async () => server?.stop());

  const alertId = () => `alert:${fired.id}`;
  const windowId = () => `window:${MONITOR}/${resultId}`;

  it('walks up from a retrained version via its pipeline run to the alert and the window that fired it', async () => {
    const graph = await server.context.lineage.graph('model:churn/2', { direction: 'upstream' });
    expect(edgeList(graph)).toEqual(
      expect.arrayContaining([
        `run:${trainRunId} -produced-> model:churn/2`,
        `run:${pipelineRunId} -contains-> run:${trainRunId}`,
        `${alertId()} -triggered-> run:${pipelineRunId}`,
        `${windowId()} -fired-> ${alertId()}`,
      ]),
    );
    expect(graph.edges.find((edge) => edge.type === 'triggered')?.name).toBe('on_drift');
    expect(graph.nodes.find((node) => node.kind === 'alert')).toEqual({
      id: alertId(),
      kind: 'alert',
      alertId: fired.id,
      monitor: MONITOR,
      deployment: 'scorer-prod',
      rule: 'amount-drift',
      metric: 'drift.psi',
      feature: 'amount',
      value: fired.value,
      severity: 'critical',
      time: fired.time,
    });
    expect(fired.value).toBeGreaterThan(0.2);
    const window = graph.nodes.find((node) => node.kind === 'window');
    expect(window).toMatchObject({
      id: windowId(),
      monitor: MONITOR,
      resultId,
      deployment: 'scorer-prod',
      model: 'scorer',
      version: 1,
      rows: 300,
      status: 'ok',
    });
    // The same span the alert's payload (what webhooks get) names.
    expect(window?.kind === 'window' && { start: window.start, end: window.end }).toEqual(fired.payload.window);

    const text = renderLineage(graph);
    expect(text).toContain(`triggered by  alert ${fired.id}  ${MONITOR}/amount-drift  critical  drift.psi[amount]=`);
    expect(text).toContain(`fired by  window ${MONITOR}/${resultId}  deployment scorer-prod  model scorer/1`);
    expect(text).toContain('300 rows');
  });

  it('walks down from the window to the alert, the pipeline run and the version it registered', async () => {
    const graph = await server.context.lineage.graph(windowId(), { direction: 'downstream' });
    expect(graph.roots).toEqual([windowId()]);
    expect(edgeList(graph)).toEqual(
      expect.arrayContaining([
        `${windowId()} -fired-> ${alertId()}`,
        `${alertId()} -triggered-> run:${pipelineRunId}`,
        `run:${trainRunId} -produced-> model:churn/2`,
      ]),
    );
    // Nothing is upstream of a window: the traffic itself lives in capture files.
    const up = await server.context.lineage.graph(windowId(), { direction: 'upstream' });
    expect(up.edges).toEqual([]);
    const fromAlert = await server.context.lineage.graph(alertId(), { depth: 1 });
    expect(edgeList(fromAlert).sort()).toEqual(
      [`${alertId()} -triggered-> run:${pipelineRunId}`, `${windowId()} -fired-> ${alertId()}`].sort(),
    );
  });

  it('finds the alert of a run whose payload predates alert_id, by monitor, rule, result and time', async () => {
    // The stored event's payload is what the trigger recorded before it added the event's id.
    expect(fired.payload).not.toHaveProperty('alert_id');
    const oldRun = await server.context.pipelines.start(retrain, {
      trigger: { name: 'on_drift', type: 'alert', payload: fired.payload },
    });
    // A payload naming an alert of another rule than its own is not taken at its word.
    const forged = await server.context.pipelines.start(retrain, {
      trigger: { name: 'on_drift', type: 'alert', payload: { ...fired.payload, rule: 'other', alert_id: fired.id } },
    });
    const up = await server.context.lineage.graph(oldRun, { direction: 'upstream', depth: 1 });
    expect(edgeList(up)).toEqual([`${alertId()} -triggered-> run:${oldRun}`]);
    expect((await server.context.lineage.graph(forged, { direction: 'upstream', depth: 1 })).edges).toEqual([]);
    const down = await server.context.lineage.graph(alertId(), { direction: 'downstream', depth: 1 });
    expect(nodeIds(down).sort()).toEqual([alertId(), `run:${pipelineRunId}`, `run:${oldRun}`].sort());
  });

  it('names alerts and windows by id, and says when there is no such node', async () => {
    const { lineage } = server.context;
    const error = async (node: string) =>
      lineage.graph(node).then(
        () => undefined,
        (thrown: unknown) => (thrown instanceof CicloError ? [thrown.code, thrown.message] : thrown),
      );
    expect(await error('alert:abc')).toEqual([
      'INVALID_PARAMETER_VALUE',
      "'abc' is not an alert event id (a whole number from 1)",
    ]);
    expect(await error('window:7')).toEqual(['INVALID_PARAMETER_VALUE', "'7' is not <monitor>/<result id>"]);
    expect(await error(`alert:${fired.id + 1000}`)).toEqual([
      'RESOURCE_DOES_NOT_EXIST',
      `no alert fired with id ${fired.id + 1000}`,
    ]);
    expect(await error(`window:other/${resultId}`)).toEqual([
      'RESOURCE_DOES_NOT_EXIST',
      `monitor "other" has no result ${resultId}`,
    ]);
  });

  it("hides the alert and the window from a caller who reads the model's project but not the monitor's", async () => {
    const get = (user: string, node: string) =>
      api(server.url, { authorization: `Bearer ${tokens[user]}` }).get('/api/v1/lineage', {
        node,
        direction: 'upstream',
      });
    const mia = await get('mia', 'model:churn/2');
    expect(mia.status).toBe(200);
    const miaGraph = mia.body as LineageGraph;
    expect(nodeIds(miaGraph)).toContain(`run:${pipelineRunId}`);
    expect(miaGraph.nodes.filter((node) => node.kind === 'alert' || node.kind === 'window')).toEqual([]);
    expect(miaGraph.edges.filter((edge) => edge.type === 'triggered' || edge.type === 'fired')).toEqual([]);
    expect(JSON.stringify(miaGraph)).not.toContain(MONITOR);
    expect((await get('mia', alertId())).status).toBe(404);
    expect((await get('mia', windowId())).status).toBe(404);

    const olga = await get('olga', 'model:churn/2');
    expect(olga.status).toBe(200);
    expect(olga.body.nodes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: alertId(), alert_id: fired.id, rule: 'amount-drift' }),
        expect.objectContaining({ id: windowId(), result_id: resultId, rows: 300, deployment: 'scorer-prod' }),
      ]),
    );
    expect((await get('olga', windowId())).status).toBe(200);
  });

  // Last: it deletes the monitor.
  it('hides an alert whose monitor is gone from callers limited to projects', async () => {
    await server.context.monitors.delete(MONITOR);
    const readable = ['ml', 'ops'];
    const limited = await server.context.lineage.graph('model:churn/2', { direction: 'upstream', readable });
    expect(nodeIds(limited)).toContain(`run:${pipelineRunId}`);
    expect(limited.nodes.some((node) => node.kind === 'alert')).toBe(false);
    // The window went with the monitor's results; the alert stays in the history.
    const everything = await server.context.lineage.graph('model:churn/2', { direction: 'upstream' });
    expect(nodeIds(everything)).toContain(alertId());
    expect(nodeIds(everything)).not.toContain(windowId());
  });
});
