// Runs the built CLI: `npm run build` first.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/common/config.js';
import { currentUser } from '../../src/common/current-user.js';
import type { Baseline } from '../../src/monitoring/index.js';
import { runCli } from '../cli/run-cli.js';
import { COLUMN_SIGNATURE, perColumnGraph, registerPackage, writeServingPackage } from '../serving/support.js';
import { makeTempDir } from '../support/temp.js';

/** `plain/1` has no lineage: its baseline is named by hand through the CLI, then shown. */
describe('ciclo monitor baseline', () => {
  const home = makeTempDir('ciclo-baseline-cli-');
  const env = { CICLO_HOME: join(home.dir, 'home') };
  const cli = (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    const context = await openContext(loadConfig(env));
    try {
      for (const [name, rows] of [
        ['train', 30],
        ['test', 12],
      ] as const) {
        const file = join(home.dir, `${name}.csv`);
        const lines = Array.from({ length: rows }, (_, i) => `${i},${i % 7},${(i % 3) - 1}`);
        writeFileSync(file, ['id,a,b', ...lines].join('\n') + '\n');
        await context.datasets.register(`toy-${name}`, file);
      }
      const folder = join(home.dir, 'package');
      await writeServingPackage(
        folder,
        { 'model.onnx': perColumnGraph() },
        { flavor: 'onnx', entry: 'model.onnx', signature: COLUMN_SIGNATURE },
      );
      await registerPackage(context, 'plain', folder);
    } finally {
      await context.close();
    }
  });
  afterAll(() => home.remove());

  it('says a version without lineage has no baseline (exit 3), and one without that version does too', async () => {
    const missing = await cli('monitor', 'baseline', 'show', 'plain', '1');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('plain/1 has no baseline');
    expect((await cli('monitor', 'baseline', 'show', 'plain', '2')).code).toBe(3);
    const bad = await cli('monitor', 'baseline', 'show', 'plain', 'two');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('must be a version number');
  });

  it('sets the datasets by hand, then shows them with the predictions in a table and as JSON', async () => {
    const set = await cli(
      'monitor',
      'baseline',
      'set',
      'plain',
      '1',
      '--training',
      'toy-train@1',
      '--evaluation',
      'toy-test',
    );
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('baseline of plain/1 set');

    const text = await cli('monitor', 'baseline', 'show', 'plain', '1');
    expect(text.code).toBe(0);
    const rows = text.stdout.split('\n').filter((line) => /^(training|evaluation)\s/.test(line));
    expect(rows.map((line) => line.split(/\s+/).slice(0, 3))).toEqual([
      ['training', 'toy-train@1', '30'],
      ['evaluation', 'toy-test@1', '12'],
    ]);
    expect(text.stdout).toMatch(/predictions\s+12 rows of toy-test@1 \(output score\)/);

    const json = await cli('--json', 'monitor', 'baseline', 'show', 'plain', '1');
    expect(json.code).toBe(0);
    const baseline = JSON.parse(json.stdout) as Baseline;
    expect(baseline).toMatchObject({ model: 'plain', version: 1, source: 'explicit', createdBy: currentUser() });
    expect(baseline.predictions?.rows).toBe(12);
    expect(baseline.predictionsDigest).toMatch(/^sha256:/);
  });

  it('refuses a dataset that does not exist, naming the option (exit 3)', async () => {
    const unknown = await cli('monitor', 'baseline', 'set', 'plain', '1', '--training', 'nothing@1');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('nothing');
  });
});
