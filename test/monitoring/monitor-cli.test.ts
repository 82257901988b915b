// Runs the built CLI: `npm run build` first.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/common/config.js';
import { withActor } from '../../src/governance/index.js';
import { ParquetCaptureSink, type EncodedRequest } from '../../src/serving/index.js';
import { runCli } from '../cli/run-cli.js';
import { makeTempDir } from '../support/temp.js';
import { registerPackage, writeServingPackage } from '../serving/support.js';

const SIGNATURE = { inputs: [{ name: 'amount', type: 'double' }], outputs: [{ name: 'score', type: 'double' }] };

/** `ciclo monitor` in a child process over a store prepared through the library: a served version with traffic. */
describe('ciclo monitor', () => {
  const home = makeTempDir('ciclo-monitor-cli-');
  const env = { CICLO_HOME: join(home.dir, 'home') };
  const cli = (...args: string[]) => runCli(args, env);
  const file = join(home.dir, 'watch.yaml');

  beforeAll(async () => {
    const context = await openContext(loadConfig(env));
    try {
      const folder = join(home.dir, 'model');
      await writeServingPackage(
        folder,
        { 'model.mjs': 'export const load = () => 0; export const predict = (s, rows) => rows.map(() => 0);' },
        { flavor: 'js', entry: 'model.mjs', signature: SIGNATURE },
      );
      await registerPackage(context, 'shop', folder);
      await withActor({ actor: 'ana' }, async () => {
        await context.deployments.create({ name: 'shop-dev', model: 'shop/1', environment: 'dev' });
        await context.deployments.markServing('shop-dev', 1);
      });
      const now = Date.now();
      const requests: EncodedRequest[] = Array.from({ length: 50 }, (_, i) => ({
        requestId: `r${i}`,
        time: now - 1000 + i,
        rows: 1,
        lines: JSON.stringify({
          request_id: `r${i}`,
          row: 0,
          time: now - 1000 + i,
          model: 'shop',
          version: 1,
          protocol: 'mlflow',
          latency_ms: 1,
          inputs: JSON.stringify({ amount: i }),
          outputs: JSON.stringify({ score: i / 100 }),
        }),
      }));
      const sink = new ParquetCaptureSink(context.captures);
      await sink.write('shop-dev', requests);
      await sink.close();
    } finally {
      await context.close();
    }
    writeFileSync(
      file,
      [
        'name: shop-watch',
        'deployment: shop-dev',
        'window: { rows: 40 }',
        'prediction: score',
        'custom:',
        '  - { name: mean_amount, sql: "SELECT avg(amount) FROM traffic" }',
      ].join('\n'),
    );
  });
  afterAll(() => home.remove());

  it('applies, runs and shows a monitor, with a sparkline per series', async () => {
    const applied = await cli('monitor', 'apply', file);
    expect(applied).toMatchObject({ code: 0, stderr: '' });
    expect(applied.stdout).toContain('applied monitor shop-watch (deployment shop-dev, project default)');

    for (let run = 0; run < 2; run++) {
      const ran = await cli('monitor', 'run', 'shop-watch');
      expect(ran.code).toBe(0);
      // The last 40 of 50 captured rows: amounts 10 … 49.
      expect(ran.stdout).toMatch(/custom\.mean_amount +29\.5/);
      expect(ran.stdout).toMatch(/result +#\d+ ok/);
    }
    const shown = await cli('monitor', 'show', 'shop-watch');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/custom\.mean_amount +29\.5 +▄▄/);
    const json = JSON.parse((await cli('monitor', 'show', 'shop-watch', '--json')).stdout) as {
      results: { metrics: { metric: string; value: number | null; reason: string | null }[] }[];
    };
    expect(json.results).toHaveLength(2);
    // No baseline was recorded for shop/1: drift is null, with how to give one.
    expect(json.results[0]!.metrics.find((metric) => metric.metric === 'drift')).toMatchObject({
      value: null,
      reason: expect.stringContaining('ciclo monitor baseline set shop 1'),
    });
    const list = await cli('monitor', 'list');
    expect(list.stdout).toMatch(/shop-watch +shop-dev +default +last 40 rows +on demand +0/);
  });

  it('exits 2 for a bad file naming file:line:col, and 3 for what does not exist', async () => {
    const bad = join(home.dir, 'bad.yaml');
    writeFileSync(bad, 'name: bad\ndeployment: shop-dev\nwindow: { minutes: 5 }\n');
    const refused = await cli('monitor', 'apply', bad);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${bad}:3:`);
    expect((await cli('monitor', 'apply', join(home.dir, 'missing.yaml'))).code).toBe(3);
    expect((await cli('monitor', 'run', 'nothing')).code).toBe(3);
  });
});
