import type { Kysely, Selectable, Transaction } from 'kysely';
import { insertRows, type MonitorResultsTable, type Schema } from '../../store/index.js';
import type { MetricValue } from '../types.js';

export type ResultStatus = 'ok' | 'no_data' | 'failed';

/** One monitor run over one window, with its values. */
export interface MonitorResult {
  id: number;
  monitor: string;
  time: number;
  windowStart: number;
  windowEnd: number;
  rows: number;
  status: ResultStatus;
  message: string | null;
  details: Record<string, unknown>;
  metrics: MetricValue[];
}

/** A point of one series: a metric of one feature and segment over time. */
export interface SeriesPoint {
  time: number;
  resultId: number;
  value: number | null;
  reason: string | null;
}

/** Stores a run and its values (owner of `monitor_results` and `monitor_metrics`), inside the caller's transaction. */
export async function insertResult(trx: Transaction<Schema>, result: Omit<MonitorResult, 'id'>): Promise<number> {
  const inserted = await trx
    .insertInto('monitor_results')
    .values({
      monitor: result.monitor,
      time: result.time,
      window_start: result.windowStart,
      window_end: result.windowEnd,
      rows: result.rows,
      status: result.status,
      message: result.message,
      details: JSON.stringify(result.details),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const id = Number(inserted.id);
  await insertRows(
    trx,
    'monitor_metrics',
    ['result_id', 'monitor', 'time', 'metric', 'feature', 'segment', 'value', 'reason'],
    result.metrics.map((metric) => [
      id,
      result.monitor,
      result.time,
      metric.metric,
      metric.feature ?? '',
      metric.segment ?? '',
      metric.value,
      metric.reason ?? null,
    ]),
  );
  return id;
}

/** The monitor's latest runs, newest first, without their values. */
export async function latestResults(
  db: Kysely<Schema>,
  monitor: string,
  limit: number,
): Promise<Omit<MonitorResult, 'metrics'>[]> {
  const rows = await db
    .selectFrom('monitor_results')
    .selectAll()
    .where('monitor', '=', monitor)
    .orderBy('time', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(resultOf);
}

function resultOf(row: Selectable<MonitorResultsTable>): Omit<MonitorResult, 'metrics'> {
  return {
    id: Number(row.id),
    monitor: row.monitor,
    time: Number(row.time),
    windowStart: Number(row.window_start),
    windowEnd: Number(row.window_end),
    rows: Number(row.rows),
    status: row.status,
    message: row.message,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

/** One run without its values, if it is the monitor's (lineage's `window:<monitor>/<id>`). */
export async function findResult(
  db: Kysely<Schema>,
  monitor: string,
  id: number,
): Promise<Omit<MonitorResult, 'metrics'> | undefined> {
  const row = await db
    .selectFrom('monitor_results')
    .selectAll()
    .where('id', '=', id)
    .where('monitor', '=', monitor)
    .executeTakeFirst();
  return row === undefined ? undefined : resultOf(row);
}

/** The values of one run. */
export async function resultMetrics(db: Kysely<Schema>, resultId: number): Promise<MetricValue[]> {
  const rows = await db
    .selectFrom('monitor_metrics')
    .select(['metric', 'feature', 'segment', 'value', 'reason'])
    .where('result_id', '=', resultId)
    .orderBy('metric')
    .orderBy('feature')
    .orderBy('segment')
    .execute();
  return rows.map((row) => ({
    metric: row.metric,
    ...(row.feature === '' ? {} : { feature: row.feature }),
    ...(row.segment === '' ? {} : { segment: row.segment }),
    value: row.value === null ? null : Number(row.value),
    ...(row.reason === null ? {} : { reason: row.reason }),
  }));
}

/** One series, oldest first: the last `limit` points (the series index answers it newest first). */
export async function series(
  db: Kysely<Schema>,
  monitor: string,
  key: { metric: string; feature?: string; segment?: string },
  limit: number,
): Promise<SeriesPoint[]> {
  const rows = await db
    .selectFrom('monitor_metrics')
    .select(['time', 'result_id', 'value', 'reason'])
    .where('monitor', '=', monitor)
    .where('metric', '=', key.metric)
    .where('feature', '=', key.feature ?? '')
    .where('segment', '=', key.segment ?? '')
    .orderBy('time', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse().map((row) => ({
    time: Number(row.time),
    resultId: Number(row.result_id),
    value: row.value === null ? null : Number(row.value),
    reason: row.reason,
  }));
}

/** Every monitor's values from its latest successful run: what the Prometheus gauges show. */
export async function latestValues(
  db: Kysely<Schema>,
): Promise<{ monitor: string; deployment: string; metrics: MetricValue[] }[]> {
  const latest = await db
    .selectFrom('monitor_results as result')
    .innerJoin('monitors', 'monitors.name', 'result.monitor')
    .select(['result.monitor', 'monitors.deployment', (eb) => eb.fn.max('result.id').as('id')])
    .where('result.status', '=', 'ok')
    .groupBy(['result.monitor', 'monitors.deployment'])
    .execute();
  return Promise.all(
    latest.map(async (row) => ({
      monitor: row.monitor,
      deployment: row.deployment,
      metrics: await resultMetrics(db, Number(row.id)),
    })),
  );
}

export async function deleteResults(trx: Transaction<Schema>, monitor: string): Promise<void> {
  await trx.deleteFrom('monitor_metrics').where('monitor', '=', monitor).execute();
  await trx.deleteFrom('monitor_results').where('monitor', '=', monitor).execute();
}
