import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configEnvironment } from '../../src/common/config.js';
import { runCli } from '../cli/run-cli.js';
import { DIALECTS } from '../support/databases.js';
import { loaded, moreChecks, reportedErrors, shell, triggerOf, useTriggerFixture, waitFor } from './support.js';

describe.each(DIALECTS)('dataset trigger (%s)', (dialect) => {
  const fixture = useTriggerFixture(dialect);

  async function logDataset(name: string, digest: string): Promise<string> {
    const { tracking } = fixture.context;
    const experiment = await tracking.getOrCreateExperiment('data-prep');
    const run = await tracking.createRun({ experimentId: experiment.experimentId });
    await tracking.logInputs(run.info.runId, [{ name, digest, source: 's3://bucket/images' }]);
    return run.info.runId;
  }

  it('fires when a new digest of the dataset is logged, not for a known one or another dataset', async () => {
    await logDataset('images', 'd1');
    const pipeline = loaded(
      {
        name: 'on_images',
        steps: [{ name: 'train', ...shell('true') }],
        triggers: [{ name: 'new_images', type: 'dataset', dataset: 'images', interval: '20ms' }],
      },
      fixture.workDir,
    );
    const runtime = await fixture.start([pipeline]);
    await waitFor(
      'the known digests',
      async () => (await runtime.counters('on_images', 'new_images')).cursor === '["d1"]',
    );

    await logDataset('images', 'd1');
    await logDataset('labels', 'l1');
    await moreChecks(fixture, 'new_images');
    expect(await fixture.runs('on_images')).toEqual([]);

    const runId = await logDataset('images', 'd2');
    const run = await waitFor('a run', async () => (await fixture.runs('on_images'))[0]);
    expect(triggerOf(run)).toEqual({
      name: 'new_images',
      type: 'dataset',
      payload: { dataset: 'images', digest: 'd2', runId, newDigests: ['d2'] },
    });
    await moreChecks(fixture, 'new_images');
    expect(await fixture.runs('on_images')).toHaveLength(1);
    expect((await runtime.counters('on_images', 'new_images')).cursor).toBe('["d1","d2"]');
    expect(reportedErrors(fixture)).toEqual([]);
  });

  // A new registered version fires whichever way it was registered: the service (REST and a
  // pipeline's `register:` output go through it) or `ciclo data register` in another process.
  it('fires when a new version of the dataset is registered, not for the same content again', async () => {
    const file = join(fixture.workDir, 'customers.csv');
    writeFileSync(file, 'id,plan\n1,basic\n');
    const { version: first } = await fixture.context.datasets.register('customers', file);
    const pipeline = loaded(
      {
        name: 'on_customers',
        steps: [{ name: 'train', ...shell('true') }],
        triggers: [{ name: 'new_customers', type: 'dataset', dataset: 'customers', interval: '20ms' }],
      },
      fixture.workDir,
    );
    const runtime = await fixture.start([pipeline]);
    await waitFor(
      'the registered digest',
      async () => (await runtime.counters('on_customers', 'new_customers')).cursor === JSON.stringify([first.digest]),
    );
    await fixture.context.datasets.register('customers', file);
    await moreChecks(fixture, 'new_customers');
    expect(await fixture.runs('on_customers')).toEqual([]);

    writeFileSync(file, 'id,plan\n1,basic\n2,premium\n');
    const registered = await runCli(
      ['--json', 'data', 'register', 'customers', file],
      configEnvironment(fixture.context.config),
    );
    expect(registered.stderr).toBe('');
    const second = (JSON.parse(registered.stdout) as { version: { version: number; digest: string } }).version;
    expect(second.version).toBe(2);
    const run = await waitFor('a run', async () => (await fixture.runs('on_customers'))[0]);
    expect(triggerOf(run)).toEqual({
      name: 'new_customers',
      type: 'dataset',
      payload: { dataset: 'customers', digest: second.digest, version: 2, newDigests: [second.digest] },
    });
    expect(reportedErrors(fixture)).toEqual([]);
  });
});
