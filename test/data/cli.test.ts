import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { csv, writeFile } from './support.js';
import { configEnvironment } from '../../src/common/config.js';

// Runs the built CLI (npm run build) against a store of the test's own.
describe.each(DIALECTS)('ciclo data on %s', (dialect) => {
  let test: TestContext;
  beforeEach(async () => {
    test = await openTestContext(dialect);
  });
  afterEach(async () => {
    await test.drop();
  });
  const cli = (...args: string[]) => {
    const { config } = test;
    return runCli(args, configEnvironment(config));
  };

  it('registers, lists, shows, profiles and diffs', async () => {
    const v1 = writeFile(
      join(test.dir, 'src', 'v1.csv'),
      csv('id,score,email', [
        [1, 0.5, 'a@x'],
        [2, 1.5, 'b@x'],
      ]),
    );
    const registered = await cli(
      'data',
      'register',
      'scores',
      v1,
      '--sensitive',
      'email',
      '--description',
      'exam scores',
    );
    expect(registered.stderr).toBe('');
    expect(registered.code).toBe(0);
    expect(registered.stdout).toMatch(/dataset +scores@1 \(new version\)/);
    expect(registered.stdout).toMatch(/rows +2/);

    const again = await cli('--json', 'data', 'register', 'scores', v1);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, version: { version: 1 } });

    const v2 = writeFile(
      join(test.dir, 'src', 'v2.csv'),
      csv('id,score,email,extra', [
        [1, 0.5, 'a@x', 1],
        [2, '', 'b@x', 2],
        [3, 4, 'c@x', 3],
      ]),
    );
    expect((await cli('data', 'register', 'scores', v2)).stdout).toMatch(/scores@2 \(new version\)/);

    const list = await cli('data', 'list');
    expect(list.stderr).toBe('');
    expect(list.stdout).toMatch(/scores +2 +2 +3 .* exam scores/);

    const show = await cli('data', 'show', 'scores@1');
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/email +VARCHAR +no +SENSITIVE/);
    expect(show.stdout).toContain('v1.csv');

    const versions = await cli('--json', 'data', 'versions', 'scores');
    expect((JSON.parse(versions.stdout) as Array<{ version: number }>).map((v) => v.version)).toEqual([1, 2]);

    const profile = await cli('data', 'profile', 'scores');
    expect(profile.stdout).toContain('scores@2: 3 rows, 4 columns');
    expect(profile.stdout).toMatch(/[▁▂▃▄▅▆▇█]/);
    expect(profile.stdout).not.toContain('a@x');
    const profileJson = JSON.parse((await cli('--json', 'data', 'profile', 'scores@1')).stdout) as { rowCount: number };
    expect(profileJson.rowCount).toBe(2);

    const diff = await cli('data', 'diff', 'scores', '1', '2');
    expect(diff.stdout).toContain('scores: version 1 → 2');
    expect(diff.stdout).toContain('rows: 2 → 3 (+1)');
    expect(diff.stdout).toContain('+ extra BIGINT');
  });

  it('exits 2 for bad input with file:line, 3 for what does not exist', async () => {
    const ragged = writeFile(join(test.dir, 'ragged.csv'), 'a,b\n1,2\n3\n');
    const bad = await cli('data', 'register', 'r', ragged);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`at: ${ragged}:3`);
    const missing = await cli('data', 'register', 'r', join(test.dir, 'missing.csv'));
    expect(missing.code).toBe(3);
    expect((await cli('data', 'show', 'nothing')).code).toBe(3);
    const sensitive = await cli(
      'data',
      'register',
      'r',
      writeFile(join(test.dir, 'ok.csv'), 'a\n1\n'),
      '--sensitive',
      'zz',
    );
    expect(sensitive.code).toBe(2);
    expect(sensitive.stderr).toContain('unknown sensitive column: zz');
  });

  it('records a dataset version as a run input', async () => {
    const { tracking } = test.context;
    const { experimentId } = await tracking.createExperiment({ name: 'e' });
    const run = await tracking.createRun({ experimentId });
    await cli('data', 'register', 'd', writeFile(join(test.dir, 'd.csv'), 'a\n1\n'));
    const logged = await cli('data', 'log-input', run.info.runId, 'd@1', '--context', 'eval');
    expect(logged.code).toBe(0);
    expect((await tracking.getRun(run.info.runId)).inputs).toMatchObject([
      { name: 'd', source: 'ciclo-dataset:d@1', context: 'eval' },
    ]);
  });
});
