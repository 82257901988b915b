import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp.js';
import { runCli } from './run-cli.js';

describe('ciclo init', () => {
  const place = makeTempDir('ciclo-init-');
  afterAll(() => place.remove());

  it('makes a project that `ciclo pipeline run .` runs from its folder, model approved', async () => {
    // Outside any store: the project's first run makes one in the project's folder.
    for (let folder = place.dir; dirname(folder) !== folder; folder = dirname(folder)) {
      expect(existsSync(join(folder, '.ciclo')), folder).toBe(false);
    }
    const project = join(place.dir, 'Fraud Score');
    const made = await runCli(['--json', 'init', project], {});
    expect(made.code, made.stderr).toBe(0);
    const { name, files } = JSON.parse(made.stdout) as { name: string; files: string[] };
    expect(name).toBe('fraud-score');
    expect(files).toEqual([
      'README.md',
      'expectations.yaml',
      'package.json',
      'pipeline.yaml',
      'policy.yaml',
      'steps/ciclo_log.py',
      'steps/prepare.ts',
      'steps/train.py',
    ]);
    expect(readFileSync(join(project, 'pipeline.yaml'), 'utf8')).toContain('model: fraud-score');
    expect(existsSync(join(place.dir, '.ciclo'))).toBe(false);

    const run = await runCli(['pipeline', 'run', '.'], {}, { cwd: project });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toContain(`creating one in ${join(project, '.ciclo')}`);
    expect(run.stdout).toMatch(/✓ gate +done/);
    const model = await runCli(['--json', 'models', 'show', 'fraud-score'], {}, { cwd: join(project, 'steps') });
    expect(model.code, model.stderr).toBe(0);
    expect(JSON.parse(model.stdout)).toMatchObject({
      model: { aliases: { champion: 1 } },
      versions: [{ version: 1, flavor: 'sklearn' }],
    });
  });

  it('refuses a folder that is not empty, and a name that cannot name a model', async () => {
    const taken = join(place.dir, 'Fraud Score');
    const again = await runCli(['init', taken], {});
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('exists and is not empty');
    const badName = await runCli(['init', join(place.dir, 'ok'), '--name', '9lives!'], {});
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('--name');
    expect(existsSync(join(place.dir, 'ok'))).toBe(false);
  });
});
