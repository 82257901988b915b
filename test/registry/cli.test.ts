import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { writePackage } from './support.js';
import { configEnvironment } from '../../src/common/config.js';

// Runs the built CLI (npm run build) against a store of the test's own.
describe.each(DIALECTS)('ciclo models on %s', (dialect) => {
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

  it('registers, lists, shows, aliases and stages', async () => {
    const { tracking } = test.context;
    const experiment = await tracking.getOrCreateExperiment('churn');
    const runId = (await tracking.createRun({ experimentId: experiment.experimentId })).info.runId;
    await tracking.logMetric(runId, { key: 'auc', value: 0.93 });
    const folder = join(test.dir, 'pkg');
    await writePackage(folder);
    await tracking.logArtifactDirectory(runId, folder, 'model');

    const registered = await cli(
      'models',
      'register',
      'churn',
      '--run',
      runId,
      '--path',
      'model/',
      '--description',
      'forest',
      '--tag',
      'team=growth',
    );
    expect(registered.stderr).toBe('');
    expect(registered.code).toBe(0);
    expect(registered.stdout).toContain('registered churn/1');
    expect(registered.stdout).toMatch(/metrics +auc=0.93/);

    const second = await cli('--json', 'models', 'register', 'churn', '--run', runId, '--path', 'model');
    expect(JSON.parse(second.stdout)).toMatchObject({
      name: 'churn',
      version: 2,
      flavor: 'ml-random-forest',
      tags: {},
    });

    expect((await cli('models', 'alias', 'set', 'churn', 'champion', '1')).stdout).toContain('churn@champion → 1');
    expect((await cli('models', 'alias', 'set', 'churn', 'champion', '2')).stdout).toContain(
      'churn@champion → 2 (was 1)',
    );
    expect((await cli('models', 'stage', 'churn', 'prod', '2')).stdout).toContain('churn prod → 2');

    // Reads and refusals change nothing: they run side by side (each is a CLI process of its own).
    const [list, byAlias, one, model, bad, noPackage] = await Promise.all([
      cli('models', 'list'),
      cli('--json', 'models', 'show', 'churn@champion'),
      cli('models', 'show', 'churn/1'),
      cli('models', 'show', 'churn'),
      cli('models', 'stage', 'churn', 'qa', '1'),
      cli('models', 'register', 'churn', '--run', runId, '--path', 'nothing'),
    ]);
    expect(list.stdout).toMatch(/churn +2 +2 +@champion=2 +prod=2/);
    expect(JSON.parse(byAlias.stdout)).toMatchObject({ version: 2, aliases: ['champion'], stages: ['prod'] });
    expect(one.stdout).toMatch(/tags +team=growth/);
    expect(model.stdout).toMatch(/aliases +@champion=2/);
    expect(model.stdout).toMatch(/^1 +pending +ml-random-forest/m);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('at: environment');
    expect(noPackage.stderr).toContain('fix: Write the package with writeManifest');

    expect((await cli('models', 'alias', 'delete', 'churn', 'champion')).code).toBe(0);
    const [gone, goneJson] = await Promise.all([
      cli('models', 'show', 'churn@champion'),
      cli('--json', 'models', 'show', 'churn@champion'),
    ]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain("RESOURCE_DOES_NOT_EXIST: model 'churn' has no alias 'champion'");
    // Under --json the failure is JSON too, in the REST API's error shape.
    expect(goneJson.code).toBe(gone.code);
    expect(JSON.parse(goneJson.stderr)).toMatchObject({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: "model 'churn' has no alias 'champion'",
    });
  });
});
