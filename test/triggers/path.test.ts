import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestPath } from '../../src/pipelines/run/output-digest.js';
import { DIALECTS } from '../support/databases.js';
import { loaded, moreChecks, reportedErrors, shell, triggerOf, useTriggerFixture, waitFor } from './support.js';

describe.each(DIALECTS)('path trigger (%s)', (dialect) => {
  const fixture = useTriggerFixture(dialect);

  const pipeline = () =>
    loaded(
      {
        name: 'on_data',
        steps: [{ name: 'train', ...shell('true') }],
        triggers: [{ name: 'data_changed', type: 'path', path: 'data', interval: '20ms' }],
      },
      fixture.workDir,
    );

  it('fires once when the folder content changes and not while it stays the same', async () => {
    const data = path.join(fixture.workDir, 'data');
    await mkdir(data);
    await writeFile(path.join(data, 'a.csv'), 'x\n1\n');
    const runtime = await fixture.start([pipeline()]);
    const baseline = await digestPath(data);
    await waitFor(
      'the baseline digest',
      async () => (await runtime.counters('on_data', 'data_changed')).cursor === baseline,
    );
    await moreChecks(fixture, 'data_changed');
    expect(await fixture.runs('on_data')).toEqual([]);

    await writeFile(path.join(data, 'b.csv'), 'x\n2\n');
    const changed = await digestPath(data);
    const [run] = await waitFor('a run', async () => {
      const runs = await fixture.runs('on_data');
      return runs.length > 0 && runs;
    });
    expect(triggerOf(run!)).toEqual({
      name: 'data_changed',
      type: 'path',
      payload: { path: 'data', digest: changed, previousDigest: baseline },
    });
    expect(run!.trigger_name).toBe('data_changed');
    await waitFor(
      'the run to end',
      async () => (await fixture.context.pipelines.getRun(run!.id)).run.status === 'SUCCEEDED',
    );

    await moreChecks(fixture, 'data_changed');
    expect(await fixture.runs('on_data')).toHaveLength(1);
    expect(await runtime.counters('on_data', 'data_changed')).toMatchObject({ cursor: changed, fired: 1, dropped: 0 });
    expect(reportedErrors(fixture)).toEqual([]);
  });

  it('remembers the digest across a restart: no re-fire, but a change made while down fires once', async () => {
    const file = path.join(fixture.workDir, 'data');
    await writeFile(file, 'v1');
    let runtime = await fixture.start([pipeline()]);
    await waitFor(
      'the baseline digest',
      async () => (await runtime.counters('on_data', 'data_changed')).cursor !== undefined,
    );
    await fixture.stopRuntime();

    runtime = await fixture.start([pipeline()]);
    await moreChecks(fixture, 'data_changed');
    expect(await fixture.runs('on_data')).toEqual([]);
    await fixture.stopRuntime();

    await writeFile(file, 'v2');
    runtime = await fixture.start([pipeline()]);
    await waitFor('a run', async () => (await fixture.runs('on_data')).length === 1);
    await moreChecks(fixture, 'data_changed');
    expect(await fixture.runs('on_data')).toHaveLength(1);
  });

  it('fires when a watched file that did not exist appears', async () => {
    const runtime = await fixture.start([pipeline()]);
    await waitFor('the baseline', async () => (await runtime.counters('on_data', 'data_changed')).cursor === 'absent');
    await writeFile(path.join(fixture.workDir, 'data'), 'new');
    const run = await waitFor('a run', async () => (await fixture.runs('on_data'))[0]);
    expect(triggerOf(run)?.payload).toMatchObject({
      previousDigest: null,
      digest: await digestPath(path.join(fixture.workDir, 'data')),
    });
  });
});
