import { sql } from 'kysely';
import { openDatabase, type DatabaseLocation } from '../../src/store/index.js';
import { elapsedMs, summarize } from '../stats.js';

export const RUNS = 100_000;
export const METRICS_PER_RUN = 10;
const SEARCHES = 30;
const CHUNK = 500;

export const SEARCH_REQUEST = {
  filter: 'metrics.m0 > 0.5',
  order_by: ['metrics.m1 DESC'],
  max_results: 100,
};

/** Fills the store with RUNS runs of METRICS_PER_RUN metrics each, straight through the query layer. */
export async function populateRuns(location: DatabaseLocation): Promise<string> {
  const store = await openDatabase(location);
  try {
    const experiment = await store.db
      .insertInto('experiments')
      .values({
        name: 'bench-search',
        artifact_location: '',
        lifecycle_stage: 'active',
        creation_time: 0,
        last_update_time: 0,
      })
      .returning('experiment_id')
      .executeTakeFirstOrThrow();
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let first = 0; first < RUNS; first += CHUNK) {
      const ids = Array.from(
        { length: Math.min(CHUNK, RUNS - first) },
        (_, i) => `run${String(first + i).padStart(8, '0')}`,
      );
      await store.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('runs')
          .values(
            ids.map((run_uuid, i) => ({
              run_uuid,
              experiment_id: experiment.experiment_id,
              run_name: run_uuid,
              user_id: 'bench',
              status: 'FINISHED' as const,
              start_time: first + i,
              end_time: first + i + 1,
              lifecycle_stage: 'active' as const,
              artifact_uri: '',
              parent_run_id: null,
              deleted_time: null,
            })),
          )
          .execute();
        const metrics = ids.flatMap((run_uuid) =>
          Array.from({ length: METRICS_PER_RUN }, (_, k) => ({
            run_uuid,
            key: `m${k}`,
            value: random(),
            is_nan: 0,
            timestamp: 0,
            step: 0,
          })),
        );
        for (let i = 0; i < metrics.length; i += 1000) {
          await trx
            .insertInto('latest_metrics')
            .values(metrics.slice(i, i + 1000))
            .execute();
          await trx
            .insertInto('metrics')
            .values(metrics.slice(i, i + 1000))
            .execute();
        }
      });
    }
    await sql`ANALYZE`.execute(store.db);
    return String(experiment.experiment_id);
  } finally {
    await store.close();
  }
}

/** MLflow's runs/search over HTTP with a metric filter and a metric order. */
export async function measureSearch(
  serverUrl: string,
  experimentId: string,
): Promise<ReturnType<typeof summarize> & { returned: number }> {
  const durations: number[] = [];
  let returned = 0;
  for (let i = -3; i < SEARCHES; i++) {
    const start = process.hrtime.bigint();
    const response = await fetch(`${serverUrl}/api/2.0/mlflow/runs/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ experiment_ids: [experimentId], ...SEARCH_REQUEST }),
    });
    const body = (await response.json()) as { runs?: unknown[] };
    if (!response.ok) throw new Error(`search: ${response.status} ${JSON.stringify(body)}`);
    if (i >= 0) durations.push(elapsedMs(start));
    returned = body.runs?.length ?? 0;
  }
  return { ...summarize(durations), returned };
}

/** The floor: the bare SQL a hand-written search would run (filter + order + limit on latest_metrics). */
export async function measureBareSearchSql(
  location: DatabaseLocation,
  experimentId: string,
): Promise<ReturnType<typeof summarize>> {
  const store = await openDatabase(location);
  try {
    const durations: number[] = [];
    for (let i = -3; i < SEARCHES; i++) {
      const start = process.hrtime.bigint();
      await sql`
        SELECT r.run_uuid FROM runs r
        JOIN latest_metrics f ON f.run_uuid = r.run_uuid AND f.key = 'm0'
        LEFT JOIN latest_metrics o ON o.run_uuid = r.run_uuid AND o.key = 'm1'
        WHERE r.experiment_id = ${Number(experimentId)} AND r.lifecycle_stage = 'active'
          AND f.value > 0.5 AND f.is_nan = 0
        ORDER BY o.value DESC, r.run_uuid LIMIT 100`.execute(store.db);
      if (i >= 0) durations.push(elapsedMs(start));
    }
    return summarize(durations);
  } finally {
    await store.close();
  }
}
