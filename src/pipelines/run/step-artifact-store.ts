import type { Kysely } from 'kysely';
import type { Schema } from '../../store/index.js';
import type { StepExecutionKey } from './run-store.js';

/**
 * Reads of `step_artifacts`, the digests each attempt read and wrote (written by `recordStepArtifacts`): the edges
 * lineage walks. Each starts from the primary key or `step_artifacts_digest` and lists are limited, so one hop
 * costs a few index probes however large the store is.
 */

/** What one attempt read (`input`) or wrote (`output`), by name. */
export async function stepArtifactsOf(
  db: Kysely<Schema>,
  key: StepExecutionKey,
  direction: 'input' | 'output',
): Promise<Array<{ name: string; digest: string }>> {
  return db
    .selectFrom('step_artifacts')
    .select(['name', 'digest'])
    .where('pipeline_run_id', '=', key.pipelineRunId)
    .where('step_name', '=', key.stepName)
    .where('attempt', '=', key.attempt)
    .where('direction', '=', direction)
    .orderBy('name')
    .execute();
}

/** The step runs that read (`input`) or wrote (`output`) this digest, in any pipeline run. */
export async function stepRunsByDigest(
  db: Kysely<Schema>,
  digest: string,
  direction: 'input' | 'output',
  limit: number,
): Promise<Array<{ runId: string; name: string }>> {
  const rows = await db
    .selectFrom('step_artifacts as a')
    .innerJoin('step_executions as e', (join) =>
      join
        .onRef('e.pipeline_run_id', '=', 'a.pipeline_run_id')
        .onRef('e.step_name', '=', 'a.step_name')
        .onRef('e.attempt', '=', 'a.attempt'),
    )
    .select(['e.run_id', 'a.name'])
    .where('a.digest', '=', digest)
    .where('a.direction', '=', direction)
    .where('e.run_id', 'is not', null)
    .orderBy('e.started_time')
    .orderBy('e.run_id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ runId: row.run_id!, name: row.name }));
}

/** Whether any step read or wrote this digest. */
export async function stepArtifactDigestKnown(db: Kysely<Schema>, digest: string): Promise<boolean> {
  const row = await db
    .selectFrom('step_artifacts')
    .select('digest')
    .where('digest', '=', digest)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
