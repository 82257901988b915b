import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { loaded, reportedErrors, shell, triggerOf, useTriggerFixture, waitFor } from './support.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const NATS_URL = 'nats://127.0.0.1:4222';

describe.each(DIALECTS)('message triggers (%s)', (dialect) => {
  const fixture = useTriggerFixture(dialect);

  it('redis: a message on the channel starts a run with the message as payload', async () => {
    const channel = `ciclo-test-${randomUUID()}`;
    const pipeline = loaded(
      {
        name: 'on_redis',
        steps: [{ name: 'a', ...shell('true') }],
        triggers: [{ name: 'bus', type: 'redis', channel, url: REDIS_URL }],
      },
      fixture.workDir,
    );
    await fixture.start([pipeline]);
    const publisher = new Redis(REDIS_URL);
    try {
      // The runtime subscribed before start() resolved, so exactly one subscriber hears it.
      expect(await publisher.publish(channel, JSON.stringify({ table: 'events', rows: 42 }))).toBe(1);
      await publisher.publish(`${channel}-other`, '{}');
    } finally {
      publisher.disconnect();
    }
    const run = await waitFor('a run', async () => (await fixture.runs('on_redis'))[0]);
    expect(triggerOf(run)).toEqual({ name: 'bus', type: 'redis', payload: { table: 'events', rows: 42 } });
    await waitFor(
      'the run to succeed',
      async () => (await fixture.context.pipelines.getRun(run.id)).run.status === 'SUCCEEDED',
    );
    expect(await fixture.runs('on_redis')).toHaveLength(1);
    expect(reportedErrors(fixture)).toEqual([]);
  });

  it('nats: a message on the subject starts a run; text that is not JSON is recorded as text', async () => {
    const subject = `ciclo.test.${randomUUID()}`;
    const pipeline = loaded(
      {
        name: 'on_nats',
        steps: [{ name: 'a', ...shell('true') }],
        triggers: [{ name: 'bus', type: 'nats', subject }],
      },
      fixture.workDir,
    );
    // No url on the trigger: it comes from the config (CICLO_NATS_URL).
    fixture.context.config.natsUrl = NATS_URL;
    await fixture.start([pipeline]);
    const publisher = await connect({ servers: NATS_URL });
    try {
      publisher.publish(subject, 'model v7 ready');
      await publisher.flush();
    } finally {
      await publisher.close();
    }
    const run = await waitFor('a run', async () => (await fixture.runs('on_nats'))[0]);
    expect(triggerOf(run)).toEqual({ name: 'bus', type: 'nats', payload: 'model v7 ready' });
    await waitFor(
      'the run to succeed',
      async () => (await fixture.context.pipelines.getRun(run.id)).run.status === 'SUCCEEDED',
    );
    expect(reportedErrors(fixture)).toEqual([]);
  });

  it('a source that cannot connect fails the start', async () => {
    const pipeline = loaded(
      {
        name: 'no_broker',
        steps: [{ name: 'a', ...shell('true') }],
        // Port 1: nothing listens there.
        triggers: [{ name: 'bus', type: 'nats', subject: 'x', url: 'nats://127.0.0.1:1' }],
      },
      fixture.workDir,
    );
    await expect(fixture.start([pipeline])).rejects.toThrow();
  });
});

describe('redis source', () => {
  const fixture = useTriggerFixture('sqlite');

  it('fails the start when Redis cannot be reached', async () => {
    const pipeline = loaded(
      {
        name: 'no_redis',
        steps: [{ name: 'a', ...shell('true') }],
        triggers: [{ name: 'bus', type: 'redis', channel: 'x', url: 'redis://127.0.0.1:1' }],
      },
      fixture.workDir,
    );
    await expect(fixture.start([pipeline])).rejects.toThrow();
  });
});
