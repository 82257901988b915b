import { firingEventsAfter, lastAlertEventId, SEVERITIES, type FiringFilter } from '../monitoring/index.js';
import type { TriggerSpec } from '../pipelines/index.js';
import { Poller, parseInterval } from './poller.js';
import type { SourceContext, TriggerSource } from './types.js';

type AlertSpec = Extract<TriggerSpec, { type: 'alert' }>;

/**
 * Fires once per new FIRING alert event that matches the trigger (its monitor, its rule, at least its severity),
 * with the event's payload and its id (`alert_id`, which lineage follows back to the alert) as the run's trigger
 * payload; RESOLVED and ACKED events never fire. The cursor is the id of the last event seen: the first check
 * starts after the newest event (alerts that fired before the trigger existed start nothing), and it moves after
 * each firing, so a restart neither repeats nor loses one. On PostgreSQL an id is taken at insert and seen at
 * commit, so an evaluation committing after a later-numbered one could be passed over; evaluations are short single
 * transactions, which keeps that window to concurrent monitor runs.
 */
export function alertSource(context: SourceContext<AlertSpec>): TriggerSource {
  const { spec } = context.target;
  const filter: FiringFilter = {
    ...(spec.monitor === undefined ? {} : { monitor: spec.monitor }),
    ...(spec.rule === undefined ? {} : { rule: spec.rule }),
    ...(spec.severity === undefined ? {} : { severities: SEVERITIES.slice(SEVERITIES.indexOf(spec.severity)) }),
  };
  return new Poller({
    intervalMs: parseInterval(spec.interval),
    describe: () => `watches ${describeFilter(spec)} for firing alerts every ${spec.interval}`,
    afterCheck: (error) => {
      if (error !== undefined) context.report(error);
      context.checked();
    },
    check: async () => {
      const stored = await context.cursor.get();
      if (stored === undefined) {
        await context.cursor.set(String(await lastAlertEventId(context.db)));
        return;
      }
      for (const event of await firingEventsAfter(context.db, Number(stored), filter)) {
        // The event's id goes with its payload: lineage walks from the run back to this alert by it.
        await context.fire({ ...event.payload, alert_id: event.id });
        await context.cursor.set(String(event.id));
      }
    },
  });
}

function describeFilter(spec: AlertSpec): string {
  const parts = [
    spec.monitor === undefined ? 'every monitor' : `monitor "${spec.monitor}"`,
    spec.rule === undefined ? undefined : `rule "${spec.rule}"`,
    spec.severity === undefined ? undefined : `severity ${spec.severity} and above`,
  ];
  return parts.filter((part) => part !== undefined).join(', ');
}
