import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/common/config.js';
import { Ciclo, type Run } from '../../src/sdk/index.js';
import { startTestServer } from '../support/server.js';
import { makeTempDir } from '../support/temp.js';
import { runCli } from './run-cli.js';
import { MIGRATION_NAMES } from '../../src/store/index.js';

describe('ciclo CLI (embedded)', () => {
  const home = makeTempDir('ciclo-cli-');
  const env = { CICLO_HOME: home.dir };
  const cli = (...args: string[]) => runCli(args, env);
  let ciclo: Ciclo;
  let baseline: string;
  let tuned: string;

  beforeAll(async () => {
    ciclo = await Ciclo.connect({ config: loadConfig(env, home.dir) });
    baseline = (
      await ciclo.withRun(
        { experiment: 'cli', name: 'baseline', params: { lr: 0.1, epochs: 10 }, captureCode: false },
        async (run) => {
          run.log({ auc: 0.81, loss: 0.5 });
          return run;
        },
      )
    ).id;
    tuned = (
      await ciclo.withRun(
        { experiment: 'cli', name: 'tuned', params: { lr: 0.05, epochs: 10 }, captureCode: false },
        async (run) => {
          run.log({ auc: 0.93, loss: 0.5 });
          writeFileSync(join(home.dir, 'model.txt'), 'weights\n');
          await run.logArtifact(join(home.dir, 'model.txt'), 'model/model.txt');
          return run;
        },
      )
    ).id;
  });

  afterAll(async () => {
    await ciclo.close();
    home.remove();
  });

  it('migrates the store and says which migrations it applied', async () => {
    const fresh = makeTempDir('ciclo-cli-db-');
    try {
      const first = await runCli(['db', 'migrate', '--json'], { CICLO_HOME: fresh.dir });
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ database: 'sqlite', applied: [...MIGRATION_NAMES] });
      expect(MIGRATION_NAMES[0]).toBe('0001_tracking');
      const again = await runCli(['db', 'migrate'], { CICLO_HOME: fresh.dir });
      expect(again.stdout).toContain('up to date');
    } finally {
      fresh.remove();
    }
  });

  it('creates experiments, lists them, and exits 4 on a duplicate name', async () => {
    const created = await cli('experiments', 'create', 'churn');
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toMatch(/Created experiment 'churn' \(id \d+\)/);

    const duplicate = await cli('experiments', 'create', 'churn');
    expect(duplicate.code).toBe(4);
    expect(duplicate.stderr).toContain("experiment 'churn' already exists");

    const listed = await cli('experiments', 'list', '--json');
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((e) => e.name)).toEqual(
      expect.arrayContaining(['churn', 'cli']),
    );
    expect((await cli('experiments', 'list')).stdout).toMatch(/^ID\s+NAME\s+CREATED/);
  });

  it('lists runs logged through the SDK, as JSON and as a table', async () => {
    const json = await cli('--json', 'runs', 'list', '--experiment', 'cli', '--order-by', 'metrics.auc DESC');
    expect(json.code).toBe(0);
    const runs = JSON.parse(json.stdout) as Run[];
    expect(runs.map((r) => r.info.runId)).toEqual([tuned, baseline]);
    expect(runs[0]!.data.params).toEqual({ lr: '0.05', epochs: '10' });

    const table = await cli('runs', 'list', '--experiment', 'cli');
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATUS\s+START\s+DURATION\s+auc\s+loss$/);
    expect(table.stdout).toContain(baseline);
    expect(table.stdout).toMatch(/tuned\s+FINISHED/);
  });

  it('filters runs, and exits 2 naming the column of a filter syntax error', async () => {
    const filtered = await cli('runs', 'list', '--json', '--filter', 'metrics.auc > 0.9');
    expect((JSON.parse(filtered.stdout) as Run[]).map((r) => r.info.runId)).toEqual([tuned]);

    const broken = await cli('runs', 'list', '--filter', 'metrics.auc >> 0.9');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/column \d+/);
    expect(broken.stdout).toBe('');
  });

  it('compares runs side by side and marks the rows that differ', async () => {
    const text = await cli('runs', 'compare', baseline, tuned);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines.find((l) => /\blr\b/.test(l))).toMatch(/^\s*\*\s+lr\s+0\.1\s+0\.05$/);
    expect(lines.find((l) => /\bepochs\b/.test(l))).toMatch(/^\s+epochs\s+10\s+10$/);
    expect(lines.find((l) => /\bauc\b/.test(l))).toMatch(/^\s*\*\s+auc/);

    const json = JSON.parse((await cli('runs', 'compare', baseline, tuned, '--json')).stdout);
    expect(json).toEqual({
      params: { epochs: { [baseline]: '10', [tuned]: '10' }, lr: { [baseline]: '0.1', [tuned]: '0.05' } },
      metrics: { auc: { [baseline]: 0.81, [tuned]: 0.93 }, loss: { [baseline]: 0.5, [tuned]: 0.5 } },
      differing: ['params.lr', 'metrics.auc'],
    });
  });

  it('shows a run, and exits 3 with a clear message for an unknown id', async () => {
    const shown = await cli('runs', 'show', tuned);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/Experiment\s+cli \(id \d+\)/);
    expect(shown.stdout).toMatch(/Params\n\s+KEY\s+VALUE\n\s+epochs\s+10\n\s+lr\s+0\.05/);

    const missing = await cli('runs', 'show', 'no-such-run');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("no run with id 'no-such-run'");
    expect(missing.stdout).toBe('');
  });

  it('exits 2 on a usage error', async () => {
    const result = await cli('runs', 'compare', baseline);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('at least two run ids');
    expect((await cli('runs', 'list', '--max', 'many')).code).toBe(2);
  });

  it('lists artifacts and downloads one to a file or to stdout', async () => {
    const listed = JSON.parse((await cli('artifacts', 'list', tuned, 'model', '--json')).stdout);
    expect(listed).toEqual([{ path: 'model/model.txt', isDir: false, fileSize: 8 }]);

    const outDir = makeTempDir('ciclo-cli-out-');
    try {
      const out = join(outDir.dir, 'model.txt');
      const got = await cli('artifacts', 'get', tuned, 'model/model.txt', '--out', out);
      expect(got.code).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe('weights\n');
      expect(readdirSync(outDir.dir)).toEqual(['model.txt']);
    } finally {
      outDir.remove();
    }
    expect((await cli('artifacts', 'get', tuned, 'model/model.txt')).stdout).toBe('weights\n');
    expect((await cli('artifacts', 'get', tuned, 'model/nothing.txt')).code).toBe(3);
  });
});

describe('ciclo CLI (remote)', () => {
  it('talks to a live server when CICLO_TRACKING_URI is set', async () => {
    const server = await startTestServer('sqlite');
    try {
      const env = { CICLO_TRACKING_URI: server.url, CICLO_HOME: '/nonexistent/ciclo-home' };
      const created = await runCli(['experiments', 'create', 'over-http', '--json'], env);
      expect(created.code).toBe(0);
      const experiment = await server.context.tracking.getExperimentByName('over-http');
      expect(JSON.parse(created.stdout)).toMatchObject({ experimentId: experiment.experimentId, name: 'over-http' });

      const missing = await runCli(['runs', 'show', 'no-such-run'], env);
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain("no run with id 'no-such-run'");
    } finally {
      await server.stop();
    }
  });
});
