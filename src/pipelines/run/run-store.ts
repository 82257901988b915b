import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type {
  PipelineRunStatus,
  PipelineRunsTable,
  Schema,
  StepExecutionStatus,
  StepExecutionsTable,
} from '../../store/index.js';

/** Queries over `pipeline_runs` and `step_executions`; the scheduler holds the rules. */

export type PipelineRunRow = Selectable<PipelineRunsTable>;
export type StepExecutionRow = Selectable<StepExecutionsTable>;
export type { PipelineRunStatus, StepExecutionStatus };

/** The run and a PENDING first attempt per step; call it in the transaction that also audits the start. */
export async function insertPipelineRun(
  trx: Kysely<Schema>,
  run: Insertable<PipelineRunsTable>,
  stepNames: readonly string[],
): Promise<void> {
  await trx.insertInto('pipeline_runs').values(run).execute();
  await trx
    .insertInto('step_executions')
    .values(stepNames.map((step_name) => pendingRow(run.id, step_name, 1, null)))
    .execute();
}

export async function findPipelineRun(db: Kysely<Schema>, id: string): Promise<PipelineRunRow | undefined> {
  return db.selectFrom('pipeline_runs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function setPipelineRunStatus(
  db: Kysely<Schema>,
  id: string,
  status: PipelineRunStatus,
  now: number,
): Promise<void> {
  await db.updateTable('pipeline_runs').set({ status, updated_time: now }).where('id', '=', id).execute();
}

/** Every attempt of every step of the run, ordered by step name then attempt. */
export async function listStepExecutions(db: Kysely<Schema>, pipelineRunId: string): Promise<StepExecutionRow[]> {
  return db
    .selectFrom('step_executions')
    .selectAll()
    .where('pipeline_run_id', '=', pipelineRunId)
    .orderBy('step_name')
    .orderBy('attempt')
    .execute();
}

/** Each step's latest attempt: the step's current state. */
export async function latestStepExecutions(
  db: Kysely<Schema>,
  pipelineRunId: string,
): Promise<Map<string, StepExecutionRow>> {
  const latest = new Map<string, StepExecutionRow>();
  for (const row of await listStepExecutions(db, pipelineRunId)) latest.set(row.step_name, row);
  return latest;
}

/** One attempt of one step of one pipeline run. */
export interface StepExecutionKey {
  pipelineRunId: string;
  stepName: string;
  attempt: number;
}

/** One step's latest attempt. */
export async function latestStepExecution(
  db: Kysely<Schema>,
  pipelineRunId: string,
  stepName: string,
): Promise<StepExecutionRow | undefined> {
  return db
    .selectFrom('step_executions')
    .selectAll()
    .where('pipeline_run_id', '=', pipelineRunId)
    .where('step_name', '=', stepName)
    .orderBy('attempt', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function updateStepExecution(
  db: Kysely<Schema>,
  key: StepExecutionKey,
  changes: Updateable<StepExecutionsTable>,
): Promise<void> {
  await db
    .updateTable('step_executions')
    .set(changes)
    .where('pipeline_run_id', '=', key.pipelineRunId)
    .where('step_name', '=', key.stepName)
    .where('attempt', '=', key.attempt)
    .execute();
}

export async function insertPendingAttempt(
  db: Kysely<Schema>,
  pipelineRunId: string,
  stepName: string,
  attempt: number,
  nextAttemptAt: number | null,
): Promise<void> {
  await db
    .insertInto('step_executions')
    .values(pendingRow(pipelineRunId, stepName, attempt, nextAttemptAt))
    .execute();
}

/** The most recent successful execution with this cache key, in any run of any pipeline. */
export async function findSucceededByCacheKey(
  db: Kysely<Schema>,
  cacheKey: string,
): Promise<StepExecutionRow | undefined> {
  return db
    .selectFrom('step_executions')
    .selectAll()
    .where('cache_key', '=', cacheKey)
    .where('status', '=', 'SUCCEEDED')
    .orderBy('ended_time', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** One attempt by its key (lineage finds a step run's execution this way). */
export async function findStepExecution(
  db: Kysely<Schema>,
  key: StepExecutionKey,
): Promise<StepExecutionRow | undefined> {
  return db
    .selectFrom('step_executions')
    .selectAll()
    .where('pipeline_run_id', '=', key.pipelineRunId)
    .where('step_name', '=', key.stepName)
    .where('attempt', '=', key.attempt)
    .executeTakeFirst();
}

/** The step runs of executions that reused this run's outputs: same cache key, CACHED, pointing back at it. */
export async function cachedCopiesOf(
  db: Kysely<Schema>,
  cacheKey: string,
  sourceRunId: string,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('step_executions')
    .select('run_id')
    .where('cache_key', '=', cacheKey)
    .where('status', '=', 'CACHED')
    .where('cached_from_run_id', '=', sourceRunId)
    .where('run_id', 'is not', null)
    .orderBy('started_time')
    .limit(limit)
    .execute();
  return rows.map((row) => row.run_id!);
}

function pendingRow(
  pipelineRunId: string,
  stepName: string,
  attempt: number,
  nextAttemptAt: number | null,
): StepExecutionRow {
  return {
    pipeline_run_id: pipelineRunId,
    step_name: stepName,
    attempt,
    status: 'PENDING',
    run_id: null,
    exit_code: null,
    error: null,
    cache_key: null,
    cached_from_run_id: null,
    started_time: null,
    ended_time: null,
    next_attempt_at: nextAttemptAt,
    input_digests: null,
    output_digests: null,
    process_id: null,
    process_host: null,
    worker: null,
    duration_ms: null,
  };
}

export interface PipelineRunFilter {
  pipelineName?: string;
  statuses?: readonly PipelineRunStatus[];
  /** Newest first; default 50. */
  limit?: number;
}

export async function listPipelineRuns(db: Kysely<Schema>, filter: PipelineRunFilter = {}): Promise<PipelineRunRow[]> {
  let query = db.selectFrom('pipeline_runs').selectAll();
  if (filter.pipelineName !== undefined) query = query.where('pipeline_name', '=', filter.pipelineName);
  if (filter.statuses !== undefined && filter.statuses.length > 0) query = query.where('status', 'in', filter.statuses);
  return query
    .orderBy('created_time', 'desc')
    .orderBy('id')
    .limit(filter.limit ?? 50)
    .execute();
}

/**
 * The newest runs a trigger of this type started, at most `limit`, with their trigger record (JSON): what monitoring's
 * lineage reads to find the runs an alert started. No index serves it: the `LIKE` only saves parsing the JSON of runs
 * started by hand or by other trigger types, and the caller checks the parsed record, which is what counts.
 */
export async function pipelineRunsByTriggerType(
  db: Kysely<Schema>,
  type: string,
  limit: number,
): Promise<{ id: string; trigger: string; createdTime: number }[]> {
  const rows = await db
    .selectFrom('pipeline_runs')
    .select(['id', 'trigger', 'created_time'])
    .where('trigger_name', 'is not', null)
    .where('trigger', 'like', `%"type":${JSON.stringify(type)}%`)
    .orderBy('created_time', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.flatMap((row) =>
    row.trigger === null ? [] : [{ id: row.id, trigger: row.trigger, createdTime: Number(row.created_time) }],
  );
}

export async function countActivePipelineRuns(db: Kysely<Schema>, pipelineName: string): Promise<number> {
  const row = await db
    .selectFrom('pipeline_runs')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('pipeline_name', '=', pipelineName)
    .where('status', 'in', ['PENDING', 'RUNNING'])
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** A run made ready to be driven again (resume): PENDING, with no cancel request left over. */
export async function reopenPipelineRun(db: Kysely<Schema>, id: string, now: number): Promise<void> {
  await db
    .updateTable('pipeline_runs')
    .set({ status: 'PENDING', cancel_requested: 0, updated_time: now })
    .where('id', '=', id)
    .execute();
}

/** What the lease reads of a run before taking it. */
export async function findLeaseState(db: Kysely<Schema>, id: string) {
  return db
    .selectFrom('pipeline_runs')
    .select(['lease_owner', 'lease_expires_at', 'cancel_requested'])
    .where('id', '=', id)
    .executeTakeFirst();
}

/**
 * Takes the run's lease if its owner is still the one read (compare-and-set): of two processes
 * racing for a free lease, one wins. True when this call took it.
 */
export async function takeLease(
  db: Kysely<Schema>,
  id: string,
  expected: string | null,
  owner: string,
  expiresAt: number,
): Promise<boolean> {
  const result = await db
    .updateTable('pipeline_runs')
    .set({ lease_owner: owner, lease_expires_at: expiresAt })
    .where('id', '=', id)
    .where((eb) => (expected === null ? eb('lease_owner', 'is', null) : eb('lease_owner', '=', expected)))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Gives the lease up, if this owner still holds it. */
export async function releaseLease(db: Kysely<Schema>, id: string, owner: string): Promise<void> {
  await db
    .updateTable('pipeline_runs')
    .set({ lease_owner: null, lease_expires_at: null })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
}

/**
 * Moves the lease's expiry forward if this owner still holds it; answers whether a cancel was
 * requested, or undefined when the lease was lost.
 */
export async function renewLease(
  db: Kysely<Schema>,
  id: string,
  owner: string,
  expiresAt: number,
): Promise<{ cancelRequested: boolean } | undefined> {
  const row = await db
    .updateTable('pipeline_runs')
    .set({ lease_expires_at: expiresAt })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .returning(['cancel_requested'])
    .executeTakeFirst();
  return row === undefined ? undefined : { cancelRequested: row.cancel_requested === 1 };
}

export async function requestPipelineRunCancel(db: Kysely<Schema>, id: string): Promise<void> {
  await db.updateTable('pipeline_runs').set({ cancel_requested: 1 }).where('id', '=', id).execute();
}

/**
 * The digests an attempt read and wrote: the edges lineage walks. Written once, when the attempt
 * succeeds or is a cache hit; such an attempt never runs again, so there are no earlier rows.
 */
export async function recordStepArtifacts(
  db: Kysely<Schema>,
  key: StepExecutionKey,
  inputs: Record<string, string>,
  outputs: Record<string, string>,
): Promise<void> {
  const rows = [
    ...Object.entries(inputs).map(([name, digest]) => ({ direction: 'input' as const, name, digest })),
    ...Object.entries(outputs).map(([name, digest]) => ({ direction: 'output' as const, name, digest })),
  ].map((row) => ({ pipeline_run_id: key.pipelineRunId, step_name: key.stepName, attempt: key.attempt, ...row }));
  if (rows.length > 0) await db.insertInto('step_artifacts').values(rows).execute();
}
