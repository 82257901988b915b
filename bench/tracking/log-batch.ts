import SQLite from 'better-sqlite3';
import pg from 'pg';
import { openDatabase } from '../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { elapsedMs } from '../stats.js';
import { metricBatch, METRICS_PER_REQUEST, type MetricPoint } from './workload.js';

export const CLIENTS = 4;
export const REQUESTS_PER_CLIENT = 50;

async function post(url: string, body: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

export async function createRunOverMlflow(serverUrl: string, experimentName: string): Promise<string> {
  const api = `${serverUrl}/api/2.0/mlflow`;
  let experimentId: string;
  const found = await fetch(`${api}/experiments/get-by-name?experiment_name=${encodeURIComponent(experimentName)}`);
  if (found.ok)
    experimentId = ((await found.json()) as { experiment: { experiment_id: string } }).experiment.experiment_id;
  else {
    const created = await fetch(`${api}/experiments/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: experimentName }),
    });
    experimentId = ((await created.json()) as { experiment_id: string }).experiment_id;
  }
  const run = await fetch(`${api}/runs/create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ experiment_id: experimentId, start_time: Date.now() }),
  });
  return ((await run.json()) as { run: { info: { run_id: string } } }).run.info.run_id;
}

/** Metric points per second through MLflow's log-batch route, CLIENTS clients at once. */
export async function measureLogBatchRoute(serverUrl: string): Promise<number> {
  const runIds = await Promise.all(
    Array.from({ length: CLIENTS }, () => createRunOverMlflow(serverUrl, 'bench-log-batch')),
  );
  const url = `${serverUrl}/api/2.0/mlflow/runs/log-batch`;
  // Warm the JIT and the connection pool before timing.
  await Promise.all(runIds.map((runId) => post(url, JSON.stringify({ run_id: runId, metrics: metricBatch(10_000) }))));
  // Bodies are serialized before timing: the figure is the server's, not the client's JSON.stringify.
  const bodies = runIds.map((runId) =>
    Array.from({ length: REQUESTS_PER_CLIENT }, (_, i) => JSON.stringify({ run_id: runId, metrics: metricBatch(i) })),
  );
  const start = process.hrtime.bigint();
  await Promise.all(
    bodies.map(async (clientBodies) => {
      for (const body of clientBodies) await post(url, body);
    }),
  );
  return (CLIENTS * REQUESTS_PER_CLIENT * METRICS_PER_REQUEST) / (elapsedMs(start) / 1000);
}

/** The baseline: the same rows straight into the same `metrics` table with the bare driver. */
export async function measureRawInserts(dialect: 'sqlite' | 'postgres'): Promise<number> {
  const database = await createTestDatabase(dialect);
  try {
    const store = await openDatabase(database.location);
    await store.db
      .insertInto('experiments')
      .values({
        experiment_id: 1,
        name: 'raw',
        artifact_location: '',
        lifecycle_stage: 'active',
        creation_time: 0,
        last_update_time: 0,
      })
      .execute();
    const runIds = Array.from({ length: CLIENTS }, (_, i) => `raw${i}`);
    await store.db
      .insertInto('runs')
      .values(
        runIds.map((run_uuid) => ({
          run_uuid,
          experiment_id: 1,
          run_name: run_uuid,
          user_id: '',
          status: 'RUNNING' as const,
          start_time: 0,
          end_time: null,
          lifecycle_stage: 'active' as const,
          artifact_uri: '',
          parent_run_id: null,
          deleted_time: null,
        })),
      )
      .execute();
    await store.close();
    const batches = Array.from({ length: REQUESTS_PER_CLIENT }, (_, i) => metricBatch(i));
    return dialect === 'sqlite' ? rawSqlite(database, runIds, batches) : await rawPostgres(database, runIds, batches);
  } finally {
    await database.drop();
  }
}

function rawSqlite(database: TestDatabase, runIds: string[], batches: MetricPoint[][]): number {
  if (database.location.dialect !== 'sqlite') throw new Error('expected sqlite');
  const db = new SQLite(database.location.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const insert = db.prepare(
    'INSERT INTO metrics (run_uuid, key, value, is_nan, timestamp, step) VALUES (?, ?, ?, 0, ?, ?)',
  );
  const insertBatch = db.transaction((runId: string, points: MetricPoint[]) => {
    for (const p of points) insert.run(runId, p.key, p.value, p.timestamp, p.step);
  });
  const start = process.hrtime.bigint();
  for (const points of batches) for (const runId of runIds) insertBatch(runId, points);
  const seconds = elapsedMs(start) / 1000;
  db.close();
  return (runIds.length * batches.length * METRICS_PER_REQUEST) / seconds;
}

async function rawPostgres(database: TestDatabase, runIds: string[], batches: MetricPoint[][]): Promise<number> {
  if (database.location.dialect !== 'postgres') throw new Error('expected postgres');
  const pool = new pg.Pool({ connectionString: database.location.url, max: runIds.length });
  const start = process.hrtime.bigint();
  await Promise.all(
    runIds.map(async (runId) => {
      for (const points of batches) {
        const values: unknown[] = [];
        const rows = points.map((p, i) => {
          values.push(runId, p.key, p.value, p.timestamp, p.step);
          const b = i * 5;
          return `($${b + 1}, $${b + 2}, $${b + 3}, 0, $${b + 4}, $${b + 5})`;
        });
        await pool.query(
          `INSERT INTO metrics (run_uuid, key, value, is_nan, timestamp, step) VALUES ${rows.join(', ')}`,
          values,
        );
      }
    }),
  );
  const seconds = elapsedMs(start) / 1000;
  await pool.end();
  return (runIds.length * batches.length * METRICS_PER_REQUEST) / seconds;
}
