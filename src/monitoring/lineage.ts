import type { Kysely } from 'kysely';
import { z } from 'zod';
import { NotFoundError } from '../common/errors.js';
import {
  alertNodeId,
  windowNodeId,
  type AlertNode,
  type EdgeSource,
  type LineageRegistry,
  type LineageSession,
  type Neighbour,
  type Neighbours,
  type NodeResolver,
  type RunNode,
  type WindowNode,
} from '../lineage/index.js';
import { findPipelineRun, pipelineRunsByTriggerType } from '../pipelines/index.js';
import type { Schema } from '../store/index.js';
import { findFiringEvent, firingEventLike, firingEventsOfResult, type AlertEvent } from './alerts/store.js';
import { findResult, type MonitorResult } from './monitors/result-store.js';
import { projectOfMonitor } from './monitors/store.js';

/**
 * Monitoring's part of lineage: the closed loop. A monitor run over a window of a deployment's traffic
 * (`window:MONITOR/RESULT`) fired an alert (`alert:ID`, a FIRING event), which triggered a pipeline run through an
 * `alert` trigger (`window -fired-> alert -triggered-> run`), so a retrained version's upstream walk reaches the
 * traffic that caused it. Both kinds belong to their monitor's project; once the monitor is deleted they have none
 * and stay hidden from callers who do not see everything.
 */
export function addMonitoringLineage(registry: LineageRegistry): LineageRegistry {
  return registry.addResolver(alertResolver).addResolver(windowResolver).addEdgeSource(loopEdges);
}

/**
 * Alert-triggered pipeline runs read, newest first, to find those an alert started (no index on the trigger's
 * payload). Runs start after their alert, so reading back to the alert's time is complete; a walk that stops short of
 * it says the answer is partial.
 */
const TRIGGERED_RUN_SCAN = 1000;

const projectOf = async (node: { kind: string; monitor?: string }, db: Kysely<Schema>) =>
  (node.kind === 'alert' || node.kind === 'window') && node.monitor !== undefined
    ? projectOfMonitor(db, node.monitor)
    : undefined;

const alertResolver: NodeResolver = {
  kind: 'alert',
  async resolve(ref, session) {
    if (ref.kind !== 'alert') return [];
    const event = await findFiringEvent(session.db, ref.alertId);
    if (event === undefined) {
      throw new NotFoundError(`no alert fired with id ${ref.alertId}`, {
        where: 'node',
        hint: 'alert:<id> names a FIRING alert event; see the ids with ciclo alerts show <monitor> <rule> --json',
      });
    }
    return [alertNode(event)];
  },
  projectOf,
};

const windowResolver: NodeResolver = {
  kind: 'window',
  async resolve(ref, session) {
    if (ref.kind !== 'window') return [];
    const result = await findResult(session.db, ref.monitor, ref.resultId);
    if (result === undefined) {
      throw new NotFoundError(`monitor "${ref.monitor}" has no result ${ref.resultId}`, {
        where: 'node',
        hint: 'window:<monitor>/<result id> is one monitor run; see the ids with ciclo monitor show <monitor> --json',
      });
    }
    return [windowNode(result)];
  },
  projectOf,
};

/** The loop's edges: window → the alerts it fired → the pipeline runs they triggered, and back. */
const loopEdges: EdgeSource = {
  async neighbours(node, direction, limit, session) {
    switch (node.kind) {
      case 'run':
        return direction === 'upstream' && node.role === 'pipeline'
          ? { found: await triggeringAlert(node, session), truncated: false }
          : none();
      case 'alert': {
        if (direction === 'downstream') return triggeredRuns(node, limit, session);
        return { found: await firingWindow(node, session), truncated: false };
      }
      case 'window':
        return direction === 'downstream' ? firedAlerts(node, limit, session) : none();
      default:
        return none();
    }
  },
};

const TriggerRecordSchema = z.object({ name: z.string(), type: z.string(), payload: z.unknown().optional() });

/** What an alert trigger's payload must hold to name its event (`alert_id` since the trigger records it). */
const AlertPayloadSchema = z.object({
  alert_id: z.number().int().optional(),
  monitor: z.string(),
  rule: z.string(),
  result_id: z.number().int().nullable(),
  time: z.number(),
});
type AlertPayloadKey = z.infer<typeof AlertPayloadSchema>;

/** The FIRING event a run's alert trigger recorded, when the run was started by one and the event is still there. */
async function triggeringAlert(node: RunNode, session: LineageSession): Promise<Neighbour[]> {
  if (node.triggerName === undefined) return [];
  const row = await findPipelineRun(session.db, node.runId);
  const record = TriggerRecordSchema.safeParse(row?.trigger == null ? null : JSON.parse(row.trigger));
  if (!record.success || record.data.type !== 'alert') return [];
  const payload = AlertPayloadSchema.safeParse(record.data.payload);
  if (!payload.success) return [];
  const event = await eventOfPayload(session.db, payload.data);
  if (event === undefined) return [];
  const alert = alertNode(event);
  return [{ node: alert, edge: { from: alert.id, type: 'triggered', to: node.id, name: record.data.name } }];
}

