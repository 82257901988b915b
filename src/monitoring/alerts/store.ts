import type { Kysely, Selectable } from 'kysely';
import {
  dialectOf,
  type AlertActionsTable,
  type AlertEventsTable,
  type AlertStatesTable,
  type Schema,
} from '../../store/index.js';
import type { RuleState } from './judge.js';
import type { AlertAction, AlertActionType, Severity } from './rule.js';

/**
 * Queries over `alert_states`, `alert_events` and `alert_actions` (migration 0013); the service holds the
 * rules. Other capabilities read alert events only through `firingEventsAfter` (the `alert` trigger); lineage
 * (monitoring's own `lineage.ts`) through `findFiringEvent`, `firingEventsOfResult` and `firingEventLike`.
 */

type Db = Kysely<Schema>;

export type AlertEventKind = AlertEventsTable['kind'];

/** The alert as actions and the `alert` trigger see it (snake_case: it leaves Ciclo as JSON). */
export interface AlertPayload {
  monitor: string;
  deployment: string;
  rule: string;
  metric: string;
  feature: string | null;
  segment: string | null;
  value: number | null;
  condition: 'above' | 'below';
  threshold: number;
  severity: Severity;
  state: AlertEventKind;
  result_id: number | null;
  time: number;
  window: { start: number; end: number } | null;
  /** Who acknowledged it, and why (ACKED events). */
  actor?: string;
  comment?: string;
}

export interface AlertEvent {
  id: number;
  monitor: string;
  rule: string;
  kind: AlertEventKind;
  severity: Severity;
  time: number;
  actor: string;
  resultId: number | null;
  value: number | null;
  payload: AlertPayload;
}

export interface StoredAlertState extends RuleState {
  monitor: string;
  rule: string;
  severity: Severity;
}

export type AlertActionStatus = AlertActionsTable['status'];

export interface AlertActionRecord {
  id: number;
  eventId: number;
  actionIndex: number;
  type: AlertActionType;
  action: AlertAction;
  status: AlertActionStatus;
  attempts: number;
  nextTime: number | null;
  lastError: string | null;
  updatedTime: number;
}

/** The rule's state; on PostgreSQL locked until the transaction ends, so two evaluations of one rule take turns. */
export async function readState(db: Db, monitor: string, rule: string): Promise<StoredAlertState | undefined> {
  let query = db.selectFrom('alert_states').selectAll().where('monitor', '=', monitor).where('rule', '=', rule);
  if (dialectOf(db) === 'postgres') query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row === undefined ? undefined : stateOf(row);
}

export async function writeState(db: Db, state: StoredAlertState): Promise<void> {
  const values = {
    state: state.state,
    severity: state.severity,
    consecutive: state.consecutive,
    since: state.since,
    last_fired: state.lastFired,
    last_value: state.lastValue,
    acked_by: state.ackedBy,
    acked_time: state.ackedTime,
  };
  await db
    .insertInto('alert_states')
    .values({ monitor: state.monitor, rule: state.rule, ...values })
    .onConflict((conflict) => conflict.columns(['monitor', 'rule']).doUpdateSet(values))
    .execute();
}

export interface StateFilter {
  monitor?: string;
  state?: 'OK' | 'FIRING';
  /** Only monitors of these projects (a caller's readable ones); absent: every project. */
  projects?: readonly string[];
}

export async function listStates(db: Db, filter: StateFilter): Promise<StoredAlertState[]> {
  let query = db.selectFrom('alert_states').selectAll();
  if (filter.monitor !== undefined) query = query.where('monitor', '=', filter.monitor);
  if (filter.state !== undefined) query = query.where('state', '=', filter.state);
  if (filter.projects !== undefined) {
    if (filter.projects.length === 0) return [];
    const projects = [...filter.projects];
    query = query.where('monitor', 'in', (sub) =>
      sub.selectFrom('monitors').select('name').where('project', 'in', projects),
    );
  }
  return (await query.orderBy('monitor').orderBy('rule').execute()).map(stateOf);
}

