import { describe, expect, it } from 'vitest';
import { nextCronRuns } from '../../src/triggers/index.js';
import { DIALECTS } from '../support/databases.js';
import { loaded, reportedErrors, shell, triggerOf, useTriggerFixture, waitFor } from './support.js';

describe('cron schedule', () => {
  it('computes the next runs in the given time zone', () => {
    const from = new Date('2025-01-01T00:00:00Z');
    // 09:00 in Tokyo (UTC+9, no DST) is midnight UTC.
    expect(
      nextCronRuns({ schedule: '0 9 * * *', timezone: 'Asia/Tokyo' }, from, 2).map((d) => d.toISOString()),
    ).toEqual(['2025-01-02T00:00:00.000Z', '2025-01-03T00:00:00.000Z']);
    // 09:00 in New York is 14:00 UTC in winter and 13:00 UTC after the switch to summer time (9 March 2025).
    const aroundDst = nextCronRuns(
      { schedule: '0 9 * * *', timezone: 'America/New_York' },
      new Date('2025-03-08T00:00:00Z'),
      2,
    );
    expect(aroundDst.map((d) => d.toISOString())).toEqual(['2025-03-08T14:00:00.000Z', '2025-03-09T13:00:00.000Z']);
    // Six fields: seconds first.
    expect(nextCronRuns({ schedule: '30 * * * * *', timezone: 'Europe/Lisbon' }, from)[0]?.toISOString()).toBe(
      '2025-01-01T00:00:30.000Z',
    );
  });
});

describe.each(DIALECTS)('cron trigger (%s)', (dialect) => {
  const fixture = useTriggerFixture(dialect);

  it('starts a run on schedule and records when it was due and in which zone', async () => {
    const pipeline = loaded(
      {
        name: 'every_second',
        params: { mode: { type: 'string', default: 'full' } },
        steps: [{ name: 'tick', ...shell('true') }],
        triggers: [
          {
            name: 'tick',
            type: 'cron',
            schedule: '* * * * * *',
            timezone: 'Pacific/Auckland',
            params: { mode: 'incremental' },
          },
        ],
      },
      fixture.workDir,
    );
    const runtime = await fixture.start([pipeline]);
    expect(runtime.registered()).toEqual([
      expect.objectContaining({
        pipeline: 'every_second',
        name: 'tick',
        type: 'cron',
        description: expect.stringContaining('Pacific/Auckland'),
      }),
    ]);
    const run = await waitFor('a scheduled run', async () => (await fixture.runs('every_second'))[0]);
    const trigger = triggerOf(run)!;
    expect(trigger).toMatchObject({ name: 'tick', type: 'cron', payload: { timezone: 'Pacific/Auckland' } });
    const scheduledAt = new Date((trigger.payload as { scheduledAt: string }).scheduledAt);
    expect(scheduledAt.getUTCMilliseconds()).toBe(0);
    expect(JSON.parse(run.params)).toEqual({ mode: 'incremental' });
    await waitFor(
      'the run to succeed',
      async () => (await fixture.context.pipelines.getRun(run.id)).run.status === 'SUCCEEDED',
    );
    expect(reportedErrors(fixture)).toEqual([]);
  });
});