async function eventOfPayload(db: Kysely<Schema>, payload: AlertPayloadKey): Promise<AlertEvent | undefined> {
  if (payload.alert_id !== undefined) {
    const event = await findFiringEvent(db, payload.alert_id);
    // An id that now names another alert (a store restored from elsewhere) is not this run's.
    return event !== undefined && event.monitor === payload.monitor && event.rule === payload.rule ? event : undefined;
  }
  if (payload.result_id === null) return undefined;
  return firingEventLike(db, {
    monitor: payload.monitor,
    rule: payload.rule,
    resultId: payload.result_id,
    time: payload.time,
  });
}

/** The pipeline runs whose alert trigger recorded this alert, newest first. */
async function triggeredRuns(node: AlertNode, limit: number, session: LineageSession): Promise<Neighbours> {
  const scanned = await pipelineRunsByTriggerType(session.db, 'alert', TRIGGERED_RUN_SCAN);
  const found: Neighbour[] = [];
  let truncated = false;
  for (const row of scanned) {
    const record = TriggerRecordSchema.safeParse(JSON.parse(row.trigger));
    if (!record.success || record.data.type !== 'alert') continue;
    const payload = AlertPayloadSchema.safeParse(record.data.payload);
    if (!payload.success || !namesEvent(payload.data, node)) continue;
    const run = await session.runs.get(row.id);
    if (run === undefined) continue;
    if (found.length >= limit) {
      truncated = true;
      break;
    }
    found.push({ node: run.node, edge: { from: node.id, type: 'triggered', to: run.node.id, name: record.data.name } });
  }
  // A full scan that ends after the alert fired may have left out older runs it triggered.
  const oldest = scanned.at(-1);
  if (scanned.length === TRIGGERED_RUN_SCAN && oldest !== undefined && oldest.createdTime > node.time) truncated = true;
  return { found, truncated };
}

function namesEvent(payload: AlertPayloadKey, node: AlertNode): boolean {
  if (payload.monitor !== node.monitor || payload.rule !== node.rule) return false;
  if (payload.alert_id !== undefined) return payload.alert_id === node.alertId;
  return payload.time === node.time;
}

/** The monitor run whose values fired the alert; gone with its monitor. */
async function firingWindow(node: AlertNode, session: LineageSession): Promise<Neighbour[]> {
  const event = await findFiringEvent(session.db, node.alertId);
  if (event?.resultId == null) return [];
  const result = await findResult(session.db, event.monitor, event.resultId);
  if (result === undefined) return [];
  const window = windowNode(result);
  return [{ node: window, edge: { from: window.id, type: 'fired', to: node.id, name: event.rule } }];
}

async function firedAlerts(node: WindowNode, limit: number, session: LineageSession): Promise<Neighbours> {
  const events = await firingEventsOfResult(session.db, node.monitor, node.resultId, limit + 1);
  const found = events.slice(0, limit).map((event): Neighbour => {
    const alert = alertNode(event);
    return { node: alert, edge: { from: node.id, type: 'fired', to: alert.id, name: event.rule } };
  });
  return { found, truncated: events.length > limit };
}

function alertNode(event: AlertEvent): AlertNode {
  const { payload } = event;
  return {
    id: alertNodeId(event.id),
    kind: 'alert',
    alertId: event.id,
    monitor: event.monitor,
    deployment: payload.deployment,
    rule: event.rule,
    metric: payload.metric,
    ...(payload.feature === null ? {} : { feature: payload.feature }),
    ...(payload.segment === null ? {} : { segment: payload.segment }),
    value: event.value,
    severity: event.severity,
    time: event.time,
  };
}

/** What a run recorded of its target (`details`); a run that failed before reading it has none. */
const TargetDetailsSchema = z.object({
  deployment: z.string().optional(),
  model: z.string().optional(),
  version: z.number().optional(),
});

function windowNode(result: Omit<MonitorResult, 'metrics'>): WindowNode {
  const parsed = TargetDetailsSchema.safeParse(result.details);
  const target = parsed.success ? parsed.data : {};
  return {
    id: windowNodeId(result.monitor, result.id),
    kind: 'window',
    monitor: result.monitor,
    resultId: result.id,
    ...(target.deployment === undefined ? {} : { deployment: target.deployment }),
    ...(target.model === undefined ? {} : { model: target.model }),
    ...(target.version === undefined ? {} : { version: target.version }),
    start: result.windowStart,
    end: result.windowEnd,
    rows: result.rows,
    status: result.status,
  };
}

function none(): Neighbours {
  return { found: [], truncated: false };
}
