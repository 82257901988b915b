import type { Kysely } from 'kysely';
import {
  openDatabase,
  type DatabaseLocation,
  type DialectName,
  type MetadataDatabase,
  type Schema,
} from '../../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/databases.js';

/** A fresh migrated database of its own, dropped by `drop()`. */
export interface SearchDatabase {
  location: DatabaseLocation;
  store: MetadataDatabase;
  db: Kysely<Schema>;
  drop(): Promise<void>;
}

export async function openSearchDatabase(dialect: DialectName): Promise<SearchDatabase> {
  const testDb: TestDatabase = await createTestDatabase(dialect);
  const store = await openDatabase(testDb.location);
  return {
    location: testDb.location,
    store,
    db: store.db,
    drop: async () => {
      await store.close();
      await testDb.drop();
    },
  };
}

export async function insertExperiment(
  db: Kysely<Schema>,
  experiment: {
    id: number;
    name: string;
    created?: number;
    updated?: number;
    deleted?: boolean;
    tags?: Record<string, string>;
  },
): Promise<void> {
  await db
    .insertInto('experiments')
    .values({
      experiment_id: experiment.id,
      name: experiment.name,
      artifact_location: `/artifacts/${experiment.id}`,
      lifecycle_stage: experiment.deleted ? 'deleted' : 'active',
      creation_time: experiment.created ?? 0,
      last_update_time: experiment.updated ?? experiment.created ?? 0,
    })
    .execute();
  const tags = Object.entries(experiment.tags ?? {}).map(([key, value]) => ({
    experiment_id: experiment.id,
    key,
    value,
  }));
  if (tags.length > 0) await db.insertInto('experiment_tags').values(tags).execute();
}

export interface RunFixture {
  id: string;
  experimentId?: number;
  name?: string;
  status?: 'RUNNING' | 'FINISHED' | 'FAILED';
  user?: string;
  start: number;
  end?: number | null;
  deleted?: boolean;
  /** NaN is stored as MLflow does: value 0 with is_nan = 1. */
  metrics?: Record<string, number>;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  datasets?: { name: string; digest: string; context: string }[];
}

export async function insertRuns(db: Kysely<Schema>, runs: readonly RunFixture[]): Promise<void> {
  const chunk = 200;
  for (let first = 0; first < runs.length; first += chunk) {
    await insertRunChunk(db, runs.slice(first, first + chunk));
  }
}

async function insertRunChunk(db: Kysely<Schema>, runs: readonly RunFixture[]): Promise<void> {
  await db
    .insertInto('runs')
    .values(
      runs.map((run) => ({
        run_uuid: run.id,
        experiment_id: run.experimentId ?? 1,
        run_name: run.name ?? run.id,
        user_id: run.user ?? 'ana',
        status: run.status ?? 'FINISHED',
        start_time: run.start,
        end_time: run.end === undefined ? run.start + 100 : run.end,
        lifecycle_stage: run.deleted ? ('deleted' as const) : ('active' as const),
        artifact_uri: `/artifacts/${run.id}`,
        parent_run_id: null,
        deleted_time: run.deleted ? run.start + 200 : null,
      })),
    )
    .execute();
  const metrics = runs.flatMap((run) =>
    Object.entries(run.metrics ?? {}).map(([key, value]) => ({
      run_uuid: run.id,
      key,
      value: Number.isNaN(value) ? 0 : value,
      is_nan: Number.isNaN(value) ? 1 : 0,
      timestamp: run.start,
      step: 0,
    })),
  );
  const params = runs.flatMap((run) =>
    Object.entries(run.params ?? {}).map(([key, value]) => ({ run_uuid: run.id, key, value })),
  );
  const tags = runs.flatMap((run) =>
    Object.entries(run.tags ?? {}).map(([key, value]) => ({ run_uuid: run.id, key, value })),
  );
  const inputs = runs.flatMap((run) =>
    (run.datasets ?? []).map((d) => ({
      run_uuid: run.id,
      dataset_name: d.name,
      dataset_digest: d.digest,
      context: d.context,
      source_type: 'local',
      source: `/data/${d.name}`,
      dataset_schema: null,
      profile: null,
    })),
  );
  if (metrics.length > 0) await db.insertInto('latest_metrics').values(metrics).execute();
  if (params.length > 0) await db.insertInto('params').values(params).execute();
  if (tags.length > 0) await db.insertInto('tags').values(tags).execute();
  if (inputs.length > 0) await db.insertInto('run_inputs').values(inputs).execute();
}
