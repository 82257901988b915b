import { sql, type Kysely } from 'kysely';
import { insertRows, type MetricsTable, type Schema } from '../store/index.js';
import { toMetric } from './run-store.js';
import type { Metric } from './types.js';

type Db = Kysely<Schema>;

/** SQLite allows 32766 bound values per statement; 6 per row keeps a chunk well inside it. */
const ROWS_PER_INSERT = 2000;

function toRow(runId: string, metric: Metric): MetricsTable {
  const isNan = Number.isNaN(metric.value);
  return {
    run_uuid: runId,
    key: metric.key,
    value: isNan ? 0 : metric.value,
    is_nan: isNan ? 1 : 0,
    timestamp: metric.timestamp,
    step: metric.step,
  };
}

/** MLflow's order for "latest": highest step, then timestamp, then value. */
function isNewer(a: MetricsTable, b: MetricsTable): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return a.value >= b.value;
}

/** Appends to the history and moves each key's latest point forward; call inside a transaction. */
export async function insertMetrics(db: Db, runId: string, metrics: readonly Metric[]): Promise<void> {
  if (metrics.length === 0) return;
  const rows = metrics.map((m) => toRow(runId, m));
  await insertRows(
    db,
    'metrics',
    ['run_uuid', 'key', 'value', 'is_nan', 'timestamp', 'step'],
    rows.map((r) => [r.run_uuid, r.key, r.value, r.is_nan, r.timestamp, r.step]),
  );
  const latest = new Map<string, MetricsTable>();
  for (const row of rows) {
    const current = latest.get(row.key);
    if (!current || isNewer(row, current)) latest.set(row.key, row);
  }
  const latestRows = [...latest.values()];
  for (let i = 0; i < latestRows.length; i += ROWS_PER_INSERT) {
    await db
      .insertInto('latest_metrics')
      .values(latestRows.slice(i, i + ROWS_PER_INSERT))
      .onConflict((oc) =>
        oc
          .columns(['run_uuid', 'key'])
          .doUpdateSet((eb) => ({
            value: eb.ref('excluded.value'),
            is_nan: eb.ref('excluded.is_nan'),
            timestamp: eb.ref('excluded.timestamp'),
            step: eb.ref('excluded.step'),
          }))
          .where(
            sql<boolean>`(excluded.step, excluded.timestamp, excluded.value)
              >= (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)`,
          ),
      )
      .execute();
  }
}

export async function readMetricHistory(
  db: Db,
  runId: string,
  key: string,
  page: { offset: number; limit: number },
): Promise<Metric[]> {
  const rows = await db
    .selectFrom('metrics')
    .selectAll()
    .where('run_uuid', '=', runId)
    .where('key', '=', key)
    .orderBy('step')
    .orderBy('timestamp')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  return rows.map(toMetric);
}

/**
 * Logs every point of `fromRunId`'s metrics again on `toRunId`, which has none yet, with their values, steps and
 * timestamps; inside a transaction. Two INSERT … SELECTs: the history never passes through this process.
 */
export async function copyMetrics(db: Db, fromRunId: string, toRunId: string): Promise<void> {
  for (const table of ['metrics', 'latest_metrics'] as const) {
    await db
      .insertInto(table)
      .columns(['run_uuid', 'key', 'value', 'is_nan', 'timestamp', 'step'])
      .expression((eb) =>
        eb
          .selectFrom(table)
          .select([eb.val(toRunId).as('run_uuid'), 'key', 'value', 'is_nan', 'timestamp', 'step'])
          .where('run_uuid', '=', fromRunId),
      )
      .execute();
  }
}
