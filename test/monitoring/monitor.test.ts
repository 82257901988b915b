import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withActor } from '../../src/governance/index.js';
import { registerMonitoringGauges } from '../../src/monitoring/index.js';
import { ParquetCaptureSink, type CapturedRow, type EncodedRequest } from '../../src/serving/index.js';
import { DIALECTS } from '../support/databases.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { prng } from '../support/prng.js';
import { registerPackage, writeServingPackage } from '../serving/support.js';

const SIGNATURE = {
  inputs: [
    { name: 'amount', type: 'double' },
    { name: 'age', type: 'double' },
    { name: 'plan', type: 'string' },
  ],
  outputs: [{ name: 'score', type: 'double' }],
};
const TRAINING_ROWS = 2000;
const TRAFFIC_ROWS = 600;

/**
 * Monitors end to end over a real store, real capture Parquet files and DuckDB: a served version with a baseline
 * (its training dataset, named by hand), traffic whose `amount` and `plan` drifted while `age` did not, feedback for
 * part of it, and a monitor with model quality, custom SQL and an alert rule.
 */
describe.each(DIALECTS)('monitors (%s)', (dialect) => {
  let test: TestContext;
  let traffic: { amount: number; age: number; plan: string; score: number; requestId: string }[];
  let trainingMax = 0;

  beforeAll(async () => {
    test = await openTestContext(dialect);
    const { context } = test;
    const random = prng(7);
    const folder = join(test.dir, 'model');
    await writeServingPackage(
      folder,
      {
        'model.mjs':
          'export const load = () => 0; export const predict = (s, rows) => rows.map((r) => r.amount / 200);',
      },
      { flavor: 'js', entry: 'model.mjs', signature: SIGNATURE },
    );
    await registerPackage(context, 'shop', folder);

    const training = join(test.dir, 'train.csv');
    const lines = ['amount,age,plan'];
    for (let i = 0; i < TRAINING_ROWS; i++) {
      const amount = (random() * 100).toFixed(3);
      trainingMax = Math.max(trainingMax, Number(amount));
      lines.push(`${amount},${(20 + random() * 50).toFixed(3)},${random() < 0.7 ? 'basic' : 'pro'}`);
    }
    writeFileSync(training, lines.join('\n'));
    await context.datasets.register('shop-train', training);
    await withActor({ actor: 'ana' }, () =>
      context.baselines.setExplicit('shop', 1, { training: 'shop-train@1' }, 'ana'),
    );

    await context.deployments.create({ name: 'shop-dev', model: 'shop/1', environment: 'dev' });
    await context.deployments.startUpdate('shop-dev', 1);
    await context.deployments.markServing('shop-dev', 1);

    // Production drifted: amounts moved up by 50, `pro` became the common plan; ages did not change.
    const now = Date.now();
    traffic = [];
    const requests: EncodedRequest[] = [];
    for (let i = 0; i < TRAFFIC_ROWS; i++) {
      const amount = 50 + random() * 100;
      const row = { amount, age: 20 + random() * 50, plan: random() < 0.3 ? 'basic' : 'pro' };
      const requestId = `req-${i}`;
      traffic.push({ ...row, score: amount / 200, requestId });
      const captured: CapturedRow = {
        request_id: requestId,
        row: 0,
        time: now - 60_000 + i,
        model: 'shop',
        version: 1,
        protocol: 'mlflow',
        latency_ms: 1,
        inputs: JSON.stringify(row),
        outputs: JSON.stringify({ score: [amount / 200] }),
      };
      requests.push({ requestId, time: captured.time, rows: 1, lines: JSON.stringify(captured) });
    }
    const sink = new ParquetCaptureSink(context.captures);
    await sink.write('shop-dev', requests);
    await sink.close();
    // Feedback for the first 400 requests: the true label is "amount above 100", as booleans and as numbers.
    for (const entry of traffic.slice(0, 400)) {
      const label = entry.amount > 100;
      await context.captures.putFeedback(
        'shop-dev',
        entry.requestId,
        Number(entry.requestId.slice(4)) % 2 ? label : Number(label),
        'ana',
      );
    }
  });
  afterAll(async () => test?.drop());

  const monitorYaml = (extra = '') =>
    [
      'name: shop-dev-watch',
      'deployment: shop-dev',
      'window: { hours: 1 }',
      'prediction: score',
      'quality: { task: classification, threshold: 0.5, segments: [plan] }',
      'custom:',
      '  - { name: high_amount_share, sql: "SELECT avg((amount > 100)::INT) FROM traffic" }',
      '  - { name: files, sql: "SELECT count(*) FROM read_csv(\'/etc/hostname\')" }',
      'alerts:',
      '  - { name: amount-drift, metric: drift.psi, feature: amount, above: 0.2, severity: critical }',
      extra,
    ].join('\n');

  it('computes drift, data and model quality and custom SQL over the window, and the alert fires', async () => {
    const { monitors, alerts } = test.context;
    const applied = await withActor({ actor: 'ana' }, () => monitors.apply(monitorYaml(), 'watch.yaml'));
    expect(applied).toMatchObject({
      name: 'shop-dev-watch',
      project: 'default',
      deployment: 'shop-dev',
      createdBy: 'ana',
    });

    const run = await monitors.run('shop-dev-watch');
    expect(run).toMatchObject({ status: 'ok', rows: TRAFFIC_ROWS, message: null });
    const value = (metric: string, feature?: string, segment?: string) =>
      run.metrics.find((m) => m.metric === metric && m.feature === feature && m.segment === segment);

    expect(value('drift.psi', 'amount')!.value).toBeGreaterThan(0.5);
    expect(value('drift.psi', 'age')!.value).toBeLessThan(0.1);
    expect(value('drift.ks_p_value', 'amount')!.value).toBeLessThan(1e-6);
    expect(value('drift.ks_p_value', 'age')!.value).toBeGreaterThan(0.001);
    expect(value('drift.chi2_p_value', 'plan')!.value).toBeLessThan(1e-6);
    // Out of range: above the largest training amount (none is below the smallest).
    expect(value('quality.out_of_range_rate', 'amount')!.value).toBeCloseTo(
      traffic.filter((row) => row.amount > trainingMax).length / TRAFFIC_ROWS,
      12,
    );
    // Predictions have no reference here: the baseline was named by hand without an evaluation set.
    expect(value('prediction_drift', 'score')).toMatchObject({
      value: null,
      reason: expect.stringContaining('no predictions'),
    });

    const labelled = traffic.slice(0, 400);
    const correct = labelled.filter((row) => row.score >= 0.5 === row.amount > 100).length;
    expect(value('model.rows')!.value).toBe(400);
    expect(value('model.accuracy')!.value).toBeCloseTo(correct / 400, 12);
    const pro = labelled.filter((row) => row.plan === 'pro');
    expect(value('model.rows', undefined, 'plan=pro')?.value).toBe(pro.length);

    const highShare = traffic.filter((row) => row.amount > 100).length / TRAFFIC_ROWS;
    expect(value('custom.high_amount_share')!.value).toBeCloseTo(highShare, 12);
    // The monitor's SQL reads the window only: DuckDB's file access is off.
    expect(value('custom.files')).toMatchObject({ value: null, reason: expect.stringContaining('disabled') });

    expect(run.alerts).toMatchObject([{ rule: 'amount-drift', kind: 'FIRING', severity: 'critical' }]);
    expect((await alerts.show('shop-dev-watch', 'amount-drift')).state).toMatchObject({ state: 'FIRING' });

    const series = await monitors.series('shop-dev-watch', { metric: 'drift.psi', feature: 'amount' });
    expect(series).toEqual([
      { time: run.time, resultId: run.id, value: value('drift.psi', 'amount')!.value, reason: null },
    ]);

    const registry = new Registry();
    registerMonitoringGauges(registry, monitors, alerts);
    const scraped = await registry.metrics();
    const labels = 'monitor="shop-dev-watch",deployment="shop-dev",metric="drift.psi",feature="amount",segment=""';
    expect(scraped).toContain(`ciclo_monitor_value{${labels}} ${value('drift.psi', 'amount')!.value}`);
    expect(scraped).toContain('ciclo_alert_firing{monitor="shop-dev-watch",rule="amount-drift",severity="critical"} 1');
  });

  it('compares with the previous window, and an empty window is "no data", never an alert', async () => {
    const { monitors } = test.context;
    await monitors.apply(
      [
        'name: shop-dev-rows',
        'deployment: shop-dev',
        'window: { rows: 300 }',
        'reference: previous_window',
        'features: [age, plan]',
        'alerts: [{ name: any, metric: window.rows, above: 0 }]',
      ].join('\n'),
      'rows.yaml',
    );
    const run = await monitors.run('shop-dev-rows');
    expect(run).toMatchObject({ status: 'ok', rows: 300 });
    // The two halves of one stream: neither feature drifted between them.
    expect(run.metrics.find((m) => m.metric === 'drift.psi' && m.feature === 'age')!.value).toBeLessThan(0.2);

    await test.context.deployments.create({ name: 'shop-quiet', model: 'shop/1', environment: 'staging' });
    await test.context.deployments.startUpdate('shop-quiet', 1);
    await test.context.deployments.markServing('shop-quiet', 1);
    await monitors.apply(
      ['name: shop-quiet', 'deployment: shop-quiet', 'alerts: [{ name: any, metric: window.rows, below: 1 }]'].join(
        '\n',
      ),
      'quiet.yaml',
    );
    const quiet = await monitors.run('shop-quiet');
    expect(quiet).toMatchObject({ status: 'no_data', rows: 0, metrics: [], alerts: [] });
    expect((await monitors.results('shop-quiet'))[0]).toMatchObject({ status: 'no_data' });
  });

  it('refuses a monitor with a field, feature or output that is not there, naming file:line:col', async () => {
    const { monitors } = test.context;
    await expect(
      monitors.apply('name: bad\ndeployment: shop-dev\nwindw: { hours: 1 }\n', 'bad.yaml'),
    ).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      details: { where: 'bad.yaml:3:1' },
    });
    await expect(
      monitors.apply('name: bad\ndeployment: shop-dev\nfeatures:\n  - amount\n  - amout\n', 'bad.yaml'),
    ).rejects.toMatchObject({
      message: expect.stringContaining('"amout" is not an input'),
      details: { where: 'bad.yaml:5:5' },
    });
    await expect(
      monitors.apply('name: bad\ndeployment: shop-dev\nprediction: proba\n', 'bad.yaml'),
    ).rejects.toMatchObject({
      details: { where: 'bad.yaml:3:13', hint: expect.stringContaining('score') },
    });
    await expect(
      monitors.apply('name: bad\ndeployment: shop-dev\nalerts: [{ name: x, metric: drift.psi }]\n', 'bad.yaml'),
    ).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      details: { where: expect.stringMatching(/^bad\.yaml:3:/) },
    });
    await expect(monitors.apply('name: bad\ndeployment: nowhere\n', 'bad.yaml')).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
    await expect(monitors.run('nothing')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});
