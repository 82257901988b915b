import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/common/errors.js';
import { configEnvironment } from '../../src/common/config.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { runWithPackage } from '../registry/support.js';
import { runCli } from './run-cli.js';

// Runs the built CLI (npm run build) against a store of the test's own.
describe.each(DIALECTS)('ciclo experiments move and ciclo models move on %s', (dialect) => {
  let test: TestContext;
  beforeEach(async () => {
    test = await openTestContext(dialect);
  });
  afterEach(async () => {
    await test.drop();
  });
  const cli = (...args: string[]) => runCli(args, configEnvironment(test.config));

  it('moves an experiment and a model to an existing project, and says where they are', async () => {
    const { access, tracking } = test.context;
    await access.createProject('beta');
    const runId = await runWithPackage(test.context, test.dir);
    const experimentId = (await tracking.getRun(runId)).info.experimentId;
    await test.context.registry.register('scorer', { runId, path: 'model' });

    const experiment = await cli('experiments', 'move', experimentId, '--project', 'beta');
    expect(experiment.stderr).toBe('');
    expect(experiment.stdout).toContain(`(id ${experimentId}) is in project beta`);
    const model = await cli('--json', 'models', 'move', 'scorer', '--project', 'beta');
    expect(model.stderr).toBe('');
    expect(JSON.parse(model.stdout)).toMatchObject({ name: 'scorer', project: 'beta' });
    expect((await tracking.getExperiment(experimentId)).project).toBe('beta');

    const nowhere = await cli('models', 'move', 'scorer', '--project', 'nowhere');
    expect(nowhere.code).toBe(3);
    expect(nowhere.stderr).toContain("no project named 'nowhere'");
  });

  it('keeps the Default experiment (id 0) in default', async () => {
    await test.context.access.createProject('beta');
    await expect(test.context.tracking.moveToProject('0', 'beta')).rejects.toThrow(InvalidInputError);
    expect((await test.context.tracking.getExperiment('0')).project).toBe('default');
  });
});
