import { z } from 'zod';
import type { AlertHistory } from './service.js';
import type { AlertActionRecord, AlertEvent, StoredAlertState } from './store.js';

/** Alerts in the `/api/v1` convention (snake_case); the CLI's `--json` prints the same shapes. */
export const AlertStateReply = z.object({
  monitor: z.string(),
  rule: z.string(),
  state: z.enum(['OK', 'FIRING']),
  severity: z.string(),
  consecutive: z.number().describe('breaching windows in a row'),
  since: z.number().describe('when the state last changed'),
  last_fired: z.number().nullable(),
  last_value: z.number().nullable(),
  acked_by: z.string().nullable(),
  acked_time: z.number().nullable(),
});

export const AlertActionReply = z.object({
  id: z.number(),
  action_index: z.number(),
  type: z.string(),
  status: z.enum(['PENDING', 'DONE', 'FAILED']),
  attempts: z.number(),
  next_time: z.number().nullable(),
  last_error: z.string().nullable(),
  updated_time: z.number(),
});

export const AlertEventReply = z.object({
  id: z.number(),
  monitor: z.string(),
  rule: z.string(),
  kind: z.enum(['FIRING', 'RESOLVED', 'ACKED']),
  severity: z.string(),
  time: z.number(),
  actor: z.string(),
  result_id: z.number().nullable(),
  value: z.number().nullable(),
  payload: z.record(z.string(), z.unknown()).describe('the alert as webhooks, messages and the alert trigger get it'),
  actions: z.array(AlertActionReply).optional(),
});

export const AlertHistoryReply = z.object({
  state: AlertStateReply.nullable(),
  events: z.array(AlertEventReply),
});

export function stateToWire(state: StoredAlertState): z.output<typeof AlertStateReply> {
  return {
    monitor: state.monitor,
    rule: state.rule,
    state: state.state,
    severity: state.severity,
    consecutive: state.consecutive,
    since: state.since,
    last_fired: state.lastFired,
    last_value: state.lastValue,
    acked_by: state.ackedBy,
    acked_time: state.ackedTime,
  };
}

export function actionToWire(action: AlertActionRecord): z.output<typeof AlertActionReply> {
  return {
    id: action.id,
    action_index: action.actionIndex,
    type: action.type,
    status: action.status,
    attempts: action.attempts,
    next_time: action.nextTime,
    last_error: action.lastError,
    updated_time: action.updatedTime,
  };
}

export function eventToWire(event: AlertEvent & { actions?: AlertActionRecord[] }): z.output<typeof AlertEventReply> {
  return {
    id: event.id,
    monitor: event.monitor,
    rule: event.rule,
    kind: event.kind,
    severity: event.severity,
    time: event.time,
    actor: event.actor,
    result_id: event.resultId,
    value: event.value,
    payload: { ...event.payload },
    ...(event.actions === undefined ? {} : { actions: event.actions.map(actionToWire) }),
  };
}

export function historyToWire(history: AlertHistory): z.output<typeof AlertHistoryReply> {
  return {
    state: history.state === null ? null : stateToWire(history.state),
    events: history.events.map(eventToWire),
  };
}