export async function insertEvent(db: Db, event: Omit<AlertEvent, 'id'>): Promise<AlertEvent> {
  const { id } = await db
    .insertInto('alert_events')
    .values({
      monitor: event.monitor,
      rule: event.rule,
      kind: event.kind,
      severity: event.severity,
      time: event.time,
      actor: event.actor,
      result_id: event.resultId,
      value: event.value,
      payload: JSON.stringify(event.payload),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: Number(id), ...event };
}

/** A rule's events, oldest first. */
export async function listEvents(db: Db, monitor: string, rule: string): Promise<AlertEvent[]> {
  const rows = await db
    .selectFrom('alert_events')
    .selectAll()
    .where('monitor', '=', monitor)
    .where('rule', '=', rule)
    .orderBy('id')
    .execute();
  return rows.map(eventOf);
}

export interface FiringFilter {
  monitor?: string;
  rule?: string;
  severities?: readonly Severity[];
}

/** FIRING events with an id above `afterId` that match the filter, oldest first: what the `alert` trigger fires for. */
export async function firingEventsAfter(
  db: Db,
  afterId: number,
  filter: FiringFilter = {},
  limit = 100,
): Promise<AlertEvent[]> {
  let query = db.selectFrom('alert_events').selectAll().where('kind', '=', 'FIRING').where('id', '>', afterId);
  if (filter.monitor !== undefined) query = query.where('monitor', '=', filter.monitor);
  if (filter.rule !== undefined) query = query.where('rule', '=', filter.rule);
  if (filter.severities !== undefined) query = query.where('severity', 'in', [...filter.severities]);
  return (await query.orderBy('id').limit(limit).execute()).map(eventOf);
}

/** The FIRING event with this id, if there is one (lineage's `alert:<id>`). */
export async function findFiringEvent(db: Db, id: number): Promise<AlertEvent | undefined> {
  const row = await db
    .selectFrom('alert_events')
    .selectAll()
    .where('id', '=', id)
    .where('kind', '=', 'FIRING')
    .executeTakeFirst();
  return row === undefined ? undefined : eventOf(row);
}

/**
 * The FIRING events a monitor's result caused, oldest first, at most `limit`. `alert_events_rule` narrows the read to
 * the monitor's events; a result's events are a few of those.
 */
export async function firingEventsOfResult(
  db: Db,
  monitor: string,
  resultId: number,
  limit: number,
): Promise<AlertEvent[]> {
  const rows = await db
    .selectFrom('alert_events')
    .selectAll()
    .where('monitor', '=', monitor)
    .where('result_id', '=', resultId)
    .where('kind', '=', 'FIRING')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(eventOf);
}

/**
 * The FIRING event a payload describes, for trigger payloads recorded before they carried the event's id: one rule
 * fires at most once per judged result, so monitor, rule, result and time name one event.
 */
export async function firingEventLike(
  db: Db,
  key: { monitor: string; rule: string; resultId: number; time: number },
): Promise<AlertEvent | undefined> {
  const row = await db
    .selectFrom('alert_events')
    .selectAll()
    .where('monitor', '=', key.monitor)
    .where('rule', '=', key.rule)
    .where('kind', '=', 'FIRING')
    .where('result_id', '=', key.resultId)
    .where('time', '=', key.time)
    .orderBy('id')
    .executeTakeFirst();
  return row === undefined ? undefined : eventOf(row);
}

/** The newest event's id (0 when there is none): where a new `alert` trigger starts reading. */
export async function lastAlertEventId(db: Db): Promise<number> {
  const row = await db
    .selectFrom('alert_events')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  return row?.id === null || row?.id === undefined ? 0 : Number(row.id);
}

export async function insertActions(
  db: Db,
  rows: readonly { eventId: number; actionIndex: number; action: AlertAction; type: AlertActionType; now: number }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('alert_actions')
    .values(
      rows.map((row) => ({
        event_id: row.eventId,
        action_index: row.actionIndex,
        type: row.type,
        action: JSON.stringify(row.action),
        status: 'PENDING' as const,
        attempts: 0,
        next_time: row.now,
        last_error: null,
        updated_time: row.now,
      })),
    )
    .execute();
}

/** PENDING actions due at `now`, oldest first, with the payload of their event. */
export async function dueActions(
  db: Db,
  now: number,
  limit: number,
): Promise<(AlertActionRecord & { payload: AlertPayload })[]> {
  const rows = await db
    .selectFrom('alert_actions')
    .innerJoin('alert_events', 'alert_events.id', 'alert_actions.event_id')
    .selectAll('alert_actions')
    .select('alert_events.payload')
    .where('alert_actions.status', '=', 'PENDING')
    .where('alert_actions.next_time', '<=', now)
    .orderBy('alert_actions.next_time')
    .orderBy('alert_actions.id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ ...actionOf(row), payload: JSON.parse(row.payload) as AlertPayload }));
}

/**
 * Takes a due action for one attempt by moving its next_time to `leaseUntil`, only if nobody moved it since it was
 * read: two processes (the server's tick and an evaluation's own run) never attempt the same action at once, and an
 * attempt whose process died is taken again once the lease has passed.
 */
export async function claimAction(db: Db, id: number, seenNextTime: number, leaseUntil: number): Promise<boolean> {
  const result = await db
    .updateTable('alert_actions')
    .set({ next_time: leaseUntil })
    .where('id', '=', id)
    .where('status', '=', 'PENDING')
    .where('next_time', '=', seenNextTime)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function recordAttempt(
  db: Db,
  id: number,
  outcome: {
    status: AlertActionStatus;
    attempts: number;
    nextTime: number | null;
    lastError: string | null;
    now: number;
  },
): Promise<void> {
  await db
    .updateTable('alert_actions')
    .set({
      status: outcome.status,
      attempts: outcome.attempts,
      next_time: outcome.nextTime,
      last_error: outcome.lastError,
      updated_time: outcome.now,
    })
    .where('id', '=', id)
    .execute();
}

/** The actions of these events, in event then declaration order. */
export async function actionsOfEvents(db: Db, eventIds: readonly number[]): Promise<AlertActionRecord[]> {
  if (eventIds.length === 0) return [];
  const rows = await db
    .selectFrom('alert_actions')
    .selectAll()
    .where('event_id', 'in', [...eventIds])
    .orderBy('event_id')
    .orderBy('action_index')
    .execute();
  return rows.map(actionOf);
}

function stateOf(row: Selectable<AlertStatesTable>): StoredAlertState {
  return {
    monitor: row.monitor,
    rule: row.rule,
    severity: row.severity as Severity,
    state: row.state,
    consecutive: Number(row.consecutive),
    since: Number(row.since),
    lastFired: row.last_fired === null ? null : Number(row.last_fired),
    lastValue: row.last_value === null ? null : Number(row.last_value),
    ackedBy: row.acked_by,
    ackedTime: row.acked_time === null ? null : Number(row.acked_time),
  };
}

function eventOf(row: Selectable<AlertEventsTable>): AlertEvent {
  return {
    id: Number(row.id),
    monitor: row.monitor,
    rule: row.rule,
    kind: row.kind,
    severity: row.severity as Severity,
    time: Number(row.time),
    actor: row.actor,
    resultId: row.result_id === null ? null : Number(row.result_id),
    value: row.value === null ? null : Number(row.value),
    payload: JSON.parse(row.payload) as AlertPayload,
  };
}

function actionOf(row: Selectable<AlertActionsTable>): AlertActionRecord {
  return {
    id: Number(row.id),
    eventId: Number(row.event_id),
    actionIndex: Number(row.action_index),
    type: row.type as AlertActionType,
    action: JSON.parse(row.action) as AlertAction,
    status: row.status,
    attempts: Number(row.attempts),
    nextTime: row.next_time === null ? null : Number(row.next_time),
    lastError: row.last_error,
    updatedTime: Number(row.updated_time),
  };
}
