import { Cron } from 'croner';
import { cronOptions, type TriggerSpec } from '../pipelines/index.js';
import type { SourceContext, TriggerSource } from './types.js';

type CronSpec = Extract<TriggerSpec, { type: 'cron' }>;

/** A paused croner job for the spec: validates the pattern and zone (throws) and computes run times. */
function cronSchedule(spec: Pick<CronSpec, 'schedule' | 'timezone'>): Cron {
  return new Cron(spec.schedule, { paused: true, ...cronOptions(spec) });
}

/** The next `count` times the schedule fires after `from`, read in the spec's time zone. */
export function nextCronRuns(spec: Pick<CronSpec, 'schedule' | 'timezone'>, from: Date, count = 1): Date[] {
  const schedule = cronSchedule(spec);
  try {
    return schedule.nextRuns(count, from);
  } finally {
    schedule.stop();
  }
}

/**
 * Fires at each time of the schedule. Times missed while the server was down are not made up: a
 * schedule says when to run from now on, not a backlog. `protect` skips a tick while the previous
 * firing is still being recorded.
 */
export function cronSource(context: SourceContext<CronSpec>): TriggerSource {
  const { spec } = context.target;
  const zone = spec.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  let job: Cron | undefined;
  let inFlight: Promise<unknown> = Promise.resolve();
  return {
    describe: () => {
      const next = nextCronRuns(spec, new Date())[0];
      return `cron "${spec.schedule}" in ${zone}${next ? `, next at ${next.toISOString()}` : ''}`;
    },
    start: async () => {
      job = new Cron(spec.schedule, { ...cronOptions(spec), protect: true, unref: true }, async (self: Cron) => {
        const scheduledAt = self.currentRun() ?? new Date();
        inFlight = context.fire({ scheduledAt: scheduledAt.toISOString(), timezone: zone }).catch(context.report);
        await inFlight;
      });
    },
    stop: async () => {
      job?.stop();
      await inFlight;
    },
  };
}
