import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signBody, type TriggerRuntime } from '../../src/triggers/index.js';
import { DIALECTS } from '../support/databases.js';
import { loaded, shell, triggerOf, useTriggerFixture, waitFor } from './support.js';

const SECRET = 's3cret';
const ENV = { CICLO_TEST_QUEUE_SECRET: SECRET };

/** Fires a webhook trigger the way the route does, with a signed JSON body. */
function fire(runtime: TriggerRuntime, name: string, payload: unknown) {
  const body = Buffer.from(JSON.stringify(payload));
  return runtime.fireWebhook(name, body, signBody(SECRET, body));
}

describe.each(DIALECTS)('queueing (%s)', (dialect) => {
  const fixture = useTriggerFixture(dialect);

  /**
   * A pipeline whose step waits for the `go` file: "slow" for exactly as long as the test wants. The
   * file is outside the pipeline folder, where a file appearing during a step would fail it (write guard).
   */
  const gate = () => path.join(fixture.test.dir, 'go');
  const gated = (maxQueued?: number) =>
    loaded(
      {
        name: 'slow',
        steps: [{ name: 'wait', ...shell('while [ ! -e "$GATE" ]; do sleep 0.02; done'), env: { GATE: gate() } }],
        triggers: [
          {
            name: 'hook',
            type: 'webhook',
            secretEnv: 'CICLO_TEST_QUEUE_SECRET',
            ...(maxQueued === undefined ? {} : { maxQueued }),
          },
        ],
      },
      fixture.workDir,
    );

  it(
    'while a run is going, queues one more (default maxQueued 1), ' +
      'drops and counts the rest, then runs the queued one',
    async () => {
      const runtime = await fixture.start([gated()], { env: ENV });
      const first = await fire(runtime, 'hook', { n: 0 });
      expect(first).toEqual({ outcome: 'started', pipelineRunId: expect.any(String) });
      const firstId = (first as { pipelineRunId: string }).pipelineRunId;
      await waitFor(
        'the first run to be running',
        async () => (await fixture.context.pipelines.getRun(firstId)).run.status === 'RUNNING',
      );

      const outcomes = [
        await fire(runtime, 'hook', { n: 1 }),
        await fire(runtime, 'hook', { n: 2 }),
        await fire(runtime, 'hook', { n: 3 }),
      ];
      expect(outcomes.map((o) => o.outcome)).toEqual(['queued', 'dropped', 'dropped']);
      const queuedId = (outcomes[0] as { pipelineRunId: string }).pipelineRunId;
      expect(await runtime.counters('slow', 'hook')).toMatchObject({ fired: 2, dropped: 2 });
      const queued = await fixture.context.pipelines.getRun(queuedId);
      expect(queued.run.status).toBe('PENDING');
      expect(triggerOf(queued.run)).toEqual({ name: 'hook', type: 'webhook', payload: { n: 1 } });
      expect(await fixture.runs('slow')).toHaveLength(2);

      await writeFile(gate(), '');
      await waitFor(
        'the queued run to succeed',
        async () => (await fixture.context.pipelines.getRun(queuedId)).run.status === 'SUCCEEDED',
      );
      const done = await fixture.context.pipelines.getRun(firstId);
      // The step's error and exit code are in the comparison so a failure says why the run failed.
      expect([done.run.status, done.steps[0]!.error, done.steps[0]!.exit_code]).toEqual(['SUCCEEDED', null, 0]);
      // One after the other: the queued run's step started only once the first run's step had ended.
      const after = await fixture.context.pipelines.getRun(queuedId);
      expect(after.steps[0]!.started_time!).toBeGreaterThanOrEqual(done.steps[0]!.ended_time!);
      expect(await fixture.runs('slow')).toHaveLength(2);
    },
  );

  it('maxQueued 0 drops every firing while a run is going', async () => {
    const runtime = await fixture.start([gated(0)], { env: ENV });
    const first = (await fire(runtime, 'hook', {})) as { pipelineRunId: string };
    await waitFor(
      'the first run to be running',
      async () => (await fixture.context.pipelines.getRun(first.pipelineRunId)).run.status === 'RUNNING',
    );
    expect(await fire(runtime, 'hook', {})).toEqual({ outcome: 'dropped' });
    expect(await runtime.counters('slow', 'hook')).toMatchObject({ fired: 1, dropped: 1 });
    await writeFile(gate(), '');
    await waitFor(
      'the run to end',
      async () => (await fixture.context.pipelines.getRun(first.pipelineRunId)).run.status !== 'RUNNING',
    );
    const ended = await fixture.context.pipelines.getRun(first.pipelineRunId);
    expect([ended.run.status, ended.steps[0]!.error, ended.steps[0]!.exit_code]).toEqual(['SUCCEEDED', null, 0]);
    expect(await fire(runtime, 'hook', {})).toEqual({ outcome: 'started', pipelineRunId: expect.any(String) });
  });

  it('after a restart, drives the trigger runs left PENDING and leaves hand-started ones alone', async () => {
    const pipeline = gated();
    await writeFile(gate(), '');
    const { pipelines } = fixture.context;
    // As a server that died would leave them: recorded by a trigger, never driven.
    const leftOver = await pipelines.start(pipeline, { trigger: { name: 'hook', type: 'webhook', payload: { n: 9 } } });
    const byHand = await pipelines.start(pipeline);
    await fixture.start([pipeline], { env: ENV });
    await waitFor(
      'the left-over run to succeed',
      async () => (await pipelines.getRun(leftOver)).run.status === 'SUCCEEDED',
    );
    expect((await pipelines.getRun(byHand)).run.status).toBe('PENDING');
  });

  it('stopping the runtime cancels the run being driven, keeps the queued one PENDING for the next start', async () => {
    const runtime = await fixture.start([gated()], { env: ENV });
    const first = (await fire(runtime, 'hook', {})) as { pipelineRunId: string };
    await waitFor(
      'the first run to be running',
      async () => (await fixture.context.pipelines.getRun(first.pipelineRunId)).run.status === 'RUNNING',
    );
    const queued = (await fire(runtime, 'hook', {})) as { outcome: string; pipelineRunId: string };
    expect(queued.outcome).toBe('queued');
    await fixture.stopRuntime();
    expect((await fixture.context.pipelines.getRun(first.pipelineRunId)).run.status).toBe('CANCELLED');
    expect((await fixture.context.pipelines.getRun(queued.pipelineRunId)).run.status).toBe('PENDING');

    await writeFile(gate(), '');
    await fixture.start([gated()], { env: ENV });
    await waitFor(
      'the queued run to succeed',
      async () => (await fixture.context.pipelines.getRun(queued.pipelineRunId)).run.status === 'SUCCEEDED',
    );
  });
});
